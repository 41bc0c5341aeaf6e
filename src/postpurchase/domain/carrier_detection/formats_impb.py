"""Format rows of numbers on USPS's layouts: IMpb (Publication 199) and the 20-digit legacy
numbers, including the same numbers as printed by FedEx SmartPost, DHL eCommerce and UPS Mail
Innovations.

Why this exists: one shape, four carriers; the rows that share it sit together so the rule
that tells them apart (the USPS reading wins, the others only on a hint or by an implied
application identifier) can be read in one place. See `formats` for priorities and sources.
"""

from __future__ import annotations

from postpurchase.domain.carrier_detection.checksums import gs1_mod10
from postpurchase.domain.carrier_detection.rows import DIGITS, Format, row

__all__ = ["IMPB_FORMATS"]

_D = DIGITS
_IMPB = "USPS Publication 199 (IMpb), GS1 mod 10; TND usps.json"

IMPB_FORMATS: tuple[Format, ...] = (
    # USPS Intelligent Mail package barcode (Publication 199): application identifier 91-95,
    # service type, mailer ID, serial, GS1 check digit; optionally preceded by the routing
    # code "420" + ZIP or ZIP+4, which the check digit does not cover.
    row(
        "usps_impb_22",
        "usps",
        r"9[1-5][0-9]{20}",
        20,
        ("9", ("2345", 1), (_D, 19)),
        gs1_mod10,
        weight=10,
        evidence="digits",
        source=_IMPB,
    ),
    row(
        "usps_impb_26",
        "usps",
        r"9[1-5][0-9]{24}",
        20,
        ("92", (_D, 23)),
        gs1_mod10,
        weight=2,
        evidence="digits",
        source=_IMPB,
    ),
    row(
        "usps_impb_30",
        "usps",
        r"420[0-9]{5}9[1-5][0-9]{20}",
        20,
        ("420", (_D, 5), "92", (_D, 19)),
        gs1_mod10,
        start=8,
        weight=3,
        evidence="digits",
        source=_IMPB,
    ),
    row(
        "usps_impb_34",
        "usps",
        r"420[0-9]{9}9[1-5][0-9]{20}",
        20,
        ("420", (_D, 9), "93", (_D, 19)),
        gs1_mod10,
        start=12,
        weight=3,
        evidence="digits",
        source=_IMPB,
    ),
    row(
        "usps_impb_34_long",
        "usps",
        r"420[0-9]{5}9[1-5][0-9]{24}",
        21,
        ("420", (_D, 5), "94", (_D, 23)),
        gs1_mod10,
        start=8,
        evidence="digits",
        source=_IMPB,
    ),
    row(
        "usps_impb_38",
        "usps",
        r"420[0-9]{9}9[1-5][0-9]{24}",
        20,
        ("420", (_D, 9), "92", (_D, 23)),
        gs1_mod10,
        start=12,
        weight=0,
        evidence="digits",
        source=_IMPB,
    ),
    # FedEx SmartPost rides on USPS IMpb: with "92" it cannot be told from a USPS number, so
    # it ranks below USPS and is only chosen on a "fedex" hint.
    row(
        "fedex_smartpost_22",
        "fedex",
        r"92[0-9]{20}",
        25,
        ("92", (_D, 19)),
        gs1_mod10,
        weight=0,
        shadow=True,
        evidence="digits",
        source=_IMPB,
    ),
    # DHL eCommerce (US) and UPS Mail Innovations also print USPS IMpb numbers, told apart
    # only by the mailer ID inside; like SmartPost they are chosen only on a hint.
    row(
        "dhl_ecommerce_impb",
        "dhl_ecommerce",
        r"9[1-5][0-9]{20}",
        26,
        ("92", (_D, 19)),
        gs1_mod10,
        weight=0,
        shadow=True,
        evidence="digits",
        source=_IMPB,
    ),
    row(
        "ups_mi_impb",
        "ups",
        r"9[1-5][0-9]{20}",
        27,
        ("92", (_D, 19)),
        gs1_mod10,
        weight=0,
        shadow=True,
        evidence="digits",
        source=_IMPB,
    ),
    # 20 bare digits: USPS legacy (check over the 19), USPS IMpb without its "91", FedEx
    # SmartPost without its "92". The implied prefixes shift the check digit by 8 and 9, so
    # at most one of the three readings holds for any number.
    row(
        "usps_20",
        "usps",
        r"[0-9]{20}",
        30,
        ((_D, 19),),
        gs1_mod10,
        weight=2,
        evidence="digits",
        source="TND usps.json (USPS 20), GS1 mod 10",
    ),
    row(
        "usps_impb_20",
        "usps",
        r"[0-9]{20}",
        31,
        ((_D, 19),),
        gs1_mod10,
        implied="91",
        weight=0,
        evidence="digits",
        source="TND usps.json (USPS Legacy): GS1 mod 10 with the implied AI 91",
    ),
    row(
        "fedex_smartpost_20",
        "fedex",
        r"[0-9]{20}",
        32,
        ((_D, 19),),
        gs1_mod10,
        implied="92",
        evidence="digits",
        source="USPS Publication 199: GS1 mod 10 with the implied AI 92 (FedEx SmartPost)",
    ),
)
