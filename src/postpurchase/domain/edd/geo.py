"""Where a postal code is, roughly: enough to tell a lane and a distance apart.

Distance is the strongest order-time signal for transit time, but a full postal-code
gazetteer is data the platform does not ship. This module holds the small public facts that
get most of the way for Brazil (the first market with real data): the CEP ranges of each
state and the coordinates of each state capital, plus the ranges of each capital's own
CEPs (a parcel to a capital usually beats one to the interior of the same state). Adapters
may supply finer centroids (e.g. Olist's geolocation file) through ``PostalCentroids``.

The United States' counterparts (ZIP prefix to state, state capitals) live in :mod:`.geo_us`.

Everything here is approximate on purpose and says so: ``Point.precision`` tells the caller
whether a distance came from a postal-code centroid or only from a state capital.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from postpurchase.domain.edd.geo_us import US_STATE_CAPITALS, us_state_of

EARTH_RADIUS_KM = 6371.0


class Precision(StrEnum):
    POSTAL = "postal"  # centroid of the postal code (or its prefix)
    REGION = "region"  # the region's (state's) capital
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float
    precision: Precision


class PostalCentroids(Protocol):
    """Finer coordinates an adapter may know (country, postal code) -> point."""

    def locate(self, country: str, postal_code: str) -> Point | None: ...


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance; road distance is longer but ranks lanes the same way."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# Brazilian CEP ranges per state, on the 5-digit prefix (inclusive), from Correios' public table.
BR_CEP_RANGES: tuple[tuple[int, int, str], ...] = (
    (1000, 19999, "SP"),
    (20000, 28999, "RJ"),
    (29000, 29999, "ES"),
    (30000, 39999, "MG"),
    (40000, 48999, "BA"),
    (49000, 49999, "SE"),
    (50000, 56999, "PE"),
    (57000, 57999, "AL"),
    (58000, 58999, "PB"),
    (59000, 59999, "RN"),
    (60000, 63999, "CE"),
    (64000, 64999, "PI"),
    (65000, 65999, "MA"),
    (66000, 68899, "PA"),
    (68900, 68999, "AP"),
    (69000, 69299, "AM"),
    (69300, 69399, "RR"),
    (69400, 69899, "AM"),
    (69900, 69999, "AC"),
    (70000, 72799, "DF"),
    (72800, 72999, "GO"),
    (73000, 73699, "DF"),
    (73700, 76799, "GO"),
    (76800, 76999, "RO"),
    (77000, 77999, "TO"),
    (78000, 78899, "MT"),
    (79000, 79999, "MS"),
    (80000, 87999, "PR"),
    (88000, 89999, "SC"),
    (90000, 99999, "RS"),
)

# CEP prefixes of each state capital's own city (approximate, public Correios ranges).
BR_CAPITAL_CEP_RANGES: tuple[tuple[int, int], ...] = (
    (1000, 5999),  # São Paulo
    (8000, 8499),  # São Paulo (east zone)
    (20000, 23799),  # Rio de Janeiro
    (29000, 29099),  # Vitória
    (30000, 31999),  # Belo Horizonte
    (40000, 42599),  # Salvador
    (49000, 49099),  # Aracaju
    (50000, 52999),  # Recife
    (57000, 57099),  # Maceió
    (58000, 58099),  # João Pessoa
    (59000, 59139),  # Natal
    (60000, 61599),  # Fortaleza
    (64000, 64099),  # Teresina
    (65000, 65109),  # São Luís
    (66000, 66999),  # Belém
    (68900, 68914),  # Macapá
    (69000, 69099),  # Manaus
    (69300, 69339),  # Boa Vista
    (69900, 69923),  # Rio Branco
    (70000, 72799),  # Brasília (Distrito Federal)
    (74000, 74899),  # Goiânia
    (76800, 76834),  # Porto Velho
    (77000, 77270),  # Palmas
    (78000, 78109),  # Cuiabá
    (79000, 79124),  # Campo Grande
    (80000, 82999),  # Curitiba
    (88000, 88099),  # Florianópolis
    (90000, 91999),  # Porto Alegre
)

# State capitals (lat, lon), public facts.
BR_STATE_CAPITALS: Mapping[str, tuple[float, float]] = {
    "AC": (-9.97, -67.81),
    "AL": (-9.67, -35.74),
    "AM": (-3.12, -60.02),
    "AP": (0.03, -51.07),
    "BA": (-12.97, -38.50),
    "CE": (-3.73, -38.52),
    "DF": (-15.79, -47.88),
    "ES": (-20.32, -40.34),
    "GO": (-16.68, -49.25),
    "MA": (-2.53, -44.30),
    "MG": (-19.92, -43.94),
    "MS": (-20.44, -54.65),
    "MT": (-15.60, -56.10),
    "PA": (-1.46, -48.50),
    "PB": (-7.12, -34.86),
    "PE": (-8.05, -34.88),
    "PI": (-5.09, -42.80),
    "PR": (-25.43, -49.27),
    "RJ": (-22.91, -43.17),
    "RN": (-5.79, -35.21),
    "RO": (-8.76, -63.90),
    "RR": (2.82, -60.67),
    "RS": (-30.03, -51.23),
    "SC": (-27.59, -48.55),
    "SE": (-10.91, -37.07),
    "SP": (-23.55, -46.63),
    "TO": (-10.18, -48.33),
}


# The countries whose regions this module can place, at their capitals.
_CAPITALS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "BR": BR_STATE_CAPITALS,
    "US": US_STATE_CAPITALS,
}


def normalise_postal_code(country: str, postal_code: str | None) -> str | None:
    """Digits only; Brazilian CEPs (or their 5-digit prefixes) left-padded to 5+ digits, US
    ZIP codes to 5 (ZIP+4: 9).

    Spreadsheets drop the leading zero of São Paulo CEPs ("1310" for "01310") and of New
    England ZIPs ("2134" for "02134"); padding restores it. Anything that is not digits after
    cleaning is unknown, not guessed.
    """
    if postal_code is None:
        return None
    digits = "".join(ch for ch in postal_code if ch.isdigit())
    if not digits or len(digits) != len(postal_code.replace("-", "").replace(" ", "")):
        return None
    if country.upper() == "BR":
        if len(digits) <= 5:
            return digits.zfill(5)
        if len(digits) <= 8:
            return digits.zfill(8)
        return None
    if country.upper() == "US":
        if 4 <= len(digits) <= 5:
            return digits.zfill(5)
        return digits if len(digits) == 9 else None
    return digits


def _br_prefix(postal_code: str | None) -> int | None:
    code = normalise_postal_code("BR", postal_code)
    return int(code[:5]) if code else None


def br_state_of(postal_code: str | None) -> str | None:
    """The state a CEP belongs to, or None when it is not a valid CEP."""
    prefix = _br_prefix(postal_code)
    if prefix is None:
        return None
    for low, high, state in BR_CEP_RANGES:
        if low <= prefix <= high:
            return state
    return None


def br_is_capital(postal_code: str | None) -> bool | None:
    """Whether a CEP is in its state's capital city; None when the CEP is unknown."""
    prefix = _br_prefix(postal_code)
    if prefix is None or br_state_of(postal_code) is None:
        return None
    return any(low <= prefix <= high for low, high in BR_CAPITAL_CEP_RANGES)


def region_of(country: str, postal_code: str | None, region: str | None) -> str | None:
    """The region (state) to use: the postal code decides when it can, else the given one."""
    derived = None
    if country.upper() == "BR":
        derived = br_state_of(postal_code)
    elif country.upper() == "US":
        derived = us_state_of(normalise_postal_code("US", postal_code))
    if derived is not None:
        return derived
    return region.strip().upper() if region and region.strip() else None


def locate(
    country: str,
    postal_code: str | None,
    region: str | None,
    centroids: PostalCentroids | None = None,
) -> Point | None:
    """Best-known coordinates: an adapter's postal centroid, else the region's capital."""
    code = normalise_postal_code(country, postal_code)
    if centroids is not None and code is not None:
        found = centroids.locate(country.upper(), code)
        if found is not None:
            return found
    capitals = _CAPITALS.get(country.upper())
    if capitals is not None:
        state = region_of(country, postal_code, region)
        if state is not None and state in capitals:
            lat, lon = capitals[state]
            return Point(lat, lon, Precision.REGION)
    return None
