"""Our own checks of a shipping address before a label is bought, and the correction we
suggest.

Why our own and not only the carrier's: most carriers' APIs (and so most of karrio's
connectors) offer no address validation, and a label bought for an address the carrier
later rejects costs money and a day. These checks are cheap and pure: required fields,
the postal-code format of the destination country (the formats the posts publish), the
region (state, province) where the country's carriers need one. A suggestion is only the
same address written the way the post prints it (``sw1a1aa`` -> ``SW1A 1AA``, ``ontario``
-> ``ON``, ``941031234`` -> ``94103-1234``), never a guess at another place, so accepting it
cannot send the parcel elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from postpurchase.domain.addresses import Address

# Postal-code formats as each post publishes them, in the canonical printed form, and how
# to write a code canonically from its letters and digits alone (``_canonical``).
POSTAL_FORMATS: dict[str, str] = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d",
    "GB": r"(GIR 0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2})",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "IT": r"\d{5}",
    "ES": r"(0[1-9]|[1-4]\d|5[0-2])\d{3}",
    "NL": r"[1-9]\d{3} [A-Z]{2}",
    "BE": r"[1-9]\d{3}",
    "AT": r"\d{4}",
    "CH": r"\d{4}",
    "DK": r"\d{4}",
    "NO": r"\d{4}",
    "SE": r"\d{3} \d{2}",
    "FI": r"\d{5}",
    "PL": r"\d{2}-\d{3}",
    "PT": r"\d{4}-\d{3}",
    "IE": r"[AC-FHKNPRTV-Y]\d{2}[ \d][AC-FHKNPRTV-Y\d]{4}",
    "AU": r"\d{4}",
    "NZ": r"\d{4}",
    "JP": r"\d{3}-\d{4}",
    "BR": r"\d{5}-\d{3}",
    "MX": r"\d{5}",
    "IN": r"[1-9]\d{5}",
}
_COMPILED = {c: re.compile(f"^(?:{p})$") for c, p in POSTAL_FORMATS.items()}

# Countries whose carriers want the region (state, province) code on the label.
REGIONS: dict[str, frozenset[str]] = {
    "US": frozenset(
        [
            "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
            "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
            "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
            "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR",
            "VI", "GU", "AS", "MP", "AA", "AE", "AP",
        ]
    ),
    "CA": frozenset(["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]),
    "AU": frozenset(["ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"]),
}  # fmt: skip
_REGION_NAMES: dict[str, dict[str, str]] = {
    "US": {
        "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
        "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
        "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
        "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
        "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
        "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
        "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
        "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
        "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
        "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
        "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
        "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
        "puerto rico": "PR",
    },
    "CA": {
        "alberta": "AB", "british columbia": "BC", "manitoba": "MB", "new brunswick": "NB",
        "newfoundland and labrador": "NL", "nova scotia": "NS", "northwest territories": "NT",
        "nunavut": "NU", "ontario": "ON", "prince edward island": "PE", "quebec": "QC",
        "québec": "QC", "saskatchewan": "SK", "yukon": "YT",
    },
    "AU": {
        "australian capital territory": "ACT", "new south wales": "NSW",
        "northern territory": "NT", "queensland": "QLD", "south australia": "SA",
        "tasmania": "TAS", "victoria": "VIC", "western australia": "WA",
    },
}  # fmt: skip

# Where the separator goes, counted from the end (``SW1A1AA`` -> ``SW1A 1AA``) or start.
_SPLIT_FROM_END = {"CA": (3, " "), "GB": (3, " "), "IE": (4, " ")}
_SPLIT_FROM_START = {
    "NL": (4, " "), "SE": (3, " "), "PL": (2, "-"), "PT": (4, "-"), "JP": (3, "-"),
    "BR": (5, "-"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AddressProblem:
    field: str  # the address field at fault (``postal_code``, ``region``...)
    message: str


@dataclass(frozen=True, slots=True)
class AddressVerdict:
    """Problems found; ``suggestion`` is the address written canonically when that fixes
    some of them (the merchant or shopper may accept it)."""

    problems: tuple[AddressProblem, ...]
    suggestion: Address | None = None

    @property
    def valid(self) -> bool:
        return not self.problems


def canonical_postal_code(country: str, code: str) -> str:
    """``code`` written as the post of ``country`` prints it (upper case, its separator
    where the post puts it), from its letters and digits alone."""
    bare = "".join(ch for ch in code.upper() if ch.isalnum())
    if country == "US" and len(bare) == 9 and bare.isdigit():
        return f"{bare[:5]}-{bare[5:]}"
    if country in _SPLIT_FROM_END:
        n, sep = _SPLIT_FROM_END[country]
        return f"{bare[:-n]}{sep}{bare[-n:]}" if len(bare) > n else bare
    if country in _SPLIT_FROM_START:
        n, sep = _SPLIT_FROM_START[country]
        return f"{bare[:n]}{sep}{bare[n:]}" if len(bare) > n else bare
    return bare


def postal_code_ok(country: str, code: str) -> bool:
    """Whether ``code`` is in ``country``'s published format (any code where we know none)."""
    pattern = _COMPILED.get(country)
    return pattern is None or bool(pattern.match(code))


