"""Carrier tables: event codes per carrier (UPS, USPS, FedEx, DHL Express) and a generic
table, for our own normalised batch format, and carrier names and slugs from every source
onto our carrier slugs.

The functions that read these tables are in ``status_maps``; the tables live here so they
can be reviewed (and grown) as data.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from postpurchase.adapters.tracking_sources.mapped import (
    EXTRA_BUSINESS_CLOSED,
    EXTRA_CANCELLED,
    EXTRA_CUSTOMS_CLEARED,
    EXTRA_RECIPIENT_UNAVAILABLE,
    EXTRA_TRANSFERRED,
    Mapped,
)
from postpurchase.domain.status import ShipmentStatus, Substatus

S = ShipmentStatus

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
    "OF": Mapped(S.OUT_FOR_DELIVERY),  # out for delivery
    "FS": Mapped(S.DELIVERED),
    "KB": Mapped(S.DELIVERED),
}

_USPS: Final = {
    "MA": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # pre-shipment info sent
    # USPS Tracking API v3 sample (karrio's usps fixture): "Shipping Label Created, USPS
    # Awaiting Item" -- not a cancellation
    "GX": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
    "A1": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrived at USPS regional facility
    "T1": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # departed USPS regional facility
    "SF": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # departed post office
    "TL": Mapped(S.IN_TRANSIT),  # in transit to next facility
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
    "AO": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # at origin (karrio's fedex fixture)
    "AE": Mapped(S.IN_TRANSIT),  # shipment arriving early
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
    "POD": Mapped(S.DELIVERED),  # proof of delivery (MyDHL API typeCode)
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

# UPS: an activity's meaning is its *type* (I = in transit or out for delivery, D = delivered,
# X = exception, M = billing information received, MV = voided, P = pickup, RS = returned)
# refined by its status *code*. Read as (type, code) first, then the code alone (``_UPS``),
# then the type alone. Types: UPS Tracking API "Package Activity Types"; codes: UPS manifest
# codes, UPS's Tracking API sample and karrio's ups fixture.
UPS_ACTIVITY: Final = MappingProxyType(
    {
        ("I", "OF"): Mapped(S.OUT_FOR_DELIVERY),  # out for delivery
        ("I", "OT"): Mapped(S.OUT_FOR_DELIVERY),  # out for delivery today
        ("I", "OR"): Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # origin scan
        ("I", "AR"): Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrival scan
        ("I", "DP"): Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # departure scan
        ("M", "MP"): Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # ready for UPS
        ("M", "DP"): Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # manifest processed
        ("M", "VP"): Mapped(S.EXCEPTION, EXTRA_CANCELLED),  # manifest cancelled, voided
        ("D", "FS"): Mapped(S.DELIVERED),
        ("D", "KB"): Mapped(S.DELIVERED),
        ("D", "2W"): Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER),  # from Access Point
        ("X", "SR"): Mapped(S.IN_TRANSIT, EXTRA_CUSTOMS_CLEARED),  # released by customs
        ("X", "CD"): Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # held by customs
        ("X", "RF"): Mapped(S.EXCEPTION, Substatus.REFUSED),  # receiver refused
        ("X", "RS"): Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        ("X", "NH"): Mapped(S.ATTEMPT_FAILED, EXTRA_RECIPIENT_UNAVAILABLE),  # not home
        ("X", "48"): Mapped(S.ATTEMPT_FAILED, Substatus.REDELIVERY_SCHEDULED),  # receiver away
        ("X", "WT"): Mapped(S.EXCEPTION, Substatus.WEATHER),  # severe weather delay
        ("X", "AI"): Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # address incomplete
        ("X", "LS"): Mapped(S.EXCEPTION, Substatus.LOST),  # cannot be located
        ("X", "ZP"): Mapped(S.AVAILABLE_FOR_PICKUP),  # held at UPS Access Point
    }
)

UPS_ACTIVITY_TYPES: Final = MappingProxyType(
    {
        "M": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        "MV": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
        "P": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
        "I": Mapped(S.IN_TRANSIT),
        "O": Mapped(S.OUT_FOR_DELIVERY),
        "D": Mapped(S.DELIVERED),
        "X": Mapped(S.EXCEPTION),
        "RS": Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        "U": Mapped(S.IN_TRANSIT),  # an update (Track Alert)
    }
)

_CANADA_POST: Final = {  # event identifiers (karrio's canadapost fixture, Canada Post samples)
    "0100": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # item processed at postal facility
    "0173": Mapped(S.EXCEPTION, Substatus.ADDRESS_ISSUE),  # addressing error, correcting
    "0174": Mapped(S.OUT_FOR_DELIVERY),  # item out for delivery
    "1496": Mapped(S.DELIVERED),  # item successfully delivered
    "20": Mapped(S.DELIVERED, Substatus.SIGNED),  # signature image recorded
}

_DPD: Final = {  # DPD parcel life-cycle status codes (karrio's dpd fixture)
    "PickedUp": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # DPD has received your parcel
    "BetweenDepots": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # at dispatch centre
    "Depot": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # at parcel delivery centre
    "Courier": Mapped(S.OUT_FOR_DELIVERY),  # left the delivery centre for the consignee
    "DeliveryFailure": Mapped(S.ATTEMPT_FAILED),  # not able to deliver
    "ReturningFromDelivery": Mapped(S.ATTEMPT_FAILED, Substatus.REDELIVERY_SCHEDULED),
    "ParcelShop": Mapped(S.AVAILABLE_FOR_PICKUP),  # delivered by driver to a Pickup shop
    "Delivered": Mapped(S.DELIVERED),
}

_GLS: Final = {  # GLS Track and Trace status codes (karrio's gls fixture, GLS samples)
    "INTIAL.PREADVICE": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # data entered
    "INTIAL.NORMAL": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # handed over to GLS
    "INTRANSIT": Mapped(S.IN_TRANSIT),
    "INDELIVERY": Mapped(S.OUT_FOR_DELIVERY),
    "DELIVERED": Mapped(S.DELIVERED),
    "DELIVEREDPS": Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER),  # at ParcelShop
    "NOTDELIVERED": Mapped(S.ATTEMPT_FAILED),
    "INWAREHOUSE": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
    "CANCELED": Mapped(S.EXCEPTION, EXTRA_CANCELLED),
}

_PUROLATOR: Final = {  # ScanType values of Purolator's Tracking Service
    "ProofOfPickUp": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),
    "Other": Mapped(S.IN_TRANSIT),
    "OnDelivery": Mapped(S.OUT_FOR_DELIVERY),
    "Delivery": Mapped(S.DELIVERED),
    "Undeliverable": Mapped(S.ATTEMPT_FAILED),
}

_ROYAL_MAIL: Final = {  # Tracking API v2 event codes (Royal Mail's guide, published samples)
    "EVAIE": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # sender preparing item
    "EVAIP": Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED),  # sender despatching item
    "EVPPA": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # accepted at Post Office/parcelshop
    "EVOCO": Mapped(S.IN_TRANSIT, Substatus.PICKED_UP),  # received, being processed
    "EVDAV": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # item received
    "EVDAC": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # item received
    "EVBAV": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # item received
    "EVIMC": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # received at international hub
    "EVIAV": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # received in the UK from abroad
    "EVOAC": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # item received at (mail centre)
    "EVORI": Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL),  # arrived at
    "EVODO": Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE),  # despatched to delivery office
    "EVGMI": Mapped(S.IN_TRANSIT),  # in transit
    "RSRXS": Mapped(S.IN_TRANSIT),  # delivery (redelivery) request received
    "RORXS": Mapped(S.IN_TRANSIT),  # delivery request received
    "EVGPD": Mapped(S.OUT_FOR_DELIVERY),  # due to be delivered today
    "EVKSP": Mapped(S.DELIVERED, Substatus.SIGNED),  # delivered and signed
    "EVKSF": Mapped(S.DELIVERED, Substatus.LEFT_AT_DOOR),  # delivered to safeplace
    "EVKOP": Mapped(S.DELIVERED),  # delivered by (the postman)
    "EVPLC": Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER),  # collected
    "EVKLS": Mapped(S.AVAILABLE_FOR_PICKUP),  # delivered to your collection point
    "EVPLA": Mapped(S.AVAILABLE_FOR_PICKUP),  # available for collection
    "EVNDA": Mapped(S.AVAILABLE_FOR_PICKUP),  # available for redelivery or collection
    "EVKNA": Mapped(S.ATTEMPT_FAILED),  # delivery attempted: no answer
    "EVKNR": Mapped(S.ATTEMPT_FAILED),  # delivery attempted
    "EVNPS": Mapped(S.ATTEMPT_FAILED, EXTRA_RECIPIENT_UNAVAILABLE),  # nobody home (karrio)
    "EVNSR": Mapped(S.ATTEMPT_FAILED, Substatus.REDELIVERY_SCHEDULED),  # prepared for redelivery
    "EVNRT": Mapped(S.EXCEPTION, Substatus.DELAYED),  # item retention (held by Royal Mail)
    "EVNMI": Mapped(S.EXCEPTION, Substatus.DELAYED),  # missorted (karrio: sorting error)
    "EVNCU": Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD),  # held by customs (karrio)
    "EVNHE": Mapped(S.EXCEPTION, Substatus.DELAYED),  # on hold (karrio)
}

# The simulated carrier's own classes of its codes (its ``statusFamily``, like DHL's unified
# ``statusCode``): read only when the carrier's code table does not know a code.
SIMULATED_FAMILIES: Final = MappingProxyType(
    {
        "pre-transit": Mapped(S.INFO_RECEIVED),
        "transit": Mapped(S.IN_TRANSIT),
        "out-for-delivery": Mapped(S.OUT_FOR_DELIVERY),
        "ready-for-pickup": Mapped(S.AVAILABLE_FOR_PICKUP),
        "delivery-attempted": Mapped(S.ATTEMPT_FAILED),
        "exception": Mapped(S.EXCEPTION),
        "delivered": Mapped(S.DELIVERED),
    }
)

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
        "canada_post": MappingProxyType(_CANADA_POST),
        "dpd": MappingProxyType({k.upper(): v for k, v in _DPD.items()}),
        "gls": MappingProxyType(_GLS),
        "purolator": MappingProxyType({k.upper(): v for k, v in _PUROLATOR.items()}),
        "royal_mail": MappingProxyType(_ROYAL_MAIL),
    }
)


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
