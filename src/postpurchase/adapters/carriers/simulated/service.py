"""Carriers, service levels and their calendars: when a parcel is picked up and delivered.

Everything here is deterministic: the delivery date depends only on the addresses, the
carrier, the service and the hand-over time, so ``quote`` and a trouble-free ``plan`` agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from postpurchase.adapters.carriers.simulated import network
from postpurchase.adapters.carriers.simulated.network import Hub, distance_km, hub_for, route
from postpurchase.domain.addresses import Address

GROUND, EXPRESS, SAME_DAY = "ground", "express", "same_day"

CARRIER_SERVICES: dict[str, tuple[str, ...]] = {
    "ups": (GROUND, EXPRESS, SAME_DAY),
    "fedex": (GROUND, EXPRESS, SAME_DAY),
    "usps": (GROUND, EXPRESS),
    "dhl": (GROUND, EXPRESS),
    "canada_post": (GROUND, EXPRESS),
    "royal_mail": (GROUND, EXPRESS),
}

# Who a merchant in a country would ship with, most common first.
_HOME_CARRIERS: dict[str, tuple[str, ...]] = {
    "US": ("ups", "usps", "fedex", "dhl"),
    "CA": ("canada_post", "ups", "fedex", "dhl"),
    "GB": ("royal_mail", "dhl", "ups", "fedex"),
}


def carriers_for(country: str) -> tuple[str, ...]:
    """The simulated carriers that pick up in ``country`` (national posts only at home)."""
    return _HOME_CARRIERS.get(country.upper(), ("dhl", "ups", "fedex"))


CARRIER_NAMES: dict[str, str] = {
    "ups": "UPS",
    "fedex": "FedEx",
    "usps": "USPS",
    "dhl": "DHL",
    "canada_post": "Canada Post",
    "royal_mail": "Royal Mail",
}

# Ground linehaul progress per business day, in km.
_GROUND_KM_PER_DAY: dict[str, float] = {
    "ups": 1000.0,
    "fedex": 1000.0,
    "usps": 850.0,
    "dhl": 800.0,
    "canada_post": 700.0,
    "royal_mail": 900.0,
}

# Private carriers in the US close on six holidays only; the postal service on all federal ones.
_US_PRIVATE_CARRIER_HOLIDAYS = frozenset(
    {
        "New Year's Day",
        "Memorial Day",
        "Independence Day",
        "Labor Day",
        "Thanksgiving Day",
        "Christmas Day",
    }
)

PICKUP_CUTOFF = time(14, 0)  # labels created after this are collected the next pickup day
SAME_DAY_LOCAL_KM = 250.0  # courier run inside one metro area
SAME_DAY_FLIGHT_KM = 1500.0  # next-flight-out still lands in time for a same-day delivery
SAME_DAY_FLIGHT_CUTOFF = time(10, 0)


def check_service(carrier: str, service: str) -> None:
    services = CARRIER_SERVICES.get(carrier)
    if services is None:
        raise ValueError(
            f"unknown simulated carrier {carrier!r}; known: {sorted(CARRIER_SERVICES)}"
        )
    if service not in services:
        raise ValueError(f"{carrier} offers {', '.join(services)}, not {service!r}")


@lru_cache(maxsize=512)
def holiday_dates(country: str, carrier: str, year: int) -> frozenset[date]:
    """Days a carrier does not pick up or deliver in a country (public holidays)."""
    try:
        table = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return frozenset()
    if country == "US" and carrier != "usps":
        return frozenset(
            d
            for d, name in table.items()
            if any(
                part.replace("(observed)", "").strip() in _US_PRIVATE_CARRIER_HOLIDAYS
                for part in name.split(";")
            )
        )
    return frozenset(table)


def weekend_service(service: str) -> bool:
    """Saturday pickups and deliveries are for premium services only."""
    return service in (EXPRESS, SAME_DAY)


def is_working_day(day: date, country: str, carrier: str, service: str) -> bool:
    weekday = day.weekday()
    if weekday == 6 or (weekday == 5 and not weekend_service(service)):
        return False
    return day not in holiday_dates(country, carrier, day.year)


def next_working_day(day: date, country: str, carrier: str, service: str) -> date:
    """``day`` itself when the carrier works that day, else the next day it does."""
    while not is_working_day(day, country, carrier, service):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, n: int, country: str, carrier: str, service: str) -> date:
    for _ in range(n):
        day = next_working_day(day + timedelta(days=1), country, carrier, service)
    return day


@dataclass(frozen=True, slots=True)
class Schedule:
    """The trouble-free plan of one parcel, at day resolution."""

    carrier: str
    service: str
    origin_hub: Hub
    dest_hub: Hub
    hubs: tuple[Hub, ...]
    distance_km: float
    international: bool
    shipped_at: datetime  # in the origin hub's time zone
    pickup_day: date
    delivery_day: date
    transit_days: int

    def add_days(self, day: date, n: int) -> date:
        return add_working_days(day, n, self.dest_hub.country, self.carrier, self.service)


def transit_days(carrier: str, service: str, km: float, international: bool) -> int:
    """Working days from pickup to delivery."""
    if service == SAME_DAY and not international:
        return 0 if km <= SAME_DAY_FLIGHT_KM else 1
    if service in (EXPRESS, SAME_DAY):
        if international:
            return 2 + (km > 6000) + (km > 12000)
        limit = 2500.0 if carrier == "usps" else 4600.0
        return 1 if km <= limit else 2
    days = 1 if km <= 150 else 1 + math.ceil((km - 150) / _GROUND_KM_PER_DAY[carrier])
    if carrier == "dhl":
        days += 1  # hand-over to the local post for the last mile
    if international and km > 3000:  # overseas: deferred air, whatever the road distance
        return 6 + math.ceil(km / 4000) + (carrier == "dhl")
    if international:
        days += 2  # customs on the border
    return days


def _pickup_cutoff(service: str, km: float, international: bool) -> time:
    if service == SAME_DAY and not international and SAME_DAY_LOCAL_KM < km <= SAME_DAY_FLIGHT_KM:
        return SAME_DAY_FLIGHT_CUTOFF
    return PICKUP_CUTOFF


def schedule(
    origin: Address, destination: Address, carrier: str, service: str, shipped_at: datetime
) -> Schedule:
    check_service(carrier, service)
    if shipped_at.tzinfo is None or shipped_at.utcoffset() is None:
        raise ValueError("shipped_at must be timezone-aware")
    o_hub, d_hub = hub_for(origin), hub_for(destination)
    international = o_hub.country != d_hub.country
    km = distance_km(o_hub, d_hub)
    n = transit_days(carrier, service, km, international)
    if service == GROUND:
        mode = network.GROUND
    elif service == SAME_DAY and n == 0:
        mode = network.DIRECT
    else:
        mode = network.AIR
    hubs = route(o_hub, d_hub, carrier, mode)
    local = shipped_at.astimezone(o_hub.tz)
    pickup_day = local.date()
    if local.time() >= _pickup_cutoff(service, km, international):
        pickup_day += timedelta(days=1)
    pickup_day = next_working_day(pickup_day, o_hub.country, carrier, service)
    first = next_working_day(pickup_day, d_hub.country, carrier, service)
    delivery_day = add_working_days(first, n, d_hub.country, carrier, service)
    if n > 0 and first > pickup_day:
        # the first working day at the destination already counts as a day of transit
        delivery_day = add_working_days(first, n - 1, d_hub.country, carrier, service)
    return Schedule(
        carrier=carrier,
        service=service,
        origin_hub=o_hub,
        dest_hub=d_hub,
        hubs=hubs,
        distance_km=km,
        international=international,
        shipped_at=local,
        pickup_day=pickup_day,
        delivery_day=delivery_day,
        transit_days=n,
    )


def quote(
    origin: Address, destination: Address, carrier: str, service: str, shipped_at: datetime
) -> date:
    """The delivery date the carrier promises: the trouble-free plan's delivery day, local."""
    return schedule(origin, destination, carrier, service, shipped_at).delivery_day
