"""Mapping tables: every source's status vocabulary onto our unified status model.

Each table maps a source value onto a :class:`Mapped` (our ``ShipmentStatus`` plus a
substatus). A value no table knows maps onto :data:`UNRECOGNISED` (``in_transit`` /
``unrecognised_code``, ``recognised=False``): the event is kept and counted downstream so
the table can grow, never dropped. When a finer code is unknown but its family is known
(an AfterShip subtag ``InTransit_042`` under tag ``InTransit``, an EasyPost
``status_detail`` nobody documented yet), the family's mapping is used and the event stays
recognised: we know what stage the parcel is at, we only miss detail.

Substatus strings come from ``domain.status.Substatus`` where one fits. The few finer ones
(``EXTRA_*`` in ``mapped``) are open strings the domain allows ("carriers keep inventing
detail"); exception substatuses stay inside ``EXCEPTION_SUBSTATUSES`` wherever the meaning
allows so that delay/exception subscribers keep working.

Sources: AfterShip "Delivery Sub-statuses" (tracking API enum, incl. the codes added in
2026), EasyPost Tracker ``status`` / ``status_detail`` values, Shopify Fulfillment
``shipment_status``, and a carrier-code table for our own normalised batch format (common
UPS, USPS, FedEx and DHL Express event codes).

The tables themselves are data in ``source_tables`` and ``carrier_tables``; this module holds
the functions that read them and re-exports the tables by their old names.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

from postpurchase.adapters.tracking_sources.carrier_tables import (
    CARRIER_ALIASES,
    CARRIER_CODES,
    GENERIC_CODES,
    SIMULATED_FAMILIES,
    UPS_ACTIVITY,
    UPS_ACTIVITY_TYPES,
)
from postpurchase.adapters.tracking_sources.mapped import UNRECOGNISED, Mapped
from postpurchase.adapters.tracking_sources.source_tables import (
    AFTERSHIP_SUBTAGS,
    AFTERSHIP_TAGS,
    EASYPOST_STATUS_DETAILS,
    EASYPOST_STATUSES,
    SHOPIFY_SHIPMENT_STATUSES,
)
from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.status import ShipmentStatus

S = ShipmentStatus


def map_aftership(tag: str | None, subtag: str | None = None) -> Mapped:
    """Subtag first; an unknown subtag of a known tag falls back to the tag."""
    if subtag:
        hit = AFTERSHIP_SUBTAGS.get(subtag)
        if hit is not None:
            return hit
        if not tag:
            tag = subtag.partition("_")[0]
    if tag:
        return AFTERSHIP_TAGS.get(tag, UNRECOGNISED)
    return UNRECOGNISED


_EASYPOST_FINAL: Final = frozenset({S.DELIVERED})


def map_easypost(status: str | None, status_detail: str | None = None) -> Mapped:
    """``status`` gives the stage; a known ``status_detail`` adds detail and, for the
    trouble details (lost, damaged, weather...), turns the stage into an exception. A
    ``delivered`` status is taken as it is, whatever its detail."""
    base = EASYPOST_STATUSES.get(status or "", UNRECOGNISED)
    detail = EASYPOST_STATUS_DETAILS.get(status_detail or "")
    if detail is None or base.status in _EASYPOST_FINAL:
        return base  # a delivered scan's detail ("arrived_at_destination") adds nothing
    override, substatus = detail
    if override is not None:
        return Mapped(override, substatus)
    if not base.recognised:
        return base
    return Mapped(base.status, substatus or base.substatus)


def map_shopify_shipment_status(value: str | None) -> Mapped | None:
    """``None`` when Shopify has no shipment status yet (no event to record)."""
    if not value:
        return None
    return SHOPIFY_SHIPMENT_STATUSES.get(value.strip().lower(), UNRECOGNISED)


def map_carrier_code(carrier: str | None, code: str | None) -> Mapped:
    """The carrier's own table, then the generic one; unknown codes are unrecognised."""
    if not code:
        return UNRECOGNISED
    key = code.strip().upper()
    if carrier:
        table = CARRIER_CODES.get(carrier)
        if table is not None:
            hit = table.get(key)
            if hit is not None:
                return hit
    return GENERIC_CODES.get(key, UNRECOGNISED)


def map_carrier_event(carrier: str | None, code: str | None, kind: str | None = None) -> Mapped:
    """A polled carrier event: the carrier's code read together with its own class of it.

    UPS: (activity type, status code) first -- type ``I`` with code ``OF``/``OT`` is out for
    delivery, type ``X`` with ``SR`` is a customs release, not a hold -- then the code
    alone, then the type alone. Other carriers: their code table, then the generic one.
    """
    if carrier == "ups" and kind:
        hit = UPS_ACTIVITY.get((kind.strip().upper(), (code or "").strip().upper()))
        if hit is not None:
            return hit
    mapped = map_carrier_code(carrier, code)
    if mapped.recognised or not kind:
        return mapped
    if carrier == "ups":
        return UPS_ACTIVITY_TYPES.get(kind.strip().upper(), UNRECOGNISED)
    return mapped


def map_simulated_event(carrier: str | None, code: str | None, family: str | None) -> Mapped:
    """The simulated carrier speaks each carrier's codes; a code our table of that carrier
    does not know is read by the simulator's status family (and stays recognised). The
    generic table is not consulted: the family is the simulator's own, better, word."""
    table = CARRIER_CODES.get(carrier or "")
    hit = table.get((code or "").strip().upper()) if table is not None else None
    if hit is not None:
        return hit
    return SIMULATED_FAMILIES.get(family or "", UNRECOGNISED)


_SQUASH: Final = re.compile(r"[^a-z0-9]+")


def _squash(name: str) -> str:
    return _SQUASH.sub("", name.lower())


def _build_lookup() -> dict[str, str]:
    """Every slug carrier detection knows, by slug and by display name, then our aliases."""
    lookup: dict[str, str] = {}
    for slug, display in CARRIERS.items():
        lookup.setdefault(_squash(slug), slug)
        if not slug.startswith("postal_"):
            lookup.setdefault(_squash(display), slug)
    lookup.update(CARRIER_ALIASES)
    return lookup


_CARRIER_LOOKUP: Final = MappingProxyType(_build_lookup())


def normalise_carrier(name: str | None) -> str | None:
    """Our slug for a carrier name or another system's slug, or ``None`` when unknown
    (the caller keeps the raw name; carrier detection from the number can fill in).

    Slugs are those of ``domain.carrier_detection.CARRIERS`` plus a few carriers that have
    no number format there (Evri, Yodel, GLS...)."""
    if not name:
        return None
    return _CARRIER_LOOKUP.get(_squash(name))


__all__ = [
    "AFTERSHIP_SUBTAGS",
    "AFTERSHIP_TAGS",
    "CARRIER_ALIASES",
    "CARRIER_CODES",
    "EASYPOST_STATUSES",
    "EASYPOST_STATUS_DETAILS",
    "GENERIC_CODES",
    "SHOPIFY_SHIPMENT_STATUSES",
    "SIMULATED_FAMILIES",
    "UNRECOGNISED",
    "UPS_ACTIVITY",
    "UPS_ACTIVITY_TYPES",
    "Mapped",
    "map_aftership",
    "map_carrier_code",
    "map_carrier_event",
    "map_easypost",
    "map_shopify_shipment_status",
    "map_simulated_event",
    "normalise_carrier",
]
