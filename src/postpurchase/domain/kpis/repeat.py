"""Repeat purchase within a window, by the punctuality of the customer's first delivery.

The definition (issue 14, "On real data"), made exact:

* **Cohort.** A customer's *first delivered order* is, among their delivered orders (status
  delivered and a delivery time), the one with the earliest purchase time; a tie on the
  purchase time goes to the smallest ``order_id`` so the answer never depends on row order.
  Its punctuality puts the customer in the on-time or the late cohort. A customer whose
  first delivered order had no promised date is in neither (counted as ``no_promise``);
  one who never had a delivery is not a cohort member at all.
* **Left out as too recent.** The data's last purchase is the latest purchase time of *any*
  order read (any status, any customer). A customer whose first delivered order was
  purchased less than ``window`` before it is left out (``too_recent``): their window has
  not been fully observed. Exactly ``window`` before it is kept.
* **Repeat.** The customer repeats if they have *another* order (any order other than the
  first delivered one) whose state is not void (canceled or unavailable) and whose
  purchase time is strictly after the first order's and at most ``window`` after it (the
  end is inclusive). Orders placed at the same instant as the first one, or before it, do
  not count. The other order need not be delivered: a purchase is a purchase.

Times are compared as real elapsed time (UTC), so the 90 days are 90 × 24 hours whatever
daylight saving did in between.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from postpurchase.domain.kpis.orders import KpiOrder, OrderState, Punctuality, punctuality
from postpurchase.domain.kpis.stats import rate, wilson_interval

REPEAT_WINDOW = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class CohortMember:
    """One customer in a cohort: the order that placed them there and whether they came back."""

    customer_key: str
    first_order_id: str
    cohort: Punctuality
    repeated: bool


@dataclass(frozen=True, slots=True)
class RepeatCohorts:
    """Customers by cohort, plus how many were left out and why (the counts behind a rate)."""

    window: timedelta
    observed_until: datetime | None
    members: tuple[CohortMember, ...] = ()
    too_recent: int = 0
    no_promise: int = 0
    by_cohort: dict[Punctuality, tuple[int, int]] = field(default_factory=dict)

    def size(self, cohort: Punctuality) -> int:
        """Customers in the cohort (eligible: old enough, promised a date)."""
        return self.by_cohort.get(cohort, (0, 0))[0]

    def repeaters(self, cohort: Punctuality) -> int:
        """Customers of the cohort who placed another order within the window."""
        return self.by_cohort.get(cohort, (0, 0))[1]

    def rate(self, cohort: Punctuality) -> float | None:
        return rate(self.repeaters(cohort), self.size(cohort))

    def interval(self, cohort: Punctuality) -> tuple[float, float] | None:
        return wilson_interval(self.repeaters(cohort), self.size(cohort))


def _instant(order: KpiOrder) -> datetime:
    return order.purchased_at.astimezone(UTC)


Timed = tuple[datetime, KpiOrder]  # an order with its purchase instant in UTC, computed once


def _first(history: list[Timed]) -> Timed | None:
    delivered = [(t, o) for t, o in history if o.is_delivered]
    return min(delivered, key=lambda item: (item[0], item[1].order_id)) if delivered else None


def _repeated(first: Timed, history: list[Timed], window: timedelta) -> bool:
    start, order = first
    end = start + window
    return any(
        other is not order
        and other.order_id != order.order_id
        and other.state is not OrderState.VOID
        and start < instant <= end
        for instant, other in history
    )


def first_delivered(orders: Iterable[KpiOrder]) -> KpiOrder | None:
    """The delivered order with the earliest purchase time (ties: smallest order id)."""
    found = _first([(_instant(o), o) for o in orders])
    return found[1] if found else None


def repeat_cohorts(
    orders: Iterable[KpiOrder],
    window: timedelta = REPEAT_WINDOW,
    *,
    observed_until: datetime | None = None,
) -> RepeatCohorts:
    """Sort customers into on-time and late cohorts and tell who repeated within ``window``.

    ``observed_until`` defaults to the data's last purchase (the latest ``purchased_at``
    among ``orders``); pass it to judge a subset against the whole data's horizon.
    """
    if window <= timedelta(0):
        raise ValueError("the repeat window must be positive")
    by_customer: dict[str, list[Timed]] = defaultdict(list)
    last: datetime | None = None
    for order in orders:
        instant = _instant(order)
        if last is None or instant > last:
            last = instant
        if order.customer_key is not None:
            by_customer[order.customer_key].append((instant, order))
    horizon = observed_until.astimezone(UTC) if observed_until is not None else last
    members: list[CohortMember] = []
    too_recent = no_promise = 0
    counts: dict[Punctuality, list[int]] = {p: [0, 0] for p in Punctuality}
    for key in sorted(by_customer):
        history = by_customer[key]
        found = _first(history)
        if found is None:
            continue
        start, first = found
        cohort = punctuality(first)
        if cohort is None:
            no_promise += 1
            continue
        if horizon is None or horizon - start < window:
            too_recent += 1
            continue
        repeated = _repeated(found, history, window)
        members.append(CohortMember(key, first.order_id, cohort, repeated))
        counts[cohort][0] += 1
        counts[cohort][1] += int(repeated)
    return RepeatCohorts(
        window=window,
        observed_until=horizon,
        members=tuple(members),
        too_recent=too_recent,
        no_promise=no_promise,
        by_cohort={p: (size, hits) for p, (size, hits) in counts.items()},
    )
