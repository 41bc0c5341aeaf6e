"""Which carrier issued a tracking number, from its format and its check digit.

Why this exists: a merchant pastes a tracking number (or a storefront sends one with no carrier
or the wrong carrier), and we must know whom to poll, which status mapping to use and which
tracking link to show. The Python libraries for this cover few carriers, so this module is a data
table of our own: one row per number format (a pattern, a priority and, where the carrier defines
one, the check-digit algorithm that guards it) plus the check-digit algorithms themselves.

Why check digits matter: most carriers reuse plain digit strings of the same length (12 digits
is FedEx Express or Purolator, 20 digits is USPS or FedEx SmartPost...). A pattern alone would
guess; the check digit each carrier defines tells the formats apart and catches typos, so the
caller can tell a shopper "this number looks mistyped" before any carrier is asked.

Ranking, documented once because `candidates` and `detect` both rely on it: a format whose
check digit holds beats one whose check fails; then the lower `priority` wins (a specific
prefix such as ``1Z``, ``TBA``, ``420`` or an S10 country suffix beats a bare digit string;
among bare digit strings the carrier with the larger volume wins: FedEx before Purolator and
DPD); then the order of the table. A number that fits a pattern but fails its check digit is
still reported (``valid=False``) because "looks like FedEx, but mistyped" is useful to a person.

Pure domain: stdlib only, no I/O.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

__all__ = [
    "CARRIERS",
    "Detection",
    "candidates",
    "detect",
    "example_number",
    "formats_for",
    "normalise",
]


@dataclass(frozen=True, slots=True)
class Detection:
    """The outcome of matching one tracking number against one format (or against none)."""

    number: str  # normalised: upper-case, spaces/dashes removed
    carrier: str | None  # carrier slug, None when no format matches
    valid: bool  # format matched AND check digit (where the format defines one) holds
    format: str | None  # e.g. "ups_1z", "usps_impb_22", "upu_s10", "fedex_12"


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# Hyphen-minus plus the dashes word processors and PDFs substitute for it; a number copied
# from a shipping e-mail often carries one of these instead of "-".
_DASHES = frozenset("-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")

# No format in the table is longer than this; longer input is not a tracking number, and the
# cap keeps detection cheap whatever a caller pastes.
_MAX_LENGTH = 64


def normalise(raw: str) -> str:
    """Upper-case and drop whitespace and dashes, the way carriers' own tracking forms do.

    Labels print numbers in groups ("1Z 999 AA1 01 2345 6784", "0307-1790-0005"), and people
    type them in lower case, so the same parcel must compare equal however it was written.
    Never raises: anything that is not a string normalises to the empty string.
    """
    if not isinstance(raw, str):
        return ""
    if raw.isalnum() and raw.isascii():  # the common case: already clean, no per-char walk
        return raw.upper()
    return "".join(ch for ch in raw.upper() if not ch.isspace() and ch not in _DASHES)


# --------------------------------------------------------------------------------------------
# Check-digit algorithms. Each takes the payload the carrier's rule covers and returns the
# expected check character, so the same function both validates and generates numbers.
# --------------------------------------------------------------------------------------------


def gs1_mod10(payload: str) -> str:
    """GS1 modulo 10: weights 3,1,3,1... from the rightmost payload digit, check = -sum mod 10.

    Used by USPS IMpb (USPS Publication 199), FedEx Ground / SmartPost, Canada Post's 16-digit
    PIN and GS1 SSCC (DHL Paket NVE). Weights 3 and 1 are both prime to 10, so every single-digit
    substitution changes the check digit.
    """
    total = 0
    for i, ch in enumerate(reversed(payload)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str(-total % 10)


def _ups_value(ch: str) -> int:
    """UPS maps letters onto digits by their ASCII code: A=2, B=3 ... I=0, J=1 ... Z=7."""
    return int(ch) if ch.isdigit() else (ord(ch) - 63) % 10


def ups_mod10(payload: str) -> str:
    """UPS 1Z rule (also OnTrac's): odd positions x1, even positions x2, check = -sum mod 10.

    Letters count through `_ups_value`. The doubled positions are not reduced to a digit sum
    (unlike Luhn), so a substitution that changes a doubled digit by 5 goes unnoticed.
    """
    total = 0
    for i, ch in enumerate(payload):
        total += _ups_value(ch) * (2 if i % 2 == 1 else 1)
    return str(-total % 10)


def fedex_mod11(payload: str) -> str:
    """FedEx Express rule: weights 1,3,7 repeating from the rightmost payload digit.

    For the 11 payload digits of a 12-digit number that reads 3,1,7,3,1,7,3,1,7,3,1 from the
    left. Check = (sum mod 11) mod 10; the final mod 10 folds remainder 10 onto 0.
    """
    weights = (1, 3, 7)
    total = 0
    for i, ch in enumerate(reversed(payload)):
        total += int(ch) * weights[i % 3]
    return str(total % 11 % 10)


def dhl_mod7(payload: str) -> str:
    """DHL Express air waybill rule: the check digit is the payload, read as a number, mod 7."""
    return str(int(payload) % 7)


_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_mod11(payload: str) -> str:
    """UPU S10 rule: weights 8,6,4,2,3,5,9,7 over the 8-digit serial, check = 11 - (sum mod 11).

    A result of 10 becomes 0 and 11 becomes 5, as the S10 standard specifies, so check 5 is
    shared by two remainders and not every substitution is caught.
    """
    total = sum(int(ch) * w for ch, w in zip(payload, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "0" if check == 10 else "5" if check == 11 else str(check)


def luhn(payload: str) -> str:
    """Luhn (ISO/IEC 7812) check digit, used by Purolator's 12-digit PINs."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        digit = int(ch)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str(-total % 10)


_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def iso7064_mod37_36(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system), the check character of DPD parcel numbers.

    Works over digits and letters (0-9 = 0-9, A-Z = 10-35) and returns one of those 36
    characters; it catches every single substitution and every adjacent transposition.
    """
    modulus = 36
    product = modulus
    for ch in payload:
        total = (product + _ALPHANUMERIC.index(ch)) % modulus or modulus
        product = total * 2 % (modulus + 1)
    return _ALPHANUMERIC[(modulus + 1 - product) % modulus]


# --------------------------------------------------------------------------------------------
# Carriers and the UPU S10 country table
# --------------------------------------------------------------------------------------------

_COURIERS: dict[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL Express",
    "dhl_ecommerce": "DHL eCommerce",
    "dhl_paket": "DHL Paket (Germany)",
    "amazon": "Amazon Logistics",
    "ontrac": "OnTrac",
    "lasership": "LaserShip",
    "canada_post": "Canada Post",
    "purolator": "Purolator",
    "dpd": "DPD",
}

# S10 numbers end in the ISO 3166 code of the issuing post. Countries with a well-known
# operator get that operator's slug; several countries may share one operator.
_S10_POSTS: dict[str, tuple[str, str]] = {
    "US": ("usps", "USPS"),
    "CA": ("canada_post", "Canada Post"),
    "GB": ("royal_mail", "Royal Mail"),
    "DE": ("deutsche_post", "Deutsche Post"),
    "FR": ("la_poste", "La Poste"),
    "BR": ("correios", "Correios (Brazil)"),
    "CN": ("china_post", "China Post"),
    "JP": ("japan_post", "Japan Post"),
    "AU": ("australia_post", "Australia Post"),
    "NL": ("postnl", "PostNL"),
    "ES": ("correos", "Correos (Spain)"),
    "IT": ("poste_italiane", "Poste Italiane"),
    "IN": ("india_post", "India Post"),
    "HK": ("hongkong_post", "Hongkong Post"),
    "SG": ("singapore_post", "Singapore Post"),
    "NZ": ("nz_post", "NZ Post"),
    "IE": ("an_post", "An Post"),
    "BE": ("bpost", "bpost"),
    "AT": ("austrian_post", "Austrian Post"),
    "CH": ("swiss_post", "Swiss Post"),
    "SE": ("postnord", "PostNord"),
    "DK": ("postnord", "PostNord"),
    "NO": ("posten_norge", "Posten Norge"),
    "FI": ("posti", "Posti"),
    "PL": ("poczta_polska", "Poczta Polska"),
    "PT": ("ctt", "CTT Correios de Portugal"),
    "CZ": ("czech_post", "Czech Post"),
    "SK": ("slovak_post", "Slovak Post"),
    "HU": ("magyar_posta", "Magyar Posta"),
    "RO": ("posta_romana", "Posta Romana"),
    "BG": ("bulgarian_posts", "Bulgarian Posts"),
    "GR": ("elta", "ELTA Hellenic Post"),
    "HR": ("hrvatska_posta", "Hrvatska posta"),
    "SI": ("posta_slovenije", "Posta Slovenije"),
    "RS": ("posta_srbije", "Posta Srbije"),
    "EE": ("omniva", "Omniva"),
    "LV": ("latvijas_pasts", "Latvijas Pasts"),
    "LT": ("lietuvos_pastas", "Lietuvos pastas"),
    "LU": ("post_luxembourg", "POST Luxembourg"),
    "IS": ("iceland_post", "Iceland Post"),
    "CY": ("cyprus_post", "Cyprus Post"),
    "MT": ("maltapost", "MaltaPost"),
    "UA": ("ukrposhta", "Ukrposhta"),
    "RU": ("russian_post", "Russian Post"),
    "BY": ("belpost", "Belpost"),
    "KZ": ("kazpost", "Kazpost"),
    "TR": ("ptt", "PTT (Turkey)"),
    "IL": ("israel_post", "Israel Post"),
    "AE": ("emirates_post", "Emirates Post"),
    "SA": ("saudi_post", "Saudi Post (SPL)"),
    "EG": ("egypt_post", "Egypt Post"),
    "MA": ("barid_al_maghrib", "Barid Al-Maghrib"),
    "ZA": ("sapo", "South African Post Office"),
    "NG": ("nipost", "NIPOST"),
    "KE": ("posta_kenya", "Posta Kenya"),
    "KR": ("korea_post", "Korea Post"),
    "TW": ("chunghwa_post", "Chunghwa Post"),
    "TH": ("thailand_post", "Thailand Post"),
    "MY": ("pos_malaysia", "Pos Malaysia"),
    "ID": ("pos_indonesia", "Pos Indonesia"),
    "PH": ("philpost", "PHLPost"),
    "VN": ("vietnam_post", "Vietnam Post"),
    "PK": ("pakistan_post", "Pakistan Post"),
    "BD": ("bangladesh_post", "Bangladesh Post"),
    "LK": ("sri_lanka_post", "Sri Lanka Post"),
    "MX": ("correos_de_mexico", "Correos de Mexico"),
    "AR": ("correo_argentino", "Correo Argentino"),
    "CL": ("correos_chile", "Correos de Chile"),
    "CO": ("4_72", "4-72 (Colombia)"),
    "PE": ("serpost", "Serpost"),
}

# Every other ISO 3166-1 alpha-2 code: a valid S10 suffix whose operator we have not named.
# Such numbers get the generic slug "postal_<cc>" rather than being dropped.
_ISO_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
_ISO_COUNTRIES = frozenset(_ISO_COUNTRY_CODES.split())


def _s10_carrier(country: str) -> str | None:
    """Carrier slug for an S10 country suffix; None when the suffix is not a country code."""
    known = _S10_POSTS.get(country)
    if known is not None:
        return known[0]
    return f"postal_{country.lower()}" if country in _ISO_COUNTRIES else None


def _build_carriers() -> dict[str, str]:
    carriers = dict(_COURIERS)
    for slug, name in _S10_POSTS.values():
        carriers.setdefault(slug, name)
    for country in sorted(_ISO_COUNTRIES - _S10_POSTS.keys()):
        carriers[f"postal_{country.lower()}"] = f"National post ({country})"
    return carriers


CARRIERS: Mapping[str, str] = MappingProxyType(_build_carriers())
"""Carrier slug -> display name, for every slug `detect` can return (besides a caller's hint)."""


def _build_countries_of() -> dict[str, tuple[str, ...]]:
    """Carrier slug -> the S10 country suffixes it issues, to generate example numbers."""
    countries_of: dict[str, tuple[str, ...]] = {}
    for country in sorted(_ISO_COUNTRIES):
        slug = _s10_carrier(country)
        if slug is not None:
            countries_of[slug] = (*countries_of.get(slug, ()), country)
    return countries_of


_COUNTRIES_OF = _build_countries_of()


# --------------------------------------------------------------------------------------------
# The format table
# --------------------------------------------------------------------------------------------

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
class _Format:
    """One row of the table: how to recognise, check and generate one number format."""

    name: str
    carrier: str | None  # None: the carrier comes from the number itself (S10 country suffix)
    pattern: re.Pattern[str]
    priority: int  # lower wins between formats whose check digits agree; see module docstring
    check: Callable[[str], bool] | None  # None: the carrier defines no check digit
    generate: Callable[[random.Random, str], str]  # (rng, carrier slug) -> a valid number
    weight: int = 1  # how often example_number picks it by default; 0 = only on request

    def carrier_for(self, number: str) -> str | None:
        if self.carrier is not None:
            return self.carrier
        return _s10_carrier(number[-2:])


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
) -> _Format:
    check = None if algorithm is None else _trailing(algorithm, start, implied)
    return _Format(
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
    countries = _COUNTRIES_OF.get(carrier)
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
_FORMATS: tuple[_Format, ...] = (
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
    _Format(
        name="upu_s10",
        carrier=None,
        pattern=re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}"),
        priority=10,
        check=_s10_check,
        generate=_s10_generate,
        weight=4,
    ),
)

_FORMAT_INDEX = {fmt.name: i for i, fmt in enumerate(_FORMATS)}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _ranked(number: str) -> list[Detection]:
    """Every format the normalised number fits, best first (see module docstring)."""
    if not number or len(number) > _MAX_LENGTH:
        return []
    found: list[tuple[bool, int, int, Detection]] = []
    for index, fmt in enumerate(_FORMATS):
        if fmt.pattern.fullmatch(number) is None:
            continue
        carrier = fmt.carrier_for(number)
        if carrier is None:
            continue
        valid = fmt.check is None or fmt.check(number)
        found.append((not valid, fmt.priority, index, Detection(number, carrier, valid, fmt.name)))
    found.sort(key=lambda row: row[:3])
    return [row[3] for row in found]


def candidates(raw: str) -> list[Detection]:
    """Every format `raw` fits, best first: valid before invalid, then priority, then table order.

    Exposed because a bare digit string can be several carriers' number at once; a support
    screen or an import job can show the alternatives instead of trusting the first guess.
    """
    return _ranked(normalise(raw))


def detect(raw: str, hint: str | None = None) -> Detection:
    """The carrier and format of a tracking number; never raises.

    `hint` is the carrier slug the caller (a storefront, a merchant) claims. Storefronts are
    often right about the carrier when the number alone is ambiguous (FedEx SmartPost numbers
    are USPS IMpb numbers), and often wrong when a label was bought elsewhere; so:

    * a valid reading for the hinted carrier wins;
    * otherwise the best valid reading of any carrier wins (the hint was wrong);
    * otherwise (no check digit holds) the hinted carrier's reading, then the best reading,
      both with ``valid=False``;
    * when no format fits at all: ``carrier=hint`` (or None), ``format=None``, ``valid=False``.
    """
    number = normalise(raw)
    ranked = _ranked(number)
    claimed = hint.strip().lower() if isinstance(hint, str) and hint.strip() else None
    if claimed is not None:
        for detection in ranked:
            if detection.carrier == claimed and detection.valid:
                return detection
    if ranked and ranked[0].valid:
        return ranked[0]
    if claimed is not None:
        for detection in ranked:
            if detection.carrier == claimed:
                return detection
    if ranked:
        return ranked[0]
    return Detection(number=number, carrier=claimed, valid=False, format=None)


def formats_for(carrier: str) -> list[str]:
    """Format names `detect` can report for `carrier`, in table order."""
    names = [fmt.name for fmt in _FORMATS if fmt.carrier == carrier]
    if carrier in _COUNTRIES_OF:
        names.append("upu_s10")
    return names


def example_number(carrier: str, rng: random.Random, fmt: str | None = None) -> str:
    """A valid tracking number for `carrier` (correct check digit), drawn from `rng`.

    Used by the simulated carrier network and by tests, which need numbers that `detect`
    attributes back to the same carrier. So a number that another carrier's format would also
    claim with a higher rank is drawn again; only formats that can never win on their own
    (the IMpb readings of FedEx SmartPost, DHL eCommerce and UPS Mail Innovations) return a
    valid but shadowed number when asked for by name.
    Deterministic for a given `rng` state. Raises ValueError for an unknown carrier or format.
    """
    names = formats_for(carrier)
    if not names:
        raise ValueError(f"no number format known for carrier {carrier!r}")
    if fmt is not None and fmt not in names:
        raise ValueError(f"carrier {carrier!r} has no format {fmt!r}; known: {names}")
    pool = [_FORMATS[_FORMAT_INDEX[name]] for name in names]
    if fmt is not None:
        pool = [f for f in pool if f.name == fmt]
    elif any(f.weight for f in pool):
        pool = [f for f in pool if f.weight]
    weights = [max(f.weight, 1) for f in pool]
    number = ""
    # A shadowed format never wins, so a requested format gets few redraws; the default pool
    # only holds formats that win often, so 200 draws fail with negligible probability.
    for _ in range(200 if fmt is None else 20):
        chosen = rng.choices(pool, weights=weights)[0]
        number = chosen.generate(rng, carrier)
        best = detect(number)
        if best.carrier == carrier and best.valid:
            return number
    if fmt is not None:
        return number
    raise RuntimeError(f"could not draw an unambiguous number for {carrier!r}")  # pragma: no cover
