"""When to ask a carrier about a shipment again: the cadence of tracking without push.

Pure functions of the shipment's stage and clock, so the worker, the tests and the
benchmark agree. The cadence follows what a shopper needs: a parcel out for delivery may be
delivered any minute (every 15 minutes), one in transit changes a few times a day (hourly),
one waiting for pickup rarely (every four hours); a delivered or expired parcel, or one no
scan has moved for ``idle_days``, is not polled again. A failing call backs off
exponentially up to ``backoff_max``, never sooner than the carrier's own ``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from postpurchase.domain.status import ShipmentStatus

S = ShipmentStatus

FINAL: frozenset[ShipmentStatus] = frozenset({S.DELIVERED, S.EXPIRED})


@dataclass(frozen=True, slots=True)
class PollPolicy:
    pre_transit: timedelta = timedelta(hours=4)
    in_transit: timedelta = timedelta(hours=1)
    out_for_delivery: timedelta = timedelta(minutes=15)
    trouble: timedelta = timedelta(hours=1)  # exceptions, failed attempts, held for pickup
    idle_days: int = 14
    backoff_base: timedelta = timedelta(minutes=1)
    backoff_max: timedelta = timedelta(hours=1)

    def interval(self, status: ShipmentStatus) -> timedelta:
        if status in (S.PENDING, S.INFO_RECEIVED):
            return self.pre_transit
        if status is S.OUT_FOR_DELIVERY:
            return self.out_for_delivery
        if status is S.IN_TRANSIT:
            return self.in_transit
        return self.trouble


def next_poll(
    policy: PollPolicy, status: ShipmentStatus, moved_at: datetime | None, now: datetime
) -> datetime | None:
    """When to poll next, or ``None`` to stop: delivered, expired, or idle too long.

    ``moved_at`` is when the shipment last learnt something (its last scan, else when it
    was created): idleness counts from there, not from the last poll.
    """
    if status in FINAL:
        return None
    if moved_at is not None and now - moved_at >= timedelta(days=policy.idle_days):
        return None
    return now + policy.interval(status)


def backoff(policy: PollPolicy, failures: int, retry_after: float | None = None) -> timedelta:
    """How long to leave an account alone after its ``failures``-th failure in a row."""
    exponent = max(0, min(failures - 1, 20))
    grown: timedelta = policy.backoff_base * (2**exponent)
    wait = min(grown, policy.backoff_max)
    if retry_after is not None and retry_after > 0:
        wait = max(wait, min(timedelta(seconds=retry_after), policy.backoff_max))
    return wait
