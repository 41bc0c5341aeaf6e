"""Order lookup by number plus email or postal code, without telling guessers anything.

"No such order" and "order exists, wrong email" must be indistinguishable, in the page and
in the time it takes. So the input is checked against every candidate row (and a dummy when
there is none) through HMAC digests compared with :func:`hmac.compare_digest`, the work is
the same whichever field matched or did not, and the handler pads every answer to a fixed
floor so database timing cannot leak either (see ``views.LOOKUP_FLOOR_SECONDS``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_KEY = secrets.token_bytes(32)  # per process: digests are never stored or compared across runs
_NEVER = secrets.token_hex(16)  # stands in for a missing email/postal code: matches nothing

MAX_NUMBER = 64
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")


@dataclass(frozen=True, slots=True)
class LookupInput:
    number: str  # without a leading '#'
    kind: str  # "email" or "postal"
    value: str  # normalised


def clean_number(raw: str | None) -> str | None:
    """The order number as typed, minus whitespace and a leading ``#``; None when unusable."""
    if raw is None:
        return None
    n = raw.strip().lstrip("#").strip()
    if not n or len(n) > MAX_NUMBER or any(ord(c) < 32 or c in "<>\"'\\" for c in n):
        return None
    return n


def number_variants(number: str) -> list[str]:
    """Stores write ``#1001`` or ``1001``; the shopper may type either."""
    return [number, f"#{number}"]


def normalise_postal(raw: str | None) -> str | None:
    if not raw:
        return None
    v = re.sub(r"[\s-]", "", raw).upper()
    return v or None


def clean_contact(raw: str | None) -> tuple[str, str] | None:
    """("email", address) or ("postal", code) from what the shopper typed; None if neither."""
    if raw is None:
        return None
    v = raw.strip()
    if "@" in v:
        v = v.lower()
        return ("email", v) if len(v) <= 320 and _EMAIL.match(v) else None
    if _POSTAL.match(v):
        postal = normalise_postal(v)
        return ("postal", postal) if postal else None
    return None


def parse(number: str | None, contact: str | None) -> tuple[LookupInput | None, dict[str, str]]:
    """Validated input, or the message keys of the fields at fault."""
    errors: dict[str, str] = {}
    n = clean_number(number)
    if n is None:
        errors["number"] = "lookup.err.number"
    c = clean_contact(contact)
    if c is None:
        errors["contact"] = "lookup.err.contact"
    if errors or n is None or c is None:
        return None, errors
    return LookupInput(n, c[0], c[1]), {}


def _digest(kind: str, value: str | None) -> bytes:
    return hmac.new(_KEY, f"{kind}:{value or _NEVER}".encode(), hashlib.sha256).digest()


_DUMMY: Mapping[str, Any] = {
    "tracking_token": None,
    "email": None,
    "shipping_address": {"postal_code": None},
}


def match(candidates: Sequence[Mapping[str, Any]], wanted: LookupInput) -> str | None:
    """The tracking token of the newest candidate whose email or postal code matches.

    Every candidate (or one dummy) costs the same two digests and two constant-time
    compares, and the loop never exits early.
    """
    target = _digest(wanted.kind, wanted.value)
    found: str | None = None
    for row in candidates or (_DUMMY,):
        email = (row.get("email") or "").strip().lower() or None
        address = row.get("shipping_address") or {}
        postal = normalise_postal(address.get("postal_code") if isinstance(address, dict) else None)
        hit_email = hmac.compare_digest(target, _digest("email", email))
        hit_postal = hmac.compare_digest(target, _digest("postal", postal))
        if (hit_email | hit_postal) and found is None and row.get("tracking_token"):
            found = str(row["tracking_token"])
    return found
