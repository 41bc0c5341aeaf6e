"""Per-shipment delivery facts and the dashboard KPIs built from them (issue 14).

Why per shipment: every dashboard (on-time rate, click-to-door split, carrier scorecards by
lane, repeat purchase by delivery cohort) is a count or a distribution over the same few
facts about each parcel. Deciding those facts once, here, in pure code, is what makes the
numbers of every page and export agree; the adapters only add them up. Definitions are
written down in docs/kpis.md ("On the platform's own orders").

Times are aware datetimes; calendar judgements (on time?) use the zone given (the order's,
else the merchant's), durations are real elapsed time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.kpis.stats import rate

REPEAT_DAYS = 90
HOUR = 3600.0
UNKNOWN = "unknown"
FINAL_STATUSES = frozenset({"delivered", "expired"})


class Cohort(StrEnum):
    """How a delivered shipment went: an exception (or failed attempt) on the way trumps
    punctuality; otherwise on time or late against the original promise."""

    ON_TIME = "on_time"
    LATE = "late"
    EXCEPTION = "exception"


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    """What is known about one parcel and its order, as the adapters read it."""

    placed_at: datetime
    created_at: datetime  # the shipment (label) was created: processing ends here
    status: str
    zone: tzinfo
    tracking_valid: bool = True
    handed_over_at: datetime | None = None  # the carrier took it (first pick-up scan)
    first_scan_at: datetime | None = None
    delivered_at: datetime | None = None
    store_promise: date | None = None  # the store's promise at checkout (latest date)
    our_promise: date | None = None  # ours, made at purchase (issue 16)
    carrier_estimate: date | None = None  # the carrier's latest estimate
    carrier_first_estimate: date | None = None  # its first ("original EDD" elsewhere)
    had_exception: bool = False
    had_failed_attempt: bool = False
    carrier: str | None = None
    service: str | None = None
    origin_region: str | None = None  # "US-CA"
    destination_region: str | None = None

    def __post_init__(self) -> None:
        for name in ("placed_at", "created_at", "handed_over_at", "first_scan_at", "delivered_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise InvalidInput("timestamp must be time-zone aware", field=name)


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    """The per-shipment facts the dashboards add up (one ``kpi_facts`` row)."""

    placed_on: date
    repeat_until: datetime
    carrier: str
    service: str
    lane: str
    final: bool
    valid_tracking: bool
    delivered: bool
    exception: bool
    failed_attempt: bool
    promise_judged: bool
    on_time_promise: bool
    carrier_judged: bool
    on_time_carrier: bool
    ours_judged: bool
    on_time_ours: bool
    cohort: Cohort | None
    click_to_door_hours: float | None
    processing_hours: float | None
    pickup_wait_hours: float | None
    transit_hours: float | None
    first_scan_hours: float | None
    days_late: int | None
    delivered_on: date | None
    carrier_first_judged: bool = False
    on_time_carrier_first: bool = False


def region_label(country: str | None, region: str | None) -> str:
    """``US-CA``; ``US`` when the region is not known; ``?`` when nothing is."""
    if not country:
        return "?"
    return f"{country.upper()}-{region.upper()}" if region else country.upper()


def lane_label(origin: str | None, destination: str | None) -> str:
    return f"{origin or '?'}>{destination or '?'}"


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    """Elapsed hours, ``None`` when either end is unknown or time runs backwards (a clock
    error in the source is not a negative duration)."""
    if start is None or end is None:
        return None
    seconds = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    return seconds / HOUR if seconds >= 0 else None


def _judge(delivered_on: date | None, promised: date | None) -> tuple[bool, bool]:
    if delivered_on is None or promised is None:
        return False, False
    return True, delivered_on <= promised


def original_promise(record: ShipmentRecord) -> date | None:
    """The promise the shopper was first shown: the store's at checkout, else ours."""
    return record.store_promise if record.store_promise is not None else record.our_promise


def shipment_facts(record: ShipmentRecord) -> ShipmentFacts:
    """The facts of one parcel. On time = delivered on or before the promised date, by the
    calendar of ``record.zone`` (23:59 on the day is on time)."""
    delivered = record.status == "delivered" and record.delivered_at is not None
    delivered_on = (
        record.delivered_at.astimezone(record.zone).date()
        if delivered and record.delivered_at
        else None
    )
    promised = original_promise(record)
    promise_judged, on_time = _judge(delivered_on, promised)
    carrier_judged, on_time_carrier = _judge(delivered_on, record.carrier_estimate)
    first_judged, on_time_first = _judge(delivered_on, record.carrier_first_estimate)
    ours_judged, on_time_ours = _judge(delivered_on, record.our_promise)
    cohort: Cohort | None = None
    if delivered:
        if record.had_exception or record.had_failed_attempt:
            cohort = Cohort.EXCEPTION
        elif promise_judged:
            cohort = Cohort.ON_TIME if on_time else Cohort.LATE
    handed = record.handed_over_at or record.first_scan_at
    end = record.delivered_at if delivered else None
    return ShipmentFacts(
        placed_on=record.placed_at.astimezone(record.zone).date(),
        repeat_until=record.placed_at.astimezone(UTC) + timedelta(days=REPEAT_DAYS),
        carrier=(record.carrier or UNKNOWN)[:48],
        service=(record.service or UNKNOWN)[:48],
        lane=lane_label(record.origin_region, record.destination_region)[:80],
        final=record.status in FINAL_STATUSES,
        valid_tracking=record.tracking_valid,
        delivered=delivered,
        exception=record.had_exception,
        failed_attempt=record.had_failed_attempt,
        promise_judged=promise_judged,
        on_time_promise=on_time,
        carrier_judged=carrier_judged,
        on_time_carrier=on_time_carrier,
        ours_judged=ours_judged,
        on_time_ours=on_time_ours,
        cohort=cohort,
        click_to_door_hours=_hours(record.placed_at, end),
        processing_hours=_hours(record.placed_at, record.created_at),
        pickup_wait_hours=_hours(record.created_at, handed),
        transit_hours=_hours(handed, end),
        first_scan_hours=_hours(record.created_at, record.first_scan_at),
        days_late=(delivered_on - promised).days if delivered_on and promised else None,
        delivered_on=delivered_on,
        carrier_first_judged=first_judged,
        on_time_carrier_first=on_time_first,
    )


