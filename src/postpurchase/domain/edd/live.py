"""Layer 3: re-estimate on every scan from what is known then.

Once the carrier has the parcel, what matters is the remaining transit time given the time
already spent: the conditional distribution of transit ``T`` given ``T > elapsed``. Its
quantiles come straight from the unconditional quantile function ``Q``:
``Q_cond(p) = Q(F(e) + p * (1 - F(e)))`` with ``F`` the matching CDF. A parcel that is late
therefore gets a later, but not panicky, date, and one that is early keeps its date.

The quantile function itself comes from a lower layer (a learned transit model, calibrated,
or the rules table), so this module stays pure arithmetic on numbers it is handed.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from postpurchase.domain.edd.calendar import BusinessCalendar
from postpurchase.domain.edd.types import Estimate, Layer
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import TrackingState

_SECONDS_PER_DAY = 86400.0

# Exceptions after which the parcel is not expected to reach the shopper on this shipment.
TERMINAL_SUBSTATUSES = frozenset(
    {Substatus.LOST, Substatus.DAMAGED, Substatus.RETURNED_TO_SENDER, Substatus.REFUSED}
)


@dataclass(frozen=True, slots=True)
class TransitQuantiles:
    """A quantile function of calendar days from hand-over to delivery.

    ``points`` are ``(probability, days)`` pairs, strictly increasing in probability and
    non-decreasing in days; values between points are interpolated linearly, beyond the
    ends the function is flat (the extremes are what the producing model vouches for).
    """

    points: tuple[tuple[float, float], ...]
    model: str

    def __post_init__(self) -> None:
        if len(self.points) < 2:
            raise InvalidInput("a quantile function needs at least two points", field="points")
        probs = [p for p, _ in self.points]
        days = [d for _, d in self.points]
        if any(not 0.0 <= p <= 1.0 for p in probs) or any(
            b <= a for a, b in itertools.pairwise(probs)
        ):
            raise InvalidInput("probabilities must increase within [0, 1]", field="points")
        if any(b < a for a, b in itertools.pairwise(days)) or days[0] < 0:
            raise InvalidInput("days must be non-negative and non-decreasing", field="points")

    @classmethod
    def from_values(
        cls, probs: Sequence[float], days: Sequence[float], model: str
    ) -> TransitQuantiles:
        """Build from parallel sequences, repairing crossings (running max) that models emit."""
        fixed: list[tuple[float, float]] = []
        running = 0.0
        for p, d in sorted(zip(probs, days, strict=True)):
            running = max(running, d, 0.0)
            if fixed and p == fixed[-1][0]:
                fixed[-1] = (p, running)
            else:
                fixed.append((p, running))
        return cls(tuple(fixed), model)

    def quantile(self, p: float) -> float:
        pts = self.points
        if p <= pts[0][0]:
            return pts[0][1]
        if p >= pts[-1][0]:
            return pts[-1][1]
        i = bisect.bisect_right([q for q, _ in pts], p)
        (p0, d0), (p1, d1) = pts[i - 1], pts[i]
        return d0 + (d1 - d0) * (p - p0) / (p1 - p0)

    def cdf(self, days: float) -> float:
        """P(T <= days) under the interpolated quantile function (flat parts take the max)."""
        pts = self.points
        if days < pts[0][1]:
            return pts[0][0]
        if days >= pts[-1][1]:
            return pts[-1][0]
        for (p0, d0), (p1, d1) in itertools.pairwise(pts):
            if d0 <= days < d1:
                return p0 + (p1 - p0) * (days - d0) / (d1 - d0)
        return pts[-1][0]  # pragma: no cover - loop covers the range

    def conditional(self, elapsed: float) -> TransitQuantiles:
        """Quantiles of ``T`` given ``T > elapsed``, still measured from hand-over."""
        if elapsed <= 0:
            return self
        f = self.cdf(elapsed)
        probs = [p for p, _ in self.points]
        new_days = [max(elapsed, self.quantile(f + p * (1.0 - f))) for p in probs]
        return TransitQuantiles.from_values(probs, new_days, self.model)


@dataclass(frozen=True, slots=True)
class LiveInputs:
    """Everything the live layer needs besides the scans."""

    transit: TransitQuantiles
    confidence: float
    calendar: BusinessCalendar
    destination_region: str | None = None
    local_leg: TransitQuantiles | None = None  # remaining days once in the destination region
    # The P50 to the nearest day (True) or rounded up like the other dates (False): a
    # rounded-up median is a median of the day after, half a day late on average.
    round_p50: bool = False


def _days(td: timedelta) -> float:
    return td.total_seconds() / _SECONDS_PER_DAY


def _dates_from(
    start: date, q: TransitQuantiles, confidence: float, today: date, round_p50: bool = False
) -> tuple[date, date, date, date]:
    """p10/p50/p90/promise as dates, never before today (an undelivered parcel is not early)."""

    def at(p: float) -> date:
        return max(today, start + timedelta(days=math.ceil(q.quantile(p) - 1e-9)))

    p10, p50, p90 = at(0.1), at(0.5), at(0.9)
    if round_p50:
        p50 = max(today, start + timedelta(days=math.floor(q.quantile(0.5) + 0.5)))
    promise = max(p50, at(confidence))
    return p10, p50, p90, promise


def live_estimate(
    state: TrackingState,
    now: datetime,
    inputs: LiveInputs,
    purchase_estimate: Estimate | None = None,
) -> Estimate:
    """Re-estimate from the scan state at ``now`` (aware, in the shopper's time zone).

    The status decides the shape: delivered is final; out for delivery means today;
    a failed attempt means the next business day; in transit conditions the transit
    distribution on the time already spent; not yet handed over falls back to the
    purchase-time estimate (or to hand-over today when there is none).
    """
    if now.tzinfo is None:
        raise InvalidInput("now must include a time zone offset", field="now")
    today = now.date()
    cal = inputs.calendar
    conf = inputs.confidence
    model = f"live/{inputs.transit.model}"
    status = state.status

    if status is ShipmentStatus.DELIVERED and state.delivered_at is not None:
        d = state.delivered_at.astimezone(now.tzinfo).date()
        return Estimate(d, d, d, d, conf, Layer.LIVE, "live/delivered")
    scan_day = state.status_at.astimezone(now.tzinfo).date() if state.status_at else today
    if status is ShipmentStatus.OUT_FOR_DELIVERY and scan_day < today:
        # Out for delivery on an earlier day and still not delivered: not "today" again.
        # The next business day at the earliest, the one after that as the promise.
        nxt = cal.next_business_day(today)
        after = cal.next_business_day(nxt)
        return Estimate(
            nxt, nxt, after, after, conf, Layer.LIVE, "live/out_for_delivery",
            f"out for delivery on {scan_day.isoformat()} without a delivery",
        )  # fmt: skip
    if status in (ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.AVAILABLE_FOR_PICKUP):
        nxt = cal.next_business_day(today)
        final = today if status is ShipmentStatus.AVAILABLE_FOR_PICKUP else nxt
        return Estimate(today, today, final, final, conf, Layer.LIVE, f"live/{status.value}")
    if status is ShipmentStatus.ATTEMPT_FAILED:
        nxt = cal.next_business_day(today)
        after = cal.next_business_day(nxt)
        return Estimate(nxt, nxt, after, after, conf, Layer.LIVE, "live/attempt_failed")

    handed = state.handed_over_at
    if handed is None:
        # Not with the carrier yet: hand-over is today at the earliest.
        p10, p50, p90, promise = _dates_from(today, inputs.transit, conf, today, inputs.round_p50)
        if purchase_estimate is not None:
            p10 = max(p10, purchase_estimate.p10)
            p50 = max(p50, purchase_estimate.p50)
            p90 = max(p90, purchase_estimate.p90)
            promise = max(promise, purchase_estimate.promise, p50)
        return Estimate(
            p10, p50, p90, promise, conf, Layer.LIVE, model, "not handed to the carrier yet"
        )

    handed_local = handed.astimezone(now.tzinfo)
    start = handed_local.date()
    elapsed = max(0.0, _days(now - handed_local.replace(hour=0, minute=0, second=0, microsecond=0)))
    conditional = inputs.transit.conditional(elapsed)
    p10, p50, p90, promise = _dates_from(start, conditional, conf, today, inputs.round_p50)
    reason: str | None = None

    last = state.last_location
    if (
        inputs.local_leg is not None
        and last is not None
        and last.region
        and inputs.destination_region
        and last.region.upper() == inputs.destination_region.upper()
        and state.last_event_at is not None
    ):
        # Already in the destination region: only the last leg is left, counted from the scan.
        scan_day = state.last_event_at.astimezone(now.tzinfo).date()
        lp10, lp50, lp90, lpromise = _dates_from(
            scan_day, inputs.local_leg, conf, today, inputs.round_p50
        )
        p10, p50, p90, promise = (
            min(p10, lp10),
            min(p50, lp50),
            min(p90, lp90),
            min(promise, lpromise),
        )
        model = f"{model}+last-leg"

    if status is ShipmentStatus.EXCEPTION:
        sub = state.substatus or "unknown"
        if sub in TERMINAL_SUBSTATUSES:
            reason = f"exception ({sub}): delivery not expected on this shipment"
        else:
            reason = f"exception ({sub}): dates assume the parcel moves again today"
            p10, p50, p90, promise = (cal.roll_forward(d) for d in (p10, p50, p90, promise))
    elif status is ShipmentStatus.EXPIRED:
        reason = "tracking expired: no recent scans"
    promise = max(promise, p50)
    p90 = max(p90, p50)
    p10 = min(p10, p50)
    return Estimate(p10, p50, p90, promise, conf, Layer.LIVE, model, reason)