def canonical_region(country: str, region: str) -> str | None:
    """The region code for a code or a name in any case; None when the country has no such
    region (or we keep no list of its regions)."""
    codes = REGIONS.get(country)
    if codes is None:
        return None
    text = " ".join(region.split())
    if text.upper() in codes:
        return text.upper()
    return _REGION_NAMES.get(country, {}).get(text.lower())


def check_address(address: Address, *, role: str = "destination") -> AddressVerdict:
    """Required fields, postal code and region of an address a label will be printed for.

    ``role`` prefixes the field names in problems (``destination.postal_code``) so an API
    error can name the field in the request.
    """
    problems: list[AddressProblem] = []
    fixed = address

    def problem(name: str, message: str) -> None:
        problems.append(AddressProblem(f"{role}.{name}", message))

    for name, label in (("name", "a recipient name"), ("line1", "a street line"),
                        ("city", "a city")):  # fmt: skip
        if not (getattr(address, name) or "").strip():
            problem(name, f"{label} is required on a label")
    code = address.postal_code or ""
    if address.country in _COMPILED:
        if not code:
            problem("postal_code", f"a postal code is required in {address.country}")
        elif not postal_code_ok(address.country, code):
            better = canonical_postal_code(address.country, code)
            problem(
                "postal_code",
                f"{code!r} is not a {address.country} postal code"
                + (f" (did you mean {better!r}?)" if postal_code_ok(address.country, better)
                   else f"; the format is {_example(address.country)}"),
            )  # fmt: skip
            if postal_code_ok(address.country, better):
                fixed = replace(fixed, postal_code=better)
    if address.country in REGIONS:
        region = address.region or ""
        if not region.strip():
            problem("region", f"a state or province is required in {address.country}")
        else:
            code_for = canonical_region(address.country, region)
            if code_for is None:
                problem("region", f"{region!r} is not a region of {address.country}")
            elif code_for != region:
                problem("region", f"{region!r} is written {code_for!r} on a label")
                fixed = replace(fixed, region=code_for)
    return AddressVerdict(tuple(problems), fixed if fixed != address else None)


_EXAMPLES = {
    "US": "12345 or 12345-6789", "CA": "A1A 1A1", "GB": "SW1A 1AA", "NL": "1234 AB",
    "SE": "123 45", "PL": "12-345", "PT": "1234-567", "JP": "123-4567", "BR": "12345-678",
    "IE": "D02 X285",
}  # fmt: skip


def _example(country: str) -> str:
    return _EXAMPLES.get(country, f"{POSTAL_FORMATS[country]} (pattern)")
