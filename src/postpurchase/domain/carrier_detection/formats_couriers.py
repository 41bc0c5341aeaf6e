"""Format rows of the North American couriers: UPS, FedEx, Amazon, OnTrac, LaserShip,
Canada Post, Purolator, Old Dominion, Canpar, GOFO and Spee-Dee.

Why this exists: the format table is long, so it is kept in three modules by who issues the
numbers (this one, `formats_impb` for numbers on USPS's layouts, `formats_world` for DHL, DPD,
the UK and Asian couriers and the UPU S10 posts); `formats` joins them. Priorities and sources
are explained in `formats`.
"""

from __future__ import annotations

from postpurchase.domain.carrier_detection.checksums import fedex_mod11, gs1_mod10, luhn, ups_mod10
from postpurchase.domain.carrier_detection.rows import AN, DIGITS, LETTERS, Format, row

__all__ = ["COURIER_FORMATS"]

_D = DIGITS
_AN = AN

COURIER_FORMATS: tuple[Format, ...] = (
    # UPS: "1Z" + shipper account (6) + service (2) + package (7) + check over the 15.
    row(
        "ups_1z",
        "ups",
        r"1Z[0-9A-Z]{16}",
        10,
        ("1Z", (_AN, 6), (_D, 2), (_D, 7)),
        ups_mod10,
        start=2,
        weight=8,
        evidence="prefix",
        source="UPS 1Z mod 10 (UPS developer guide); TND ups.json",
    ),
    # UPS Mail Innovations package ID: "MI" + 6-digit customer number + shipper's ID (<= 22).
    row(
        "ups_mi",
        "ups",
        r"MI[0-9]{6}[0-9A-Z]{1,22}",
        10,
        ("MI", (_D, 6), (_AN, 14)),
        evidence="prefix",
        source="UPS Mail Innovations package ID layout; no check digit published",
    ),
    # UPS waybill: service letter + 9 digits + a UPS mod 10 check over the 9 digits.
    row(
        "ups_waybill",
        "ups",
        r"[AHJKTV][0-9]{10}",
        10,
        (("AHJKTV", 1), (_D, 9)),
        ups_mod10,
        start=1,
        evidence="prefix",
        source="TND ups.json (UPS Waybill): UPS mod 10 over the 9 digits after the letter",
    ),
    # FedEx Ground "96" barcodes: 22 digits (SCNC, service, then the 15-digit number whose
    # last 14+1 digits carry the GS1 check) and 34 digits (GSN, then a 12-digit tracking
    # number padded to 14 with the FedEx Express mod 11 rule).
    row(
        "fedex_96_22",
        "fedex",
        r"96[0-9]{20}",
        20,
        ("96", (_D, 19)),
        gs1_mod10,
        start=7,
        weight=2,
        evidence="digits",
        source="FedEx Ground label layout specification; TND fedex.json (FedEx Ground 96)",
    ),
    row(
        "fedex_96_34",
        "fedex",
        r"96[0-9]{32}",
        20,
        ("96", (_D, 18), "00", (_D, 11)),
        fedex_mod11,
        start=20,
        evidence="digits",
        source="TND fedex.json (FedEx Ground GSN): FedEx mod 11 over the last 13 + 1",
    ),
    # FedEx Express 34-digit barcode: first digit 0-8, the 12-digit tracking number (padded
    # to 14) at the end; "100..." is the common form and ranks as a known prefix.
    row(
        "fedex_34",
        "fedex",
        r"[0-8][0-9]{33}",
        30,
        ("100", (_D, 17), "00", (_D, 11)),
        fedex_mod11,
        start=20,
        evidence="digits",
        preferred="100",
        preferred_priority=20,
        source="TND fedex.json (FedEx Express 34): FedEx mod 11 over the last 13 + 1",
    ),
    # FedEx ASTRA barcode: "3" + 15 digits + the 12-digit Express number + 4 digits.
    row(
        "fedex_astra_32",
        "fedex",
        r"3[0-9]{31}",
        20,
        ("3", (_D, 15), (_D, 11)),
        fedex_mod11,
        start=16,
        tail=((_D, 4),),
        weight=0,
        evidence="digits",
        source="TND fedex.json (FedEx ASTRA 32): FedEx mod 11 over positions 17-27, check 28",
    ),
    # GS1 SSCC-18 (FedEx Ground prints it), alone or after its application identifier "00".
    row(
        "fedex_sscc_18",
        "fedex",
        r"[0-9]{18}",
        30,
        ((_D, 17),),
        gs1_mod10,
        weight=0,
        evidence="digits",
        source="GS1 General Specifications (SSCC check digit); TND fedex.json (SSCC-18)",
    ),
    row(
        "fedex_sscc_20",
        "fedex",
        r"00[0-9]{18}",
        28,
        ("00", (_D, 17)),
        gs1_mod10,
        weight=0,
        evidence="digits",
        source="GS1 General Specifications (SSCC with AI 00); TND fedex.json (SSCC-18)",
    ),
    # FedEx door tag: "DT" + a 12-digit FedEx Express number.
    row(
        "fedex_door_tag",
        "fedex",
        r"DT[0-9]{12}",
        10,
        ("DT", (_D, 11)),
        fedex_mod11,
        start=2,
        weight=0,
        evidence="prefix",
        source="FedEx developer mock tracking numbers (DT771613423732); FedEx mod 11",
    ),
    # FedEx Express 12-digit and FedEx Ground 15-digit numbers.
    row(
        "fedex_12",
        "fedex",
        r"[0-9]{12}",
        30,
        ((_D, 11),),
        fedex_mod11,
        weight=8,
        evidence="digits",
        source="FedEx Express mod 11 (weights 1,3,7 from the right); TND fedex.json",
    ),
    row(
        "fedex_15",
        "fedex",
        r"[0-9]{15}",
        30,
        ((_D, 14),),
        gs1_mod10,
        weight=3,
        evidence="digits",
        source="FedEx Ground label layout specification, GS1 mod 10; TND fedex.json",
    ),
    # Amazon Logistics: "TBA" (US), "TBC" (Canada), "TBM" (Mexico) + 12 digits; and the
    # international "A"/"C"/"F" + 10 digits (below a valid UPS waybill "A..."); no check.
    row(
        "amazon_tba",
        "amazon",
        r"TB[ACM][0-9]{12}",
        10,
        ("TBA", (_D, 12)),
        evidence="prefix",
        source="TND amazon.json (Amazon Logistics); no check digit",
    ),
    row(
        "amazon_intl",
        "amazon",
        r"[ACF][0-9]{10}",
        12,
        ("C", (_D, 10)),
        weight=0,
        evidence="shape",
        source="TND amazon.json (Amazon International); no check digit",
    ),
    # OnTrac: "C" or "D" + 13 digits + check; the letter counts in the UPS mod 10 rule.
    row(
        "ontrac_c",
        "ontrac",
        r"C[0-9]{14}",
        10,
        ("C", (_D, 13)),
        ups_mod10,
        evidence="prefix",
        source="TND ontrac.json: UPS mod 10 with the letter counted (C=4)",
    ),
    row(
        "ontrac_d",
        "ontrac",
        r"D[0-9]{14}",
        10,
        ("D", (_D, 13)),
        ups_mod10,
        evidence="prefix",
        source="TND ontrac.json: UPS mod 10 with the letter counted (D=5)",
    ),
    # LaserShip: "1LS" + 12-14 digits, "1LSCX" + 10 letters/digits, and "L" + A/I/E/H/N/X +
    # 1-3 + 7 digits; no check digit is published.
    row(
        "lasership_1ls",
        "lasership",
        r"1LS[0-9]{12,14}",
        10,
        ("1LS7", (_D, 11)),
        evidence="prefix",
        source="TND lasership.json (1LS7 15 and 18); no check digit",
    ),
    row(
        "lasership_1lscx",
        "lasership",
        r"1LSCX[0-9A-Z]{10}",
        10,
        ("1LSCX", (_AN, 10)),
        weight=0,
        evidence="prefix",
        source="TND lasership.json (1LSCX); no check digit",
    ),
    row(
        "lasership_lx",
        "lasership",
        r"L[AEHINX][1-3][0-9]{7}",
        10,
        ("L", ("AEHINX", 1), ("123", 1), (_D, 7)),
        evidence="shape",
        source="TND lasership.json (LaserShip LX); no check digit",
    ),
    # Canada Post 16-digit PIN: GS1 mod 10 over the first 15.
    row(
        "canada_post_16",
        "canada_post",
        r"[0-9]{16}",
        30,
        ((_D, 15),),
        gs1_mod10,
        weight=3,
        evidence="digits",
        source="Canada Post 16-digit PIN, mod 10 (weights 3,1); TND canadapost.json",
    ),
    # Purolator: 12 digits starting 0-5 with a Luhn check, or 3 letters + 9 digits. Where a
    # number is also a valid FedEx Express number, a leading 0-3 goes to Purolator (every
    # published Purolator PIN starts 2 or 3; FedEx's published 12-digit ones start 1, 3-9).
    row(
        "purolator_12",
        "purolator",
        r"[0-5][0-9]{11}",
        35,
        ("3", (_D, 10)),
        luhn,
        weight=3,
        preferred="[0-3]",
        preferred_priority=29,
        evidence="digits",
        source="TND purolator.json (Purolator 12): Luhn",
    ),
    row(
        "purolator_alpha",
        "purolator",
        r"[A-Z]{3}[0-9]{9}",
        12,
        ((LETTERS, 3), (_D, 9)),
        evidence="shape",
        source="TND purolator.json (alpha + 9); no check digit",
    ),
    # Old Dominion (LTL) PRO numbers: 777/778/072/780 + 7 digits, or guaranteed "80" + 8
    # digits, each + a Luhn check digit; they rank above DHL's 11-digit waybills.
    row(
        "old_dominion",
        "old_dominion",
        r"(?:77[78]|072|780)[0-9]{8}",
        25,
        ((_D, 7),),
        luhn,
        lead=("777", "778", "072", "780"),
        evidence="digits",
        source="TND old_dominion.json (Old Dominion): Luhn",
    ),
    row(
        "old_dominion_guaranteed",
        "old_dominion",
        r"80[0-9]{9}",
        25,
        ("80", (_D, 8)),
        luhn,
        weight=0,
        evidence="digits",
        source="TND old_dominion.json (Guaranteed Shipment): Luhn",
    ),
    # Canpar: one of C D K L S U X Z + 21 digits; no check digit.
    row(
        "canpar_22",
        "canpar",
        r"[CDKLSUXZ][0-9]{21}",
        12,
        (("CDKLSUXZ", 1), (_D, 21)),
        evidence="shape",
        source="TND canpar.json (Canpar 22); no check digit",
    ),
    row(
        "gofo_us",
        "gofo",
        r"GFUS[0-9]{14}",
        10,
        ("GFUS", (_D, 14)),
        evidence="prefix",
        source="TND gofo.json; no check digit",
    ),
    row(
        "speedee",
        "speedee",
        r"SP[0-9]{18}",
        10,
        ("SP", (_D, 18)),
        evidence="prefix",
        source="TND speedee.json (Spee-Dee 20); no check digit",
    ),
)
