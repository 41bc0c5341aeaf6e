"""Mapping tables: every source's status vocabulary onto our unified status model.

Each table maps a source value onto a :class:`Mapped` (our ``ShipmentStatus`` plus a
substatus). A value no table knows maps onto :data:`UNRECOGNISED` (``in_transit`` /
``unrecognised_code``, ``recognised=False``): the event is kept and counted downstream so
the table can grow, never dropped. When a finer code is unknown but its family is known
(an AfterShip subtag ``InTransit_042`` under tag ``InTransit``, an EasyPost
``status_detail`` nobody documented yet), the family's mapping is used and the event stays
recognised: we know what stage the parcel is at, we only miss detail.

Substatus strings come from ``domain.status.Substatus`` where one fits. The few finer ones
below (``EXTRA_*``) are open strings the domain allows ("carriers keep inventing detail");
exception substatuses stay inside ``EXCEPTION_SUBSTATUSES`` wherever the meaning allows so
that delay/exception subscribers keep working.

Sources: AfterShip "Delivery Sub-statuses" (tracking API enum, incl. the codes added in
2026), EasyPost Tracker ``status`` / ``status_detail`` values, Shopify Fulfillment
``shipment_status``, and a carrier-code table for our own normalised batch format (common
UPS, USPS, FedEx and DHL Express event codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.status import ShipmentStatus, Substatus

S = ShipmentStatus


@dataclass(frozen=True, slots=True)
class Mapped:
    status: ShipmentStatus
    substatus: str | None = None
    recognised: bool = True


UNRECOGNISED: Final = Mapped(S.IN_TRANSIT, Substatus.UNRECOGNISED, recognised=False)

# Finer substatuses that have no constant in the domain (yet). Open strings by design.
EXTRA_CUSTOMS_CLEARED: Final = "customs_cleared"
EXTRA_CUSTOMS_PROCESSING: Final = "customs_processing"
EXTRA_ARRIVED_DESTINATION_COUNTRY: Final = "arrived_destination_country"
EXTRA_REDIRECTED: Final = "redirected"
EXTRA_PROBLEM_RESOLVED: Final = "problem_resolved"
EXTRA_CUSTOMER_CONTACTED: Final = "customer_contacted"
EXTRA_APPOINTMENT_SCHEDULED: Final = "appointment_scheduled"
EXTRA_RECIPIENT_UNAVAILABLE: Final = "recipient_unavailable"
EXTRA_BUSINESS_CLOSED: Final = "business_closed"
EXTRA_CASH_ON_DELIVERY: Final = "cash_on_delivery_collected"
EXTRA_LEFT_WITH_NEIGHBOUR: Final = "left_with_neighbour"
EXTRA_UNCLAIMED: Final = "unclaimed"
EXTRA_REJECTED_BY_CARRIER: Final = "rejected_by_carrier"
EXTRA_CANCELLED: Final = "cancelled"
EXTRA_ADDRESS_CORRECTED: Final = "address_corrected"
EXTRA_HELD: Final = "held"
EXTRA_TRANSFERRED: Final = "transferred"
EXTRA_TRACKING_ERROR: Final = "tracking_error"

# --------------------------------------------------------------------------------------
# AfterShip: tags (9 statuses) and subtags ("Tag_NNN").
# --------------------------------------------------------------------------------------

AFTERSHIP_TAGS: Final = MappingProxyType(
    {
        "Pending": Mapped(S.PENDING),
        "InfoReceived": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "InTransit": Mapped(S.IN_TRANSIT),
        "OutForDelivery": Mapped(S.OUT_FOR_DELIVERY),
        "AttemptFail": Mapped(S.ATTEMPT_FAILED),
        "AvailableForPickup": Mapped(S.AVAILABLE_FOR_PICKUP),
        "Delivered": Mapped(S.DELIVERED),
        "Exception": Mapped(S.EXCEPTION),
        "Expired": Mapped(S.EXPIRED, Substatus.NO_SCAN),
    }
)

AFTERSHIP_SUBTAGS: Final = MappingProxyType(
    {
        "Pending_001": Mapped(S.PENDING),  # no information from the carrier yet
        "InfoReceived_001": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "InTransit_001": Mapped(S.IN_TRANSIT),
        "InTransit_002": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # acceptance scan
        "InTransit_003": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrival scan
        "InTransit_004": Mapped(S.IN_TRANSIT, EXTRA_ARRIVED_DESTINATION_COUNTRY),
        "InTransit_005": Mapped(S.IN_TRANSIT, EXTRA_CUSTOMS_CLEARED),
        "InTransit_006": Mapped(S.IN_TRANSIT, EXTRA_CUSTOMS_PROCESSING),  # handed to customs
        "InTransit_007": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # departure scan
        "InTransit_008": Mapped(S.IN_TRANSIT, EXTRA_PROBLEM_RESOLVED),
        "InTransit_009": Mapped(S.IN_TRANSIT, EXTRA_REDIRECTED),  # forwarded to new address
        "OutForDelivery_001": Mapped(S.OUT_FOR_DELIVERY),
        "OutForDelivery_003": Mapped(S.OUT_FOR_DELIVERY, EXTRA_CUSTOMER_CONTACTED),
        "OutForDelivery_004": Mapped(S.OUT_FOR_DELIVERY, EXTRA_APPOINTMENT_SCHEDULED),
        "AttemptFail_001": Mapped(S.ATTEMPT_FAILED),
        "AttemptFail_002": Mapped(S.ATTEMPT_FAILED, EXTRA_RECIPIENT_UNAVAILABLE),
        "AttemptFail_003": Mapped(S.ATTEMPT_FAILED, EXTRA_BUSINESS_CLOSED),
        "AvailableForPickup_001": Mapped(S.AVAILABLE_FOR_PICKUP),
        "Delivered_001": Mapped(S.DELIVERED),
        "Delivered_002": Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER),
        "Delivered_003": Mapped(S.DELIVERED, Substatus.SIGNED),
        "Delivered_004": Mapped(S.DELIVERED, EXTRA_CASH_ON_DELIVERY),
        "Delivered_005": Mapped(S.DELIVERED, EXTRA_LEFT_WITH_NEIGHBOUR),
        "Exception_001": Mapped(S.EXCEPTION),  # unspecified shipping exception
        "Exception_002": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # customer moved
        "Exception_003": Mapped(S.EXCEPTION, Substatus.REFUSED),
        "Exception_004": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # customs delay
        "Exception_005": Mapped(S.EXCEPTION, Substatus.DELAYED),  # external factors
        "Exception_006": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # held for payment
        "Exception_007": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # incorrect address
        "Exception_008": Mapped(S.EXCEPTION, EXTRA_UNCLAIMED),  # pickup missed
        "Exception_009": Mapped(S.EXCEPTION, EXTRA_REJECTED_BY_CARRIER),
        "Exception_010": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),  # returning
        "Exception_011": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),  # returned
        "Exception_012": Mapped(S.EXCEPTION, Substatus.DAMAGED),
        "Exception_013": Mapped(S.EXCEPTION, Substatus.LOST),
        "Exception_016": Mapped(S.EXCEPTION, Substatus.DELAYED),  # processing issue
        "Exception_017": Mapped(S.EXCEPTION, Substatus.WEATHER),  # extreme weather
        "Exception_018": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # documents missing
        "Exception_019": Mapped(S.EXCEPTION, Substatus.DELAYED),  # late flight
        "Exception_020": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
        "Exception_021": Mapped(S.EXCEPTION, Substatus.LOST),  # disposed: it will not arrive
        "Expired_001": Mapped(S.EXPIRED, Substatus.NO_SCAN),
    }
)


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


# --------------------------------------------------------------------------------------
# EasyPost: Tracker / TrackingDetail ``status`` and ``status_detail``.
# --------------------------------------------------------------------------------------

EASYPOST_STATUSES: Final = MappingProxyType(
    {
        "pre_transit": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "in_transit": Mapped(S.IN_TRANSIT),
        "out_for_delivery": Mapped(S.OUT_FOR_DELIVERY),
        "delivered": Mapped(S.DELIVERED),
        "available_for_pickup": Mapped(S.AVAILABLE_FOR_PICKUP),
        "return_to_sender": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        "failure": Mapped(S.EXCEPTION),
        "cancelled": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
        # A tracker error is about the tracker, not the parcel: pre-transit, so it never
        # drags a moving parcel back, and a fresh shipment shows the problem.
        "error": Mapped(S.PENDING, EXTRA_TRACKING_ERROR),
        # EasyPost could not classify the carrier's message: count it.
        "unknown": UNRECOGNISED,
    }
)

# status_detail -> (status override or None to keep the status, substatus)
EASYPOST_STATUS_DETAILS: Final = MappingProxyType(
    {
        "address_correction": (None, EXTRA_ADDRESS_CORRECTED),
        "arrived_at_destination": (None, Substatus.HUB_ARRIVAL),
        "arrived_at_facility": (None, Substatus.HUB_ARRIVAL),
        "arrived_at_pickup_location": (S.AVAILABLE_FOR_PICKUP, None),
        "awaiting_information": (None, None),
        "cancelled": (S.EXCEPTION, EXTRA_CANCELLED),
        "damaged": (S.EXCEPTION, Substatus.DAMAGED),
        "delayed": (S.EXCEPTION, Substatus.DELAYED),
        "delivery_exception": (S.ATTEMPT_FAILED, None),
        "departed_facility": (None, Substatus.HUB_DEPARTURE),
        "departed_origin_facility": (None, Substatus.HUB_DEPARTURE),
        "expired": (S.EXPIRED, Substatus.NO_SCAN),
        "failure": (None, None),
        "held": (None, EXTRA_HELD),
        "in_transit": (None, None),
        "label_created": (None, Substatus.LABEL_CREATED),
        "lost": (S.EXCEPTION, Substatus.LOST),
        "missorted": (S.EXCEPTION, Substatus.DELAYED),
        "out_for_delivery": (S.OUT_FOR_DELIVERY, None),
        "received_at_destination_facility": (None, Substatus.HUB_ARRIVAL),
        "received_at_origin_facility": (None, Substatus.PICKED_UP),
        "refused": (S.EXCEPTION, Substatus.REFUSED),
        "return": (S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        "status_update": (None, None),
        "transferred_to_destination_carrier": (None, EXTRA_TRANSFERRED),
        "transit_exception": (S.EXCEPTION, Substatus.DELAYED),
        "unknown": (None, None),
        "weather_delay": (S.EXCEPTION, Substatus.WEATHER),
    }
)

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


# --------------------------------------------------------------------------------------
# Shopify Fulfillment.shipment_status (REST) and FulfillmentEvent / display statuses.
# --------------------------------------------------------------------------------------

SHOPIFY_SHIPMENT_STATUSES: Final = MappingProxyType(
    {
        "label_printed": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "label_purchased": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "confirmed": Mapped(S.INFO_RECEIVED),
        "ready_for_pickup": Mapped(S.AVAILABLE_FOR_PICKUP),
        "label_voided": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
        "carrier_picked_up": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
        # "picked_up" is the shopper collecting it (local pickup), not the carrier
        "picked_up": Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER),
        "in_transit": Mapped(S.IN_TRANSIT),
        "out_for_delivery": Mapped(S.OUT_FOR_DELIVERY),
        "attempted_delivery": Mapped(S.ATTEMPT_FAILED),
        "delayed": Mapped(S.EXCEPTION, Substatus.DELAYED),
        "delivered": Mapped(S.DELIVERED),
        "failure": Mapped(S.EXCEPTION),
        "not_delivered": Mapped(S.EXCEPTION),
    }
)


def map_shopify_shipment_status(value: str | None) -> Mapped | None:
    """``None`` when Shopify has no shipment status yet (no event to record)."""
    if not value:
        return None
    return SHOPIFY_SHIPMENT_STATUSES.get(value.strip().lower(), UNRECOGNISED)


# --------------------------------------------------------------------------------------
# Carrier event codes, for our normalised batch format (``code`` without ``status``).
# Keys are upper-case. Carrier tables first, then the generic table.
# --------------------------------------------------------------------------------------

_UPS: Final = {
    # Tracking API status.type
    "M": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # billing information received
    "MV": Mapped(S.EXCEPTION, EXTRA_CANCELLED),  # billing information voided
    "P": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
    "I": Mapped(S.IN_TRANSIT),
    "O": Mapped(S.OUT_FOR_DELIVERY),
    "D": Mapped(S.DELIVERED),
    "X": Mapped(S.EXCEPTION),
    "RS": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
    # common activity status codes
    "MP": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # order processed: ready for UPS
    "OR": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # origin scan
    "AR": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrival scan
    "DP": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # departure scan
    "OT": Mapped(S.OUT_FOR_DELIVERY),  # out for delivery today
    "FS": Mapped(S.DELIVERED),
}

_USPS: Final = {
    "MA": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # pre-shipment info sent
    "GX": Mapped(S.EXCEPTION, EXTRA_CANCELLED),  # shipping label cancelled
    "03": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # accepted at USPS origin
    "10": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # processed through facility
    "07": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrival at unit
    "OF": Mapped(S.OUT_FOR_DELIVERY),
    "01": Mapped(S.DELIVERED),
    "02": Mapped(S.ATTEMPT_FAILED),  # notice left
    "51": Mapped(S.ATTEMPT_FAILED, EXTRA_BUSINESS_CLOSED),
    "52": Mapped(S.ATTEMPT_FAILED),  # receptacle full / item oversized
    "53": Mapped(S.ATTEMPT_FAILED),  # receptacle blocked
    "04": Mapped(S.EXCEPTION, Substatus.REFUSED),
    "05": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # undeliverable as addressed
    "21": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # no such number
    "22": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # insufficient address
    "09": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
}

_FEDEX: Final = {
    "OC": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # shipment information sent
    "IN": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # initiated
    "PU": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
    "AR": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
    "AF": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # at local FedEx facility
    "OF": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # at FedEx origin facility
    "FD": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # at FedEx destination
    "SF": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # at sort facility
    "DP": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
    "LO": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # left origin
    "IT": Mapped(S.IN_TRANSIT),
    "TR": Mapped(S.IN_TRANSIT, EXTRA_TRANSFERRED),
    "CC": Mapped(S.IN_TRANSIT, EXTRA_CUSTOMS_CLEARED),
    "OD": Mapped(S.OUT_FOR_DELIVERY),  # on FedEx vehicle for delivery
    "HL": Mapped(S.AVAILABLE_FOR_PICKUP),  # hold at location
    "DL": Mapped(S.DELIVERED),
    "DE": Mapped(S.ATTEMPT_FAILED),  # delivery exception
    "SE": Mapped(S.EXCEPTION, Substatus.DELAYED),  # shipment exception
    "DY": Mapped(S.EXCEPTION, Substatus.DELAYED),
    "DD": Mapped(S.EXCEPTION, Substatus.DELAYED),  # delivery delay
    "CD": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # clearance delay
    "CA": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
    "RS": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
}

_DHL: Final = {  # DHL Express event type codes
    "SA": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # shipment acceptance
    "PU": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
    "PL": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # processed at location
    "AF": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrived at facility
    "AR": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
    "DF": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # departed facility
    "CR": Mapped(S.IN_TRANSIT, EXTRA_CUSTOMS_CLEARED),  # clearance release
    "WC": Mapped(S.OUT_FOR_DELIVERY),  # with courier
    "CC": Mapped(S.AVAILABLE_FOR_PICKUP),  # awaiting collection by consignee
    "OK": Mapped(S.DELIVERED),
    "NH": Mapped(S.ATTEMPT_FAILED, EXTRA_RECIPIENT_UNAVAILABLE),  # not home
    "CA": Mapped(S.ATTEMPT_FAILED, EXTRA_BUSINESS_CLOSED),  # closed on arrival
    "RD": Mapped(S.EXCEPTION, Substatus.REFUSED),
    "BA": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),
    "MS": Mapped(S.EXCEPTION, Substatus.DELAYED),  # mis-sort
    "MD": Mapped(S.EXCEPTION, Substatus.DELAYED),  # missed delivery cycle
    "TD": Mapped(S.EXCEPTION, Substatus.DELAYED),  # transport delay
    "OH": Mapped(S.EXCEPTION, Substatus.DELAYED),  # on hold
    "CD": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),
    "HP": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # held for payment
    "RT": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
}

GENERIC_CODES: Final = MappingProxyType(
    {
        # words, for senders that use readable codes (the simulator does)
        "LABEL_CREATED": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "INFO_RECEIVED": Mapped(S.INFO_RECEIVED),
        "PICKED_UP": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
        "PICKUP": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
        "ARRIVED": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        "HUB_ARRIVAL": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        "DEPARTED": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
        "HUB_DEPARTURE": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
        "IN_TRANSIT": Mapped(S.IN_TRANSIT),
        "OUT_FOR_DELIVERY": Mapped(S.OUT_FOR_DELIVERY),
        "DELIVERY_ATTEMPTED": Mapped(S.ATTEMPT_FAILED),
        "ATTEMPT_FAILED": Mapped(S.ATTEMPT_FAILED),
        "REDELIVERY_SCHEDULED": Mapped(S.ATTEMPT_FAILED, Substatus.REDELIVERY_SCHEDULED),
        "AVAILABLE_FOR_PICKUP": Mapped(S.AVAILABLE_FOR_PICKUP),
        "DELIVERED": Mapped(S.DELIVERED),
        "SIGNED": Mapped(S.DELIVERED, Substatus.SIGNED),
        "LEFT_AT_DOOR": Mapped(S.DELIVERED, Substatus.LEFT_AT_DOOR),
        "EXCEPTION": Mapped(S.EXCEPTION),
        "DELAYED": Mapped(S.EXCEPTION, Substatus.DELAYED),
        "WEATHER_DELAY": Mapped(S.EXCEPTION, Substatus.WEATHER),
        "DAMAGED": Mapped(S.EXCEPTION, Substatus.DAMAGED),
        "LOST": Mapped(S.EXCEPTION, Substatus.LOST),
        "ADDRESS_ISSUE": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),
        "CUSTOMS_HOLD": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),
        "REFUSED": Mapped(S.EXCEPTION, Substatus.REFUSED),
        "RETURNED_TO_SENDER": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        "EXPIRED": Mapped(S.EXPIRED, Substatus.NO_SCAN),
        # two-letter codes most carriers share the meaning of
        "PU": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
        "AR": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        "DP": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
        "IT": Mapped(S.IN_TRANSIT),
        "OD": Mapped(S.OUT_FOR_DELIVERY),
        "OFD": Mapped(S.OUT_FOR_DELIVERY),
        "DL": Mapped(S.DELIVERED),
        "RS": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        "RTS": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
    }
)

CARRIER_CODES: Final = MappingProxyType(
    {
        "ups": MappingProxyType(_UPS),
        "usps": MappingProxyType(_USPS),
        "fedex": MappingProxyType(_FEDEX),
        "dhl": MappingProxyType(_DHL),
    }
)


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


# --------------------------------------------------------------------------------------
# Carrier names and slugs from every source onto our carrier slugs.
# Keys are squashed: lower case, letters and digits only ("DHL eCommerce" -> "dhlecommerce").
# --------------------------------------------------------------------------------------

CARRIER_ALIASES: Final = MappingProxyType(
    {
        "ups": "ups",
        "unitedparcelservice": "ups",
        "upsmailinnovations": "ups",
        "upsmi": "ups",
        "usps": "usps",
        "unitedstatespostalservice": "usps",
        "fedex": "fedex",
        "federalexpress": "fedex",
        "fedexground": "fedex",
        "fedexsmartpost": "fedex",
        "fedexdefault": "fedex",
        "dhl": "dhl",
        "dhlexpress": "dhl",
        "dhlexpressus": "dhl",
        "dhlecommerce": "dhl_ecommerce",
        "dhlecommerceasia": "dhl_ecommerce",
        "dhlecommercesolutions": "dhl_ecommerce",
        "dhlglobalmail": "dhl_ecommerce",
        "dhlpaket": "dhl_paket",
        "dhlparcelde": "dhl_paket",
        "deutschepost": "deutsche_post",
        "canadapost": "canada_post",
        "postescanada": "canada_post",
        "royalmail": "royal_mail",
        "parcelforce": "parcelforce",
        "parcelforceworldwide": "parcelforce",
        "amazon": "amazon",
        "amazonlogistics": "amazon",
        "amazonlogisticsus": "amazon",
        "amazonlogisticsuk": "amazon",
        "amazonshipping": "amazon",
        "amazonshippingplus": "amazon",
        "ontrac": "ontrac",
        "lasership": "lasership",
        "purolator": "purolator",
        "dpd": "dpd",
        "dpduk": "dpd",
        "dpdlocal": "dpd",
        "dpdde": "dpd",
        "canpar": "canpar",
        "evri": "evri",
        "hermes": "evri",
        "hermesuk": "evri",
        "myhermesuk": "evri",
        "yodel": "yodel",
        "gls": "gls",
        "glsus": "gls",
        "postnl": "postnl",
        "australiapost": "australia_post",
        "auspost": "australia_post",
        "startrack": "startrack",
        "newzealandpost": "nz_post",
        "nzpost": "nz_post",
        "laposte": "la_poste",
        "colissimo": "la_poste",
        "chronopost": "chronopost",
        "japanpost": "japan_post",
        "chinapost": "china_post",
        "chinaems": "china_post",
        "postnord": "postnord",
        "bpost": "bpost",
        "swisspost": "swiss_post",
        "correos": "correos",
        "posteitaliane": "poste_italiane",
        "anpost": "an_post",
        "tnt": "tnt",
        "aramex": "aramex",
        "sfexpress": "sf_express",
        "yunexpress": "yunexpress",
        "4px": "4px",
        "asendia": "asendia",
        "sendle": "sendle",
        "indiapost": "india_post",
        "singpost": "singapore_post",
        "hongkongpost": "hongkong_post",
        "koreapost": "korea_post",
        "postennorge": "posten_norge",
        "bring": "posten_norge",
        "posti": "posti",
        "ctt": "ctt",
        "correosdemexico": "correos_de_mexico",
        "veho": "veho",
        "uniuni": "uniuni",
    }
)

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
