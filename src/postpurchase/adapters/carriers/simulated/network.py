"""Geography of the simulated network: hubs, which postal codes they serve, and routes.

Coarse on purpose. The US is split into ~35 regions by ZIP3 prefix, each served by a hub in
a real parcel city; a handful of other countries get a few hubs keyed on the leading
characters of their postal codes, and any other country gets one hub at its main city (or,
when we know nothing about it, a hub without coordinates at a nominal long distance).

The hub tables are in ``hubs``; here are the lookups (the hub for an address, a gateway, an
air hub), distances and routes.
"""

from __future__ import annotations

import math
from functools import lru_cache

from postpurchase.adapters.carriers.simulated.hubs import (
    _AU_DIGIT,
    _BR_DIGIT,
    _CA_FSA,
    _DE_DIGIT,
    _FR_DEPT,
    _GATEWAYS,
    _GB_AREA,
    _US_STATE_HUB,
    _US_ZIP3,
    AIR_HUBS,
    AU_HUBS,
    BR_HUBS,
    CA_HUBS,
    COUNTRY_HUBS,
    DE_HUBS,
    FR_HUBS,
    GB_HUBS,
    SINGLE_HUBS,
    UNKNOWN_DISTANCE_KM,
    US_HUBS,
    Hub,
)
from postpurchase.domain.addresses import Address


def _us_hub(address: Address) -> Hub:
    digits = "".join(c for c in (address.postal_code or "") if c.isdigit())
    if len(digits) >= 3:
        zip3 = int(digits[:3])
        for lo, hi, code in _US_ZIP3:
            if lo <= zip3 <= hi:
                return US_HUBS[code]
    state = (address.region or "").strip().upper()
    return US_HUBS[_US_STATE_HUB.get(state, "CHI")]


def _gb_area(postal: str) -> str:
    letters = ""
    for c in postal.strip().upper():
        if not c.isalpha():
            break
        letters += c
    return letters


@lru_cache(maxsize=4096)
def _hub_for(country: str, postal_code: str | None, region: str | None) -> Hub:
    postal = (postal_code or "").strip().upper()
    if country in ("US", "PR"):
        return _us_hub(Address(country="US", postal_code=postal or None, region=region))
    if country == "CA":
        return CA_HUBS[_CA_FSA.get(postal[:1], "YYZ")]
    if country == "GB":
        return GB_HUBS[_GB_AREA.get(_gb_area(postal), "LHR")]
    if country == "DE":
        return DE_HUBS[_DE_DIGIT.get(postal[:1], "FRA")]
    if country == "FR":
        return FR_HUBS[_FR_DEPT.get(postal[:2], "CDG")]
    if country == "BR":
        return BR_HUBS[_BR_DIGIT.get(postal[:1], "GRU")]
    if country == "AU":
        return AU_HUBS[_AU_DIGIT.get(postal[:1], "SYD")]
    if country in SINGLE_HUBS:
        return SINGLE_HUBS[country]
    return Hub(f"{country}X", None, None, None, country, None, None, "UTC")


def hub_for(address: Address) -> Hub:
    """The regional hub that serves an address."""
    return _hub_for(address.country, address.postal_code, address.region)


def find_hub(code: str) -> Hub:
    for table in (*COUNTRY_HUBS.values(), {h.code: h for h in SINGLE_HUBS.values()}):
        if code in table:
            return table[code]
    raise KeyError(code)


def gateway(country: str, carrier: str) -> Hub | None:
    """The international gateway of a country for a carrier, when the country has several hubs."""
    table = _GATEWAYS.get(country)
    if table is None:
        return SINGLE_HUBS.get(country)
    return find_hub(table.get(carrier, table["*"]))


def air_hub(country: str, carrier: str) -> Hub | None:
    code = AIR_HUBS.get((country, carrier)) or AIR_HUBS.get((country, "*"))
    return find_hub(code) if code else None


@lru_cache(maxsize=8192)
def distance_km(a: Hub, b: Hub) -> float:
    """Great-circle distance between two hubs (haversine)."""
    if a.code == b.code:
        return 0.0
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return UNKNOWN_DISTANCE_KM
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _ground_waypoints(origin: Hub, dest: Hub, *, max_stops: int = 3) -> list[Hub]:
    """Hubs a truck passes through between two hubs of the same country, in order."""
    total = distance_km(origin, dest)
    if total < 700:
        return []
    table = COUNTRY_HUBS.get(origin.country, {})
    slack = max(120.0, 0.12 * total)
    candidates = sorted(
        (
            h
            for h in table.values()
            if h.code not in (origin.code, dest.code)
            and distance_km(origin, h) + distance_km(h, dest) - total <= slack
        ),
        key=lambda h: distance_km(origin, h),
    )
    stops: list[Hub] = []
    last = origin
    while len(stops) < max_stops:
        # a stop must be a real leg away and bring the parcel clearly closer: no zigzags
        here = distance_km(last, dest)
        options = [
            h
            for h in candidates
            if distance_km(last, h) >= 550
            and here - distance_km(h, dest) >= 450
            and distance_km(h, dest) >= 400
        ]
        if not options:
            break
        last = min(
            options,
            key=lambda h: (
                distance_km(last, h) + 2 * (distance_km(last, h) + distance_km(h, dest) - here)
            ),
        )
        stops.append(last)
    return stops


GROUND, AIR, DIRECT = "ground", "air", "direct"


@lru_cache(maxsize=8192)
def route(origin: Hub, dest: Hub, carrier: str, mode: str) -> tuple[Hub, ...]:
    """Every hub a parcel visits, from the origin hub to the destination hub inclusive.

    ``mode`` is ``ground`` (trucks through the hubs on the way), ``air`` (through the
    carrier's air hub or international gateways) or ``direct`` (next flight out).
    """
    path: list[Hub] = [origin]
    km = distance_km(origin, dest)
    if mode == DIRECT:
        pass
    elif origin.country != dest.country:
        if mode == AIR or km > 3000:  # neighbours are reached by road, across the border
            for h in (gateway(origin.country, carrier), gateway(dest.country, carrier)):
                if h is not None and h.code != path[-1].code:
                    path.append(h)
    elif mode == AIR and km >= 500:
        hub = air_hub(origin.country, carrier)
        if hub is not None and hub.code not in (origin.code, dest.code):
            path.append(hub)
    else:
        path.extend(_ground_waypoints(origin, dest))
    if dest.code != path[-1].code:
        path.append(dest)
    return tuple(path)


__all__ = [
    "AIR",
    "AIR_HUBS",
    "AU_HUBS",
    "BR_HUBS",
    "CA_HUBS",
    "COUNTRY_HUBS",
    "DE_HUBS",
    "DIRECT",
    "FR_HUBS",
    "GB_HUBS",
    "GROUND",
    "SINGLE_HUBS",
    "UNKNOWN_DISTANCE_KM",
    "US_HUBS",
    "Hub",
    "air_hub",
    "distance_km",
    "find_hub",
    "gateway",
    "hub_for",
    "route",
]
