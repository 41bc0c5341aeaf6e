"""Layer 1: delivery dates from rules alone, for a merchant with no history yet.

A date is built the way an operations person would: the order waits for the location's
cut-off, spends its handling days (business days at the origin), then travels for the
carrier's transit days (business days at the destination) for the lane's zone. Transit
tables hold three numbers per (carrier, service, zone): a fast case (~P10), the typical
case (~P50) and a slow case (~P90); the promise at another confidence is extrapolated from
the spread between typical and slow, as if transit were normal-ish in business days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from statistics import NormalDist

from postpurchase.domain.addresses import Address
from postpurchase.domain.edd.calendar import BusinessCalendar
from postpurchase.domain.edd.geo import PostalCentroids, haversine_km, locate, region_of
from postpurchase.domain.edd.types import Estimate, EstimateRequest, Layer
from postpurchase.domain.errors import InvalidInput

WILDCARD = "*"
_Z90 = NormalDist().inv_cdf(0.9)


class Zone(StrEnum):
    """How far a parcel goes, in the terms carriers price and plan by."""

    LOCAL = "local"  # same postal area (first 3 digits)
    REGIONAL = "regional"  # same state / region
    NEAR = "national_near"  # same country, < 600 km
    MID = "national_mid"  # same country, 600-1500 km
    FAR = "national_far"  # same country, > 1500 km
    NATIONAL = "national"  # same country, distance unknown
    INTERNATIONAL = "international"


NEAR_KM = 600.0
MID_KM = 1500.0


@dataclass(frozen=True, slots=True)
class TransitDays:
    """Business days from hand-over to delivery: fast (~P10), typical (~P50), slow (~P90)."""

    low: int
    typical: int
    high: int

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.typical <= self.high:
            raise InvalidInput("transit days must satisfy 0 <= low <= typical <= high")

    def at(self, confidence: float) -> int:
        """Business days to promise at ``confidence`` (normal extrapolation of the spread)."""
        z = NormalDist().inv_cdf(confidence)
        return self.typical + max(0, math.ceil((self.high - self.typical) * z / _Z90 - 1e-9))


@dataclass(frozen=True, slots=True)
class Lane:
    """The zone of an origin/destination pair and, when known, its distance."""

    zone: Zone
    distance_km: float | None
    origin_region: str | None
    destination_region: str | None
    reason: str | None = None


def lane_of(
    origin: Address | None, destination: Address, centroids: PostalCentroids | None = None
) -> Lane:
    """Classify a lane; an unknown end gives the widest zone that is still true, with a reason."""
    dest_region = region_of(destination.country, destination.postal_code, destination.region)
    if origin is None:
        return Lane(Zone.NATIONAL, None, None, dest_region, "origin unknown")
    orig_region = region_of(origin.country, origin.postal_code, origin.region)
    if origin.country != destination.country:
        return Lane(Zone.INTERNATIONAL, None, orig_region, dest_region)
    a = locate(origin.country, origin.postal_code, origin.region, centroids)
    b = locate(destination.country, destination.postal_code, destination.region, centroids)
    distance = haversine_km(a, b) if a is not None and b is not None else None
    o_code, d_code = origin.postal_code or "", destination.postal_code or ""
    if len(o_code) >= 3 and o_code[:3] == d_code[:3] and o_code[:3].isdigit():
        return Lane(Zone.LOCAL, distance, orig_region, dest_region)
    if orig_region is not None and orig_region == dest_region:
        return Lane(Zone.REGIONAL, distance, orig_region, dest_region)
    if distance is None:
        return Lane(Zone.NATIONAL, None, orig_region, dest_region, "postal code not located")
    if distance < NEAR_KM:
        zone = Zone.NEAR
    elif distance < MID_KM:
        zone = Zone.MID
    else:
        zone = Zone.FAR
    return Lane(zone, distance, orig_region, dest_region)


# Generic defaults (business days) for a carrier nobody has configured. They match the
# spread of a national postal service's standard parcels; merchants override per carrier.
DEFAULT_ENTRIES: Mapping[tuple[str, str, Zone], TransitDays] = {
    (WILDCARD, WILDCARD, Zone.LOCAL): TransitDays(1, 3, 6),
    (WILDCARD, WILDCARD, Zone.REGIONAL): TransitDays(2, 4, 9),
    (WILDCARD, WILDCARD, Zone.NEAR): TransitDays(3, 6, 12),
    (WILDCARD, WILDCARD, Zone.MID): TransitDays(4, 8, 16),
    (WILDCARD, WILDCARD, Zone.FAR): TransitDays(6, 11, 22),
    (WILDCARD, WILDCARD, Zone.NATIONAL): TransitDays(2, 7, 18),
    (WILDCARD, WILDCARD, Zone.INTERNATIONAL): TransitDays(6, 12, 25),
    (WILDCARD, "express", Zone.LOCAL): TransitDays(1, 1, 2),
    (WILDCARD, "express", Zone.REGIONAL): TransitDays(1, 2, 3),
    (WILDCARD, "express", Zone.NEAR): TransitDays(1, 2, 4),
    (WILDCARD, "express", Zone.MID): TransitDays(2, 3, 6),
    (WILDCARD, "express", Zone.FAR): TransitDays(2, 4, 8),
    (WILDCARD, "express", Zone.NATIONAL): TransitDays(1, 3, 7),
    (WILDCARD, "express", Zone.INTERNATIONAL): TransitDays(3, 5, 10),
}


@dataclass(frozen=True, slots=True)
class TransitTable:
    """Transit days per (carrier, service, zone), with ``*`` as a wildcard for either name."""

    entries: Mapping[tuple[str, str, Zone], TransitDays]
    name: str = "default"

    def lookup(self, carrier: str | None, service: str | None, zone: Zone) -> TransitDays:
        """Most specific match first: (carrier, service), (carrier, *), (*, service), (*, *)."""
        c = (carrier or WILDCARD).lower()
        s = (service or WILDCARD).lower()
        for key in ((c, s, zone), (c, WILDCARD, zone), (WILDCARD, s, zone)):
            found = self.entries.get(key)
            if found is not None:
                return found
        found = self.entries.get((WILDCARD, WILDCARD, zone))
        if found is not None:
            return found
        fallback = DEFAULT_ENTRIES.get((WILDCARD, WILDCARD, zone))
        if fallback is None:  # pragma: no cover - every zone has a default
            raise InvalidInput(f"no transit days for zone {zone}", field="zone")
        return fallback


DEFAULT_TABLE = TransitTable(DEFAULT_ENTRIES)


def hand_over_date(
    ordered_at: datetime, request: EstimateRequest, origin_calendar: BusinessCalendar
) -> tuple[date, str | None]:
    """The business day the carrier gets the parcel: cut-off first, then handling days.

    An order time without a zone cannot be compared with the cut-off, so it is treated as
    late (the safe side) and the reason says so.
    """
    reason = None
    day = ordered_at.date()
    missed = ordered_at.timetz().replace(tzinfo=None) >= request.cutoff
    if not request.is_aware:
        missed = True
        reason = "order time has no time zone: assumed after the cut-off"
    if not origin_calendar.is_business_day(day) or missed:
        day = origin_calendar.next_business_day(day)
    return origin_calendar.add_business_days(day, request.handling_days), reason


def rules_estimate(
    request: EstimateRequest,
    *,
    table: TransitTable = DEFAULT_TABLE,
    origin_calendar: BusinessCalendar | None = None,
    destination_calendar: BusinessCalendar | None = None,
    centroids: PostalCentroids | None = None,
    reason: str | None = None,
) -> Estimate:
    """Layer 1: cut-off + handling + transit business days. Works with no history at all.

    ``reason`` is why the engine is on rules (e.g. "no model trained yet"); lane problems
    found here (unknown postal code, no origin) are added to it.
    """
    origin_cal = origin_calendar or BusinessCalendar()
    dest_cal = destination_calendar or origin_cal
    lane = lane_of(request.origin, request.destination, centroids)
    transit = table.lookup(request.carrier, request.service, lane.zone)
    handover, tz_reason = hand_over_date(request.ordered_at, request, origin_cal)
    reasons = [r for r in (reason, lane.reason, tz_reason) if r]

    def on(days: int) -> date:
        return dest_cal.add_business_days(handover, days)

    return Estimate(
        p10=on(transit.low),
        p50=on(transit.typical),
        p90=on(transit.high),
        promise=on(transit.at(request.confidence)),
        confidence=request.confidence,
        layer=Layer.RULES,
        model=f"rules/{table.name}",
        reason="; ".join(reasons) if reasons else None,
    )