def quantile_from_histogram(buckets: Mapping[int, int], q: float, width: float) -> float | None:
    """The ``q``-quantile of values counted in buckets ``[k*width, (k+1)*width)``.

    The same definition as ``stats.quantile`` (Hyndman & Fan 7: interpolate between the
    order statistics around position ``(n - 1) * q``), with each order statistic placed
    evenly inside its bucket; each is then within one bucket of the true value, and so is
    the answer (the dashboards bucket by the hour). Used because a histogram adds up in SQL
    on every database, and a percentile function does not.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile q must be in [0, 1], got {q}")
    counts = sorted((k, n) for k, n in buckets.items() if n > 0)
    total = sum(n for _, n in counts)
    if not total:
        return None
    position = (total - 1) * q
    below = math.floor(position)
    wanted = (below, min(below + 1, total - 1))
    found: list[float] = []
    seen = 0
    for k, n in counts:
        while len(found) < 2 and wanted[len(found)] < seen + n:
            j = wanted[len(found)] - seen
            found.append((k + (j + 0.5) / n) * width)
        if len(found) == 2:
            break
        seen += n
    low, high = found
    return low + (high - low) * (position - below)


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """The sums one dashboard row is made of (one group: all, a day, a carrier, a lane)."""

    shipments: int = 0
    valid_tracking: int = 0
    delivered: int = 0
    exceptions: int = 0
    failed_attempts: int = 0
    promise_judged: int = 0
    on_time_promise: int = 0
    carrier_judged: int = 0
    on_time_carrier: int = 0
    ours_judged: int = 0
    on_time_ours: int = 0
    first_scanned: int = 0
    first_scan_hours: float = 0.0
    processing_n: int = 0
    processing_hours: float = 0.0
    pickup_n: int = 0
    pickup_hours: float = 0.0
    transit_n: int = 0
    transit_hours: float = 0.0
    tracked: int = 0  # parcels the carrier has scanned: not pending, not expired
    carrier_first_judged: int = 0
    on_time_carrier_first: int = 0

    def __add__(self, other: DeliveryCounts) -> DeliveryCounts:
        """Sums add up: a week is the sum of its days."""
        return DeliveryCounts(*(getattr(self, n) + getattr(other, n) for n in self.__slots__))

    def kpis(self) -> dict[str, Any]:
        """Rates as fractions 0..1 and mean durations in days; ``None`` where nothing was
        measured (never 0)."""

        def days(total_hours: float, n: int) -> float | None:
            return total_hours / n / 24 if n else None

        return {
            "shipments": self.shipments,
            "delivered": self.delivered,
            "delivered_rate": rate(self.delivered, self.shipments),
            "tracked": self.tracked,
            # AfterShip's "delivery rate": delivered of the parcels tracked (rollups made
            # before migration 0028 counted none tracked: unknown, not a rate over 0)
            "delivered_rate_of_tracked": (
                rate(self.delivered, self.tracked) if self.tracked >= self.delivered else None
            ),
            "valid_tracking_rate": rate(self.valid_tracking, self.shipments),
            "exception_rate": rate(self.exceptions, self.shipments),
            "failed_attempt_rate": rate(self.failed_attempts, self.shipments),
            "on_time_rate": rate(self.on_time_promise, self.promise_judged),
            "on_time_rate_vs_carrier_estimate": rate(self.on_time_carrier, self.carrier_judged),
            "on_time_rate_vs_original_carrier_estimate": rate(
                self.on_time_carrier_first, self.carrier_first_judged
            ),
            "on_time_rate_vs_our_promise": rate(self.on_time_ours, self.ours_judged),
            "judged_against_promise": self.promise_judged,
            "mean_time_to_first_scan_days": days(self.first_scan_hours, self.first_scanned),
            "mean_processing_days": days(self.processing_hours, self.processing_n),
            "mean_pickup_wait_days": days(self.pickup_hours, self.pickup_n),
            "mean_transit_days": days(self.transit_hours, self.transit_n),
        }


def per_hundred(count: int, orders: int) -> float | None:
    """``count`` per 100 orders, ``None`` with no orders."""
    if count < 0 or orders < 0:
        raise ValueError("counts cannot be negative")
    return 100.0 * count / orders if orders else None
