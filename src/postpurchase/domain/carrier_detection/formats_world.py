"""Format rows of DHL (Express, Paket, eCommerce), DPD, Yodel, Landmark Global, YunExpress and
the UPU S10 numbers of postal operators worldwide.

Why this exists: the format table is split by who issues the numbers (see `formats`); these
are the carriers whose numbers are European, Asian or postal. Priorities and sources are
explained in `formats`.
"""

from __future__ import annotations

import random
import re

from postpurchase.domain.carrier_detection.checksums import (
    dhl_mod7,
    gs1_mod10,
    iso7064_mod37_36,
    s10_mod11,
)
from postpurchase.domain.carrier_detection.posts import COUNTRIES_OF, s10_carrier
from postpurchase.domain.carrier_detection.rows import DIGITS, LETTERS, Format, draw, row

__all__ = ["WORLD_FORMATS"]

_D = DIGITS


def _s10_check(number: str) -> bool:
    return s10_mod11(number[2:10]) == number[10]


def _s10_generate(rng: random.Random, carrier: str) -> str:
    """An S10 number from one of the countries whose post `carrier` is."""
    countries = COUNTRIES_OF.get(carrier)
    if not countries:
        raise ValueError(f"no UPU S10 country for carrier {carrier!r}")
    # Service indicators actually seen on parcels: C (parcel), E (EMS), L (tracked letter),
    # R (registered), U and V; the second letter is free.
    serial = draw(rng, (("CELRUV", 1), (LETTERS, 1), (DIGITS, 8)))
    return serial + s10_mod11(serial[2:]) + rng.choice(countries)


WORLD_FORMATS: tuple[Format, ...] = (
    # DHL Paket NVE: a GS1 SSCC under DHL's company prefixes (3 40433 / 3 40434), printed with
    # or without the application identifier "00".
    row(
        "dhl_paket_nve",
        "dhl_paket",
        r"(?:00)?34043[34][0-9]{12}",
        15,
        ("00340434", (_D, 11)),
        gs1_mod10,
        evidence="digits",
        source="GS1 General Specifications (SSCC, AI 00), DHL company prefixes from DHL NVEs",
    ),
    # DHL Express air waybill: 10 digits (11 on some older waybills), check = mod 7.
    row(
        "dhl_express_10",
        "dhl",
        r"[0-9]{10,11}",
        30,
        ((_D, 9),),
        dhl_mod7,
        weight=8,
        evidence="digits",
        source="DHL Express waybill mod 7; TND dhl.json",
    ),
    # DHL Express piece IDs / licence plates (DHL's tracking help: "JJD00...", "JVGL...").
    # "JJD" + exactly 16 digits is Yodel's layout, which ranks first.
    row(
        "dhl_piece_id",
        "dhl",
        r"(?:JJD|JVGL)[0-9]{8,20}",
        11,
        ("JJD00", (_D, 10)),
        evidence="prefix",
        source="DHL tracking help (tracking ID labels); TND dhl.json; no check digit",
    ),
    # DHL eCommerce: "GM" + 10-39 letters/digits (at least one digit), "LX"/"RX" + 10-39
    # digits, or 14 bare digits (which DPD also prints); no public check digit.
    row(
        "dhl_ecommerce",
        "dhl_ecommerce",
        r"GM(?=[A-Z]*[0-9])[0-9A-Z]{10,39}|(?:LX|RX)[0-9]{10,39}",
        10,
        ("GM", (_D, 16)),
        evidence="prefix",
        source="TND dhl.json (DHL E-Commerce); no check digit",
    ),
    row(
        "dhl_ecommerce_14",
        "dhl_ecommerce",
        r"[0-9]{14}",
        39,
        (("123456789", 1), (_D, 13)),
        weight=0,
        evidence="digits",
        source="TND dhl.json (DHL E-Commerce 14); no check digit",
    ),
    # DPD: the 14-digit parcel number (4-digit sending depot + serial; DPD's depots number
    # 0xxx, so a leading 0 goes to DPD and other 14-digit strings to DHL eCommerce); with its
    # ISO 7064 check character; and the 28-character label barcode (ZIP, parcel number,
    # service, country, check).
    row(
        "dpd_14",
        "dpd",
        r"[0-9]{14}",
        40,
        ("0", (_D, 13)),
        weight=3,
        preferred="0",
        preferred_priority=38,
        evidence="digits",
        source="DPD parcel label specification (depot + serial); no check digit on the 14",
    ),
    row(
        "dpd_15",
        "dpd",
        r"[0-9]{14}[0-9A-Z]",
        35,
        ((_D, 14),),
        iso7064_mod37_36,
        evidence="digits",
        source="DPD parcel label specification, ISO/IEC 7064 MOD 37,36; TND dpd.json",
    ),
    row(
        "dpd_28",
        "dpd",
        r"[0-9]{27}[0-9A-Z]",
        10,
        ((_D, 27),),
        iso7064_mod37_36,
        weight=0,
        evidence="digits",
        source="DPD parcel label specification, ISO/IEC 7064 MOD 37,36; TND dpd.json",
    ),
    # Yodel (UK): "JD" or "JJD" + 16 digits; no check digit.
    row(
        "yodel",
        "yodel",
        r"J?JD[0-9]{16}",
        10,
        ((_D, 16),),
        lead=("JJD", "JD"),
        evidence="prefix",
        source="TND yodel.json; no check digit",
    ),
    # Landmark Global: "LTN" + 8 digits + "N1"; GOFO: "GFUS" + 14 digits; Spee-Dee: "SP" +
    # 18 digits; YunExpress: "YT" + 16 digits. None publishes a check digit.
    row(
        "landmark_ltn",
        "landmark_global",
        r"LTN[0-9]{8}N1",
        10,
        ("LTN", (_D, 8), "N1"),
        evidence="prefix",
        source="TND landmark.json; no check digit",
    ),
    row(
        "yunexpress",
        "yunexpress",
        r"YT[0-9]{16}",
        10,
        ("YT", (_D, 16)),
        evidence="prefix",
        source="TND yunexpress.json; no check digit",
    ),
    # UPU S10 (postal operators worldwide): 2 letters, 8-digit serial, check, country code.
    Format(
        name="upu_s10",
        carrier=None,
        pattern=re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}"),
        priority=10,
        check=_s10_check,
        generate=_s10_generate,
        weight=4,
        evidence="prefix",
        source="UPU S10 standard (mod 11, weights 8,6,4,2,3,5,9,7); TND s10.json",
        carrier_from=lambda number: s10_carrier(number[-2:]),
    ),
)
