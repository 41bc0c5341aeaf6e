"""ISO 3166-1 alpha-2 country codes and the postal-code formats we can check.

Postal formats are the shapes the national posts publish (as collected in Google's
address metadata); a country not listed here is accepted with any code of letters, digits,
spaces and dashes, and the estimate then says the code could not be placed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from postpurchase.domain.errors import InvalidInput

# Officially assigned codes (and XK, Kosovo, which carriers and stores use).
ISO_COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS XK YE YT ZA ZM ZW""".split()  # noqa: SIM905
)

_P: Mapping[str, str] = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "IE": r"[A-Z]\d[\dW] ?[0-9AC-FHKNPRTV-Y]{4}",
    "BR": r"\d{5}-?\d{3}",
    "MX": r"\d{5}",
    "AR": r"([A-Z]\d{4}[A-Z]{3}|\d{4})",
    "CL": r"\d{7}",
    "CO": r"\d{6}",
    "PE": r"\d{5}",
    "DE": r"\d{5}",
    "FR": r"\d{2} ?\d{3}",
    "ES": r"\d{5}",
    "IT": r"\d{5}",
    "PT": r"\d{4}-?\d{3}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "BE": r"\d{4}",
    "LU": r"(L-)?\d{4}",
    "AT": r"\d{4}",
    "CH": r"\d{4}",
    "DK": r"\d{4}",
    "NO": r"\d{4}",
    "SE": r"\d{3} ?\d{2}",
    "FI": r"\d{5}",
    "PL": r"\d{2}-?\d{3}",
    "CZ": r"\d{3} ?\d{2}",
    "SK": r"\d{3} ?\d{2}",
    "HU": r"\d{4}",
    "GR": r"\d{3} ?\d{2}",
    "RO": r"\d{6}",
    "BG": r"\d{4}",
    "HR": r"\d{5}",
    "SI": r"\d{4}",
    "EE": r"\d{5}",
    "LV": r"(LV-)?\d{4}",
    "LT": r"(LT-)?\d{5}",
    "AU": r"\d{4}",
    "NZ": r"\d{4}",
    "JP": r"\d{3}-?\d{4}",
    "KR": r"\d{5}",
    "CN": r"\d{6}",
    "IN": r"\d{3} ?\d{3}",
    "SG": r"\d{6}",
    "ZA": r"\d{4}",
    "IL": r"\d{5}(\d{2})?",
    "TR": r"\d{5}",
    "RU": r"\d{6}",
    "UA": r"\d{5}",
}
POSTAL_PATTERNS: Mapping[str, re.Pattern[str]] = {
    cc: re.compile(pattern) for cc, pattern in _P.items()
}
_ANY_CODE = re.compile(r"[A-Z0-9][A-Z0-9 -]{0,11}")


def check_country(raw: str) -> str:
    """An upper-cased ISO 3166-1 alpha-2 code, or InvalidInput naming ``country``."""
    code = raw.strip().upper()
    if code not in ISO_COUNTRIES:
        raise InvalidInput(f"{raw!r} is not an ISO 3166-1 alpha-2 country code", field="country")
    return code


def check_postal_code(country: str, raw: str | None) -> tuple[str | None, bool]:
    """The postal code as the post writes it (upper case, trimmed) and whether its format
    was checked against the country's. A code that breaks the format: InvalidInput."""
    if raw is None or not raw.strip():
        return None, False
    code = " ".join(raw.strip().upper().split())
    pattern = POSTAL_PATTERNS.get(country)
    if pattern is None:
        if not _ANY_CODE.fullmatch(code):
            raise InvalidInput(f"{raw!r} is not a postal code", field="postal_code")
        return code, False
    if not pattern.fullmatch(code):
        raise InvalidInput(f"{raw!r} is not a postal code of {country}", field="postal_code")
    return code, True
