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
