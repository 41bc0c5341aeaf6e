"""The distance a return travels, from the best coordinates known for each end.

Postal-code centroids when an adapter knows them (``edd.geo.PostalCentroids``), else the
region's capital where the delivery-date estimator knows regions (Brazil's states), else a
country centroid from the small table below; the result says which precision it reached
(the coarser end decides). Two ends in one country known only as a country are
:data:`SAME_COUNTRY_KM` apart: a typical domestic haul, stated as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from postpurchase.domain.edd.geo import Point, PostalCentroids, haversine_km, locate
from postpurchase.domain.edd.geo import Precision as GeoPrecision
from postpurchase.domain.returns.methods import Precision

SAME_COUNTRY_KM = Decimal("300")

# Approximate geographic centroids (lat, lon) of the countries most orders ship to; rounded
# to a degree's tenth (public gazetteer values), enough for a haul of hundreds of km.
COUNTRY_CENTROIDS: Mapping[str, tuple[float, float]] = {
    "US": (39.8, -98.6), "CA": (56.1, -106.3), "MX": (23.6, -102.6), "BR": (-14.2, -51.9),
    "AR": (-38.4, -63.6), "GB": (54.0, -2.5), "IE": (53.4, -8.2), "FR": (46.6, 2.2),
    "DE": (51.2, 10.4), "NL": (52.1, 5.3), "BE": (50.5, 4.5), "LU": (49.8, 6.1),
    "ES": (40.4, -3.7), "PT": (39.4, -8.2), "IT": (41.9, 12.6), "AT": (47.5, 14.6),
    "CH": (46.8, 8.2), "DK": (56.3, 9.5), "SE": (60.1, 18.6), "NO": (60.5, 8.5),
    "FI": (61.9, 25.7), "PL": (51.9, 19.1), "CZ": (49.8, 15.5), "HU": (47.2, 19.5),
    "GR": (39.1, 21.8), "RO": (45.9, 25.0), "AU": (-25.3, 133.8), "NZ": (-40.9, 174.9),
    "JP": (36.2, 138.3), "IN": (20.6, 79.0), "ZA": (-30.6, 22.9), "CN": (35.9, 104.2),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    postal_code: str | None = None
    region: str | None = None


def _point(place: Place, centroids: PostalCentroids | None) -> tuple[Point | None, Precision]:
    found = locate(place.country, place.postal_code, place.region, centroids)
    if found is not None:
        fine = found.precision is GeoPrecision.POSTAL
        return found, Precision.POSTAL if fine else Precision.REGION
    centre = COUNTRY_CENTROIDS.get(place.country.upper())
    if centre is not None:
        return Point(centre[0], centre[1], GeoPrecision.NONE), Precision.COUNTRY
    return None, Precision.NONE


_ORDER = (Precision.POSTAL, Precision.REGION, Precision.COUNTRY, Precision.NONE)


def distance(
    a: Place | None, b: Place | None, centroids: PostalCentroids | None = None
) -> tuple[Decimal | None, Precision]:
    """Great-circle km between two places and the coarser end's precision; None when an end
    cannot be located at all."""
    if a is None or b is None:
        return None, Precision.NONE
    pa, qa = _point(a, centroids)
    pb, qb = _point(b, centroids)
    if pa is None or pb is None:
        return None, Precision.NONE
    coarse = max(qa, qb, key=_ORDER.index)
    if coarse is Precision.COUNTRY and a.country.upper() == b.country.upper():
        return SAME_COUNTRY_KM, Precision.COUNTRY
    return Decimal(str(round(haversine_km(pa, pb), 1))), coarse
