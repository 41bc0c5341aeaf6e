"""The words every part of proactive notifications shares: channels, message states,
subjects, locales, the exception substatuses that mean "late", and what makes an address
usable (an e-mail's syntax, a phone number in E.164, a supported locale).

It exists so flows, preferences, timing and messages can each live in a module of their own
and all import these from one place; ``notifications`` re-exports every name.
"""

from __future__ import annotations

import re
from enum import StrEnum

from postpurchase.domain.status import Substatus


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


_CHANNEL_NAMES = frozenset(c.value for c in Channel)


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class SubjectKind(StrEnum):
    ORDER = "order"
    SHIPMENT = "shipment"
    RETURN = "return"  # the subject id is the return's (an order may have several)


SUPPORTED_LOCALES: tuple[str, ...] = ("en", "es", "pt-BR", "fr", "de")
DEFAULT_LOCALE = "en"

# Exception substatuses that mean "late" (apologise, give the new estimate) rather than
# "something went wrong with the parcel" (damaged, lost, address issue...).
DELAY_SUBSTATUSES: frozenset[str] = frozenset(
    {Substatus.DELAYED, Substatus.WEATHER, Substatus.NO_SCAN, Substatus.CUSTOMS_HOLD}
)


# --------------------------------------------------------------------------- addresses, locale


_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[A-Za-z0-9-]{2,}")


def valid_email(address: str) -> bool:
    """Syntax only (the mail server has the last word); refuses what would break headers."""
    return len(address) <= 254 and _EMAIL.fullmatch(address) is not None


# Calling codes for turning national numbers into E.164 when the order's country is known.
_CALLING_CODES: dict[str, str] = {
    "US": "1", "CA": "1", "BR": "55", "GB": "44", "DE": "49", "FR": "33", "ES": "34",
    "PT": "351", "MX": "52", "IT": "39", "NL": "31", "BE": "32", "AT": "43", "CH": "41",
    "IE": "353", "AU": "61", "AR": "54", "CL": "56", "CO": "57",
}  # fmt: skip


def normalise_phone(raw: str, country: str | None = None) -> str | None:
    """E.164 (``+15555550123``) or None when the number cannot be made international."""
    digits = re.sub(r"[\s().\-/]", "", raw or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        code = _CALLING_CODES.get((country or "").upper())
        if code is None or not digits.isdigit():
            return None
        national = digits.lstrip("0") if code != "1" else digits
        if code == "1" and len(national) == 11 and national.startswith("1"):
            national = national[1:]
        digits = f"+{code}{national}"
    return digits if re.fullmatch(r"\+[1-9]\d{6,14}", digits) else None


def pick_locale(*requested: str | None) -> str:
    """The first supported locale matching ``requested`` (exact, then language); else en."""
    by_lower = {loc.lower(): loc for loc in SUPPORTED_LOCALES}
    for raw in requested:
        if not raw:
            continue
        tag = raw.replace("_", "-").strip().lower()
        if tag in by_lower:
            return by_lower[tag]
        lang = tag.split("-")[0]
        if lang == "pt":
            return "pt-BR"
        if lang in by_lower:
            return by_lower[lang]
    return DEFAULT_LOCALE
