"""Rate shopping: ask every carrier account of the merchant for rates in parallel, within a
deadline, and choose the cheapest that still meets the order's promise.

A rate that gives transit days but no date is dated by the destination's business
calendar (``date_from_transit``), so it can still be held against the promise. Each
account runs on a thread of its own; whatever has not answered by ``timeout`` is
reported as timed out (its thread is abandoned, not waited for), and a failing carrier is
reported with its cause. The choice is explained: the chosen rate, and for every other one
why it lost (later than the promise, or dearer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date

from postpurchase.domain.carriers import (
    CarrierAccount,
    CarrierError,
    CarrierFailure,
    CarrierGateway,
    RateQuote,
    RateRequest,
)

_POOL = ThreadPoolExecutor(max_workers=48, thread_name_prefix="rates")  # 8 shops of 6 carriers


@dataclass(frozen=True, slots=True)
class Alternative:
    quote: RateQuote
    why_not: str


@dataclass
class RateShop:
    chosen: RateQuote | None
    why: str
    alternatives: list[Alternative] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # carrier -> cause
    timed_out: list[str] = field(default_factory=list)


def _ask(gateway_for: Callable[[CarrierAccount], CarrierGateway], account: CarrierAccount,
         request: RateRequest) -> list[RateQuote]:  # fmt: skip
    return gateway_for(account).rate(request)


def shop(
    accounts: Sequence[CarrierAccount],
    gateway_for: Callable[[CarrierAccount], CarrierGateway],
    request: RateRequest,
    *,
    deliver_by: date | None = None,
    timeout: float = 3.0,
    date_from_transit: Callable[[int], date] | None = None,
) -> RateShop:
    """Every account's rates within ``timeout`` seconds; the cheapest meeting ``deliver_by``
    (a rate without a delivery date cannot be shown to meet it)."""
    futures = {_POOL.submit(_ask, gateway_for, a, request): a for a in accounts}
    done, pending = wait(futures, timeout=timeout)
    quotes: list[RateQuote] = []
    failed: dict[str, str] = {}
    late = {futures[f].carrier for f in pending}
    for future in done:
        account = futures[future]
        try:
            quotes.extend(future.result())
        except CarrierError as exc:
            if exc.failure is CarrierFailure.TIMEOUT:
                # The gateway's own timeout and our deadline race at the same second: a
                # carrier that did not answer in time is timed out either way.
                late.add(account.carrier)
            else:
                failed[account.carrier] = exc.message
    if date_from_transit is not None:
        quotes = [_dated(q, date_from_transit) for q in quotes]
    timed_out = sorted(late)
    for f in pending:
        f.cancel()
    return choose(quotes, deliver_by, failed=failed, timed_out=timed_out)


def _dated(q: RateQuote, date_from_transit: Callable[[int], date]) -> RateQuote:
    """A quote with transit days but no date gets the date our calendar gives them."""
    if q.delivery_date is not None or q.transit_days is None:
        return q
    return replace(q, delivery_date=date_from_transit(q.transit_days), date_estimated=True)


def choose(
    quotes: Sequence[RateQuote],
    deliver_by: date | None,
    *,
    failed: dict[str, str] | None = None,
    timed_out: list[str] | None = None,
) -> RateShop:
    def meets(q: RateQuote) -> bool:
        return deliver_by is None or (q.delivery_date is not None and q.delivery_date <= deliver_by)

    ordered = sorted(quotes, key=lambda q: (q.price.amount, q.delivery_date or date.max))
    currencies = {q.price.currency for q in ordered}
    eligible = [q for q in ordered if meets(q)]
    if len(currencies) > 1:
        # never compare amounts of two currencies: keep the promise, say so
        why = f"rates in several currencies ({', '.join(sorted(currencies))}); none compared"
        return RateShop(None, why, [Alternative(q, why) for q in ordered], failed or {},
                        timed_out or [])  # fmt: skip
    if not eligible:
        why = (
            f"no rate delivers by {deliver_by.isoformat()}" if deliver_by and ordered
            else "no carrier returned a rate"
        )  # fmt: skip
        return RateShop(None, why, [_lost(q, None, deliver_by) for q in ordered], failed or {},
                        timed_out or [])  # fmt: skip
    best = eligible[0]
    why = f"cheapest at {best.price.amount} {best.price.currency}" + (
        f" that delivers by {deliver_by.isoformat()}" if deliver_by else ""
    )
    alternatives = [_lost(q, best, deliver_by) for q in ordered if q is not best]
    return RateShop(best, why, alternatives, failed or {}, timed_out or [])


def _lost(q: RateQuote, best: RateQuote | None, deliver_by: date | None) -> Alternative:
    if deliver_by is not None and (q.delivery_date is None or q.delivery_date > deliver_by):
        when = q.delivery_date.isoformat() if q.delivery_date else "no delivery date"
        return Alternative(q, f"misses the promise ({when} > {deliver_by.isoformat()})")
    if best is not None:
        more = q.price.amount - best.price.amount
        return Alternative(q, f"{more} {q.price.currency} dearer")
    return Alternative(q, "not chosen")
