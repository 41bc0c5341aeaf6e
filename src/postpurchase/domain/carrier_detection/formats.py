"""The format table: one row per tracking-number format, how to recognise, check and draw it.

Why this exists: carrier detection is data, not code. Each row holds a pattern, a priority and,
where the carrier defines one, the check-digit rule that guards it, plus a generator of valid
numbers for tests and the simulated carrier network. Adding a carrier means adding rows here;
the ranking (`ranking`) reads the table and nothing else.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias

from postpurchase.domain.carrier_detection.checksums import (
    dhl_mod7,
    fedex_mod11,
    gs1_mod10,
    iso7064_mod37_36,
    luhn,
    s10_mod11,
    ups_mod10,
)
from postpurchase.domain.carrier_detection.posts import COUNTRIES_OF, s10_carrier

__all__ = ["FORMATS", "FORMAT_INDEX", "Format", "Part"]

_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Part: TypeAlias = str | tuple[str, int]
"""A piece of a number to generate: a literal, or (alphabet, length) drawn at random."""


def _draw(rng: random.Random, parts: Iterable[Part]) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            alphabet, length = part
            out.append("".join(rng.choice(alphabet) for _ in range(length)))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Format:
    """One row of the table: how to recognise, check and generate one number format."""

    name: str
    carrier: str | None  # None: the carrier comes from the number itself (S10 country suffix)
    pattern: re.Pattern[str]
    priority: int  # lower wins between formats whose check digits agree; see `ranking`
    check: Callable[[str], bool] | None  # None: the carrier defines no check digit
    generate: Callable[[random.Random, str], str]  # (rng, carrier slug) -> a valid number
    weight: int = 1  # how often example_number picks it by default; 0 = only on request

    def carrier_for(self, number: str) -> str | None:
        if self.carrier is not None:
            return self.carrier
        return s10_carrier(number[-2:])


def _trailing(
    algorithm: Callable[[str], str], start: int = 0, implied: str = ""
) -> Callable[[str], bool]:
    """Check rule for the common layout: the last character checks number[start:-1].

    `implied` is a prefix the carrier's rule includes although it is not printed (USPS
    20-digit numbers are IMpb with the "91" application identifier dropped, FedEx SmartPost
    20-digit ones drop "92").
    """

    def check(number: str) -> bool:
        return algorithm(implied + number[start:-1]) == number[-1]

    return check


def _gen_trailing(
    parts: tuple[Part, ...],
    algorithm: Callable[[str], str] | None,
    start: int = 0,
    implied: str = "",
) -> Callable[[random.Random, str], str]:
    """Generator for `_trailing` layouts: draw the body from `parts`, append its check char."""

    def generate(rng: random.Random, carrier: str) -> str:
        body = _draw(rng, parts)
        return body if algorithm is None else body + algorithm(implied + body[start:])

    return generate


def _fmt(
    name: str,
    carrier: str,
    regex: str,
    priority: int,
    parts: tuple[Part, ...],
    algorithm: Callable[[str], str] | None = None,
    *,
    start: int = 0,
    implied: str = "",
    weight: int = 1,
) -> Format:
    check = None if algorithm is None else _trailing(algorithm, start, implied)
    return Format(
        name=name,
        carrier=carrier,
        pattern=re.compile(regex),
        priority=priority,
        check=check,
        generate=_gen_trailing(parts, algorithm, start, implied),
        weight=weight,
    )


def _s10_check(number: str) -> bool:
    return s10_mod11(number[2:10]) == number[10]


def _s10_generate(rng: random.Random, carrier: str) -> str:
    """An S10 number from one of the countries whose post `carrier` is."""
    countries = COUNTRIES_OF.get(carrier)
    if not countries:
        raise ValueError(f"no UPU S10 country for carrier {carrier!r}")
    # Service indicators actually seen on parcels: C (parcel), E (EMS), L (tracked letter),
    # R (registered), U and V; the second letter is free.
    serial = _draw(rng, (("CELRUV", 1), (_LETTERS, 1), (_DIGITS, 8)))
    return serial + s10_mod11(serial[2:]) + rng.choice(countries)


_D = _DIGITS
_AN = _DIGITS + _LETTERS

# Priorities: 10 = a letter prefix/suffix no other carrier uses; 20 = a digit prefix that
# identifies the format (IMpb application identifiers, FedEx "96"/"100", DHL's GS1 prefix);
# 30 = a bare digit string, the larger-volume carrier for that length; 35+ = the same digit
# string claimed by a smaller carrier or a rarer reading; 40 = no check digit to confirm it.
FORMATS: tuple[Format, ...] = (
    # UPS: "1Z" + shipper account (6) + service (2) + package (7) + check over the 15.
    _fmt(
        "ups_1z",
        "ups",
        r"1Z[0-9A-Z]{16}",
        10,
        ("1Z", (_AN, 6), (_D, 2), (_D, 7)),
        ups_mod10,
        start=2,
        weight=8,
    ),
    # UPS Mail Innovations package ID: "MI" + 6-digit customer number + shipper's ID (<= 22).
    _fmt("ups_mi", "ups", r"MI[0-9]{6}[0-9A-Z]{1,22}", 10, ("MI", (_D, 6), (_AN, 14))),
    # UPS "T" + 10 digits (UPS's own list of formats); no check digit is published.
    _fmt("ups_t", "ups", r"T[0-9]{10}", 10, ("T", (_D, 10))),
    # USPS Intelligent Mail package barcode (Publication 199): application identifier 91-95,
    # service type, mailer ID, serial, GS1 check digit; optionally preceded by the routing
    # code "420" + ZIP or ZIP+4, which the check digit does not cover.
    _fmt(
        "usps_impb_22",
        "usps",
        r"9[1-5][0-9]{20}",
        20,
        ("9", ("2345", 1), (_D, 19)),
        gs1_mod10,
        weight=10,
    ),
    _fmt("usps_impb_26", "usps", r"9[1-5][0-9]{24}", 20, ("92", (_D, 23)), gs1_mod10, weight=2),
    _fmt(
        "usps_impb_30",
        "usps",
        r"420[0-9]{5}9[1-5][0-9]{20}",
        20,
        ("420", (_D, 5), "92", (_D, 19)),
        gs1_mod10,
        start=8,
        weight=3,
    ),
    _fmt(
        "usps_impb_34",
        "usps",
        r"420[0-9]{9}9[1-5][0-9]{20}",
        20,
        ("420", (_D, 9), "93", (_D, 19)),
        gs1_mod10,
        start=12,
        weight=3,
    ),
    _fmt(
        "usps_impb_34_long",
        "usps",
        r"420[0-9]{5}9[1-5][0-9]{24}",
        21,
        ("420", (_D, 5), "94", (_D, 23)),
        gs1_mod10,
        start=8,
    ),
    _fmt(
        "usps_impb_38",
        "usps",
        r"420[0-9]{9}9[1-5][0-9]{24}",
        20,
        ("420", (_D, 9), "92", (_D, 23)),
        gs1_mod10,
        start=12,
        weight=0,
    ),
    # DHL Paket NVE: GS1 SSCC with application identifier "00" and DHL's company prefix.
    _fmt(
        "dhl_paket_nve",
        "dhl_paket",
        r"00340434[0-9]{12}",
        20,
        ("00340434", (_D, 11)),
        gs1_mod10,
    ),
    # FedEx Ground "96" barcodes: 22 digits (SCNC, service, then the 15-digit number whose
    # last 14+1 digits carry the GS1 check) and 34 digits (GSN, then a 12-digit tracking
    # number padded to 14 with the FedEx Express mod 11 rule).
    _fmt(
        "fedex_96_22",
        "fedex",
        r"96[0-9]{20}",
        20,
        ("96", (_D, 19)),
        gs1_mod10,
        start=7,
        weight=2,
    ),
    _fmt(
        "fedex_96_34",
        "fedex",
        r"96[0-9]{32}",
        20,
        ("96", (_D, 18), "00", (_D, 11)),
        fedex_mod11,
        start=20,
    ),
    # FedEx Express 34-digit barcode: "100" + ... + the 12-digit tracking number (padded to 14).
    _fmt(
        "fedex_34",
        "fedex",
        r"100[0-9]{31}",
        20,
        ("100", (_D, 17), "00", (_D, 11)),
        fedex_mod11,
        start=20,
    ),
    # FedEx SmartPost rides on USPS IMpb: with "92" it cannot be told from a USPS number, so
    # it ranks below USPS and is only chosen on a "fedex" hint.
    _fmt(
        "fedex_smartpost_22",
        "fedex",
        r"92[0-9]{20}",
        25,
        ("92", (_D, 19)),
        gs1_mod10,
        weight=0,
    ),
    # DHL eCommerce (US) and UPS Mail Innovations also print USPS IMpb numbers, told apart
    # only by the mailer ID inside; like SmartPost they are chosen only on a hint.
    _fmt(
        "dhl_ecommerce_impb",
        "dhl_ecommerce",
        r"9[1-5][0-9]{20}",
        26,
        ("92", (_D, 19)),
        gs1_mod10,
        weight=0,
    ),
    _fmt("ups_mi_impb", "ups", r"9[1-5][0-9]{20}", 27, ("92", (_D, 19)), gs1_mod10, weight=0),
    # FedEx Express 12-digit and FedEx Ground 15-digit numbers.
    _fmt("fedex_12", "fedex", r"[0-9]{12}", 30, ((_D, 11),), fedex_mod11, weight=8),
    _fmt("fedex_15", "fedex", r"[0-9]{15}", 30, ((_D, 14),), gs1_mod10, weight=3),
    # 20 bare digits: USPS legacy (check over the 19), USPS IMpb without its "91", FedEx
    # SmartPost without its "92". The implied prefixes shift the check digit by 8 and 9, so
    # at most one of the three readings holds for any number.
    _fmt("usps_20", "usps", r"[0-9]{20}", 30, ((_D, 19),), gs1_mod10, weight=2),
    _fmt(
        "usps_impb_20",
        "usps",
        r"[0-9]{20}",
        31,
        ((_D, 19),),
        gs1_mod10,
        implied="91",
        weight=0,
    ),
    _fmt(
        "fedex_smartpost_20",
        "fedex",
        r"[0-9]{20}",
        32,
        ((_D, 19),),
        gs1_mod10,
        implied="92",
    ),
    # DHL Express air waybill: 10 digits (11 on some older waybills), check = mod 7.
    _fmt("dhl_express_10", "dhl", r"[0-9]{10,11}", 30, ((_D, 9),), dhl_mod7, weight=8),
    # DHL Express piece IDs / licence plates (DHL's tracking help: "JJD00...", "JVGL...").
    _fmt("dhl_piece_id", "dhl", r"(?:JJD|JVGL)[0-9]{8,20}", 10, ("JJD00", (_D, 10))),
    # DHL eCommerce: "GM", "LX" or "RX" + 10 to 39 digits; no public check digit.
    _fmt(
        "dhl_ecommerce",
        "dhl_ecommerce",
        r"(?:GM|LX|RX)[0-9]{10,39}",
        10,
        ("GM", (_D, 16)),
    ),
    # Amazon Logistics: "TBA" (US), "TBC" (Canada), "TBM" (Mexico) + 12 digits; no check.
    _fmt("amazon_tba", "amazon", r"TB[ACM][0-9]{12}", 10, ("TBA", (_D, 12))),
    # OnTrac: "C" or "D" + 13 digits + check; the letter counts in the UPS mod 10 rule.
    _fmt("ontrac_c", "ontrac", r"C[0-9]{14}", 10, ("C", (_D, 13)), ups_mod10),
    _fmt("ontrac_d", "ontrac", r"D[0-9]{14}", 10, ("D", (_D, 13)), ups_mod10),
    # LaserShip: "1LS" + 12-14 digits and "LX" + 8 digits; no check digit is published.
    _fmt("lasership_1ls", "lasership", r"1LS[0-9]{12,14}", 10, ("1LS7", (_D, 11))),
    _fmt("lasership_lx", "lasership", r"LX1[3-8][0-9]{6}", 10, ("LX1", "5", (_D, 6))),
    # Canada Post 16-digit PIN: GS1 mod 10 over the first 15.
    _fmt("canada_post_16", "canada_post", r"[0-9]{16}", 30, ((_D, 15),), gs1_mod10, weight=3),
    # Purolator: 12 digits starting 0-5 with a Luhn check, or 3 letters + 9 digits.
    _fmt(
        "purolator_12",
        "purolator",
        r"[0-5][0-9]{11}",
        35,
        ("3", (_D, 10)),
        luhn,
        weight=3,
    ),
    _fmt("purolator_alpha", "purolator", r"[A-Z]{3}[0-9]{9}", 10, ((_LETTERS, 3), (_D, 9))),
    # DPD: the 14-digit parcel number (depot + serial); with its ISO 7064 check character;
    # and the 28-character label barcode (ZIP, parcel number, service, country, check).
    _fmt("dpd_14", "dpd", r"[0-9]{14}", 40, ((_D, 14),), weight=3),
    _fmt("dpd_15", "dpd", r"[0-9]{14}[0-9A-Z]", 35, ((_D, 14),), iso7064_mod37_36),
    _fmt("dpd_28", "dpd", r"[0-9]{27}[0-9A-Z]", 10, ((_D, 27),), iso7064_mod37_36, weight=0),
    # UPU S10 (postal operators worldwide): 2 letters, 8-digit serial, check, country code.
    Format(
        name="upu_s10",
        carrier=None,
        pattern=re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}"),
        priority=10,
        check=_s10_check,
        generate=_s10_generate,
        weight=4,
    ),
)

FORMAT_INDEX = {fmt.name: i for i, fmt in enumerate(FORMATS)}
"""Format name -> its position in `FORMATS`."""
