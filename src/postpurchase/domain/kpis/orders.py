"""One order as the KPI definitions see it, and the per-order facts they are built from.

The record is deliberately small and source-neutral: an adapter (Olist CSVs today, the
platform's own tables later) maps its statuses onto :class:`OrderState` and hands over
aware timestamps in the shopper's local zone, so that "delivered on or before the promised
date" can be judged by the shopper's calendar while durations are measured in real
elapsed time (UTC), immune to daylight-saving jumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from postpurchase.domain.errors import InvalidInput

SECONDS_PER_DAY = 86_400


class OrderState(StrEnum):
    """What an order's status means for the KPIs (adapters map their own statuses here)."""

    DELIVERED = "delivered"  # the source says delivered (a delivery date is still needed)
    OPEN = "open"  # placed and alive, not (yet) delivered: created, approved, shipped...
    VOID = "void"  # canceled or unavailable: not a purchase, never a repeat purchase


class Punctuality(StrEnum):
    """A delivered order against its promise, by calendar date."""

    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class KpiOrder:
    """An order: who bought, when, what became of it, what was promised, how it was rated.

    ``purchased_at`` and ``delivered_at`` are aware datetimes in the zone whose calendar
    judges punctuality (the shopper's); ``promised_on`` is the promised delivery date in
    that calendar. ``customer_key`` identifies a person across orders (``None`` when the
    source cannot tell, which keeps the order out of repeat-purchase cohorts).
    ``review_scores`` holds every review the order received (possibly none).
    """

    order_id: str
    customer_key: str | None
    state: OrderState
    purchased_at: datetime
    delivered_at: datetime | None = None
    promised_on: date | None = None
    review_scores: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for name in ("purchased_at", "delivered_at"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise InvalidInput("timestamp must be time-zone aware", field=name)
        if self.delivered_at is not None and self.delivered_at < self.purchased_at:
            raise InvalidInput("delivered before it was purchased", field="delivered_at")

    @property
    def is_delivered(self) -> bool:
        """Delivered = the status says so *and* there is a delivery time."""
        return self.state is OrderState.DELIVERED and self.delivered_at is not None


def punctuality(order: KpiOrder) -> Punctuality | None:
    """On time when delivered on or before the promised date, comparing calendar dates.

    A parcel delivered at 23:59 on the promised day is on time. ``None`` when the order is
    not delivered or was never promised a date: it is in neither cohort.
    """
    if not order.is_delivered or order.delivered_at is None or order.promised_on is None:
        return None
    on_time = order.delivered_at.date() <= order.promised_on
    return Punctuality.ON_TIME if on_time else Punctuality.LATE


def days_late(order: KpiOrder) -> int | None:
    """Calendar days between the promised date and the delivery date (0 or less: on time)."""
    if not order.is_delivered or order.delivered_at is None or order.promised_on is None:
        return None
    return (order.delivered_at.date() - order.promised_on).days


def click_to_door_days(order: KpiOrder) -> float | None:
    """Delivery time minus purchase time in fractional days of real elapsed time."""
    if not order.is_delivered or order.delivered_at is None:
        return None
    elapsed = order.delivered_at.astimezone(UTC) - order.purchased_at.astimezone(UTC)
    return elapsed.total_seconds() / SECONDS_PER_DAY


def review_score(order: KpiOrder) -> float | None:
    """The mean of the order's reviews; ``None`` (left out of averages) when it has none."""
    if not order.review_scores:
        return None
    return sum(order.review_scores) / len(order.review_scores)
