"""How an item travels back, what that costs the shopper, and an estimate of its CO2e.

Four methods: a mail-back label (the shopper takes a boxed parcel to a post office or
locker), a QR drop-off at a partner point (box-free: the point bags and consolidates the
items), a return at one of the merchant's stores, and a courier pickup at the door.

The carbon estimate is distance × mode emission factor, per leg (docs/returns.md, "Carbon"):

- line haul, shopper's area → the merchant's returns address: road distance (great-circle
  distance × :data:`ROAD_DETOUR`) × parcel weight × the HGV factor per tonne-km;
- first mile by method: a pickup costs the courier van a dedicated detour; a parcel dropped
  at a post office or partner point rides a collection van's round, shared by the parcels
  on it; an in-store return is the shopper's car trip to the store and back, and the store
  sends the item on with its own consolidated freight (line haul only);
- packaging: a mail-back parcel uses a new box; a QR drop-off and an in-store return do not.

Factors are module constants with their source next to them so a merchant can see (and the
docs can state) where a number came from; the result says how precise its distance was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from postpurchase.domain.errors import InvalidInput


class ReturnMethod(StrEnum):
    MAIL = "mail"  # printed label, boxed parcel to a post office or locker
    DROP_OFF = "drop_off"  # QR code at a partner point, no box, consolidated
    IN_STORE = "in_store"  # handed over at a counter of the merchant's
    PICKUP = "pickup"  # a courier collects at the door


# ---- emission factors (kg CO2e) -----------------------------------------------------------------
# HGV road freight, all HGVs UK average laden, well-to-wheel ("grand total" incl. indirect):
# 0.14993 kg CO2e per tonne-km. Source: Defra/DECC, 2012 Guidelines to GHG Conversion Factors
# for Company Reporting, Annex 7, table 7e.
HGV_PER_TONNE_KM = Decimal("0.14993")
# A diesel van of up to 3.5 t, average, per vehicle-km: 0.25 (UK DESNZ GHG conversion factors,
# "Delivery vehicles: vans, average (up to 3.5 tonnes), diesel", rounded to two places).
VAN_PER_KM = Decimal("0.25")
# An average car, unknown fuel, per vehicle-km: 0.17 (UK DESNZ GHG conversion factors,
# "Passenger vehicles: cars, average car, unknown fuel", rounded to two places).
CAR_PER_KM = Decimal("0.17")
# A corrugated cardboard shipping box of ~250 g at ~0.9 kg CO2e per kg (paper and board,
# primary material, DESNZ "Material use"), rounded.
BOX_KG_CO2E = Decimal("0.22")

ROAD_DETOUR = Decimal("1.2")  # road km per great-circle km (GLEC-style distance adjustment)
PICKUP_DETOUR_KM = Decimal("3")  # the van's extra km for one dedicated stop
SHARED_ROUND_KM = Decimal("0.5")  # one parcel's share of a collection van's round
STORE_TRIP_KM = Decimal("10")  # a car trip to the store and back, when nothing better is known
DEFAULT_WEIGHT_KG = Decimal("1")  # when the items' weight is unknown
UNKNOWN_DISTANCE_KM = Decimal("500")  # neither end located: a national-scale haul


class Precision(StrEnum):
    """How the line-haul distance was found (said next to the estimate)."""

    POSTAL = "postal"  # postal-code centroids at both ends
    REGION = "region"  # a region's (state's) centroid or capital at one end at least
    COUNTRY = "country"  # country centroids
    NONE = "none"  # nothing located: UNKNOWN_DISTANCE_KM


@dataclass(frozen=True, slots=True)
class Footprint:
    method: ReturnMethod
    kg_co2e: Decimal  # rounded to 10 g
    distance_km: Decimal  # the line haul, road km
    precision: Precision
    legs: tuple[tuple[str, Decimal], ...]  # (leg, kg CO2e) before rounding the total


def _kg(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def footprint(
    method: ReturnMethod,
    great_circle_km: Decimal | None,
    precision: Precision,
    *,
    weight_grams: int | None = None,
    store_trip_km: Decimal | None = None,
) -> Footprint:
    """The estimated kg CO2e of returning a parcel by ``method`` (see the module's text).

    ``great_circle_km`` is the distance from the shopper's area to the returns address;
    None means neither end was located (the estimate then assumes a national haul and says
    so through ``precision``).
    """
    if great_circle_km is not None and great_circle_km < 0:
        raise InvalidInput("a distance is never negative", field="distance_km")
    if weight_grams is not None and weight_grams < 0:
        raise InvalidInput("a weight is never negative", field="weight_grams")
    if great_circle_km is None:
        road, precision = UNKNOWN_DISTANCE_KM, Precision.NONE
    else:
        road = great_circle_km * ROAD_DETOUR
    tonnes = (Decimal(weight_grams) / 1000 if weight_grams else DEFAULT_WEIGHT_KG) / 1000
    legs: list[tuple[str, Decimal]] = [("line_haul", road * tonnes * HGV_PER_TONNE_KM)]
    if method is ReturnMethod.PICKUP:
        legs.append(("pickup_van", PICKUP_DETOUR_KM * VAN_PER_KM))
    elif method in (ReturnMethod.MAIL, ReturnMethod.DROP_OFF):
        legs.append(("collection_round", SHARED_ROUND_KM * VAN_PER_KM))
    else:
        trip = store_trip_km if store_trip_km is not None else STORE_TRIP_KM
        legs.append(("shopper_car", trip * CAR_PER_KM))
    if method in (ReturnMethod.MAIL, ReturnMethod.PICKUP):
        legs.append(("box", BOX_KG_CO2E))
    total = sum((kg for _, kg in legs), Decimal(0))
    return Footprint(method, _kg(total), road.quantize(Decimal("0.1")), precision, tuple(legs))


@dataclass(frozen=True, slots=True)
class MethodTerms:
    """One method the merchant offers: the shopper's cost per currency (absent: free)."""

    method: ReturnMethod
    fee: Mapping[str, Decimal] = field(default_factory=dict)
    merchant_fault_free: bool = True  # no fee when every line is the shop's fault

    def cost(self, currency: str, *, merchant_fault: bool = False) -> Decimal:
        if merchant_fault and self.merchant_fault_free:
            return Decimal(0)
        return self.fee.get(currency, Decimal(0))


def default_methods() -> tuple[MethodTerms, ...]:
    """What a policy offers unless it says otherwise: a free mail-back label only."""
    return (MethodTerms(ReturnMethod.MAIL),)


@dataclass(frozen=True, slots=True)
class MethodOption:
    """One method as the shopper sees it: its cost and its estimated footprint."""

    terms: MethodTerms
    cost: Decimal
    currency: str
    footprint: Footprint


def options(
    offered: tuple[MethodTerms, ...],
    currency: str,
    great_circle_km: Decimal | None,
    precision: Precision,
    *,
    weight_grams: int | None = None,
    merchant_fault: bool = False,
    store_trip_km: Decimal | None = None,
) -> list[MethodOption]:
    """Every offered method with its cost and CO2e, the lowest footprint first."""
    out = [
        MethodOption(
            t,
            t.cost(currency, merchant_fault=merchant_fault),
            currency,
            footprint(
                t.method,
                great_circle_km,
                precision,
                weight_grams=weight_grams,
                store_trip_km=store_trip_km,
            ),
        )
        for t in offered
    ]
    return sorted(out, key=lambda o: (o.footprint.kg_co2e, o.cost, o.terms.method.value))


def saved_kg(chosen: Footprint, worst: Footprint) -> Decimal:
    """What choosing ``chosen`` over ``worst`` saves (never negative)."""
    return max(Decimal(0), worst.kg_co2e - chosen.kg_co2e)
