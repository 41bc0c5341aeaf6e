"""HMAC signatures of inbound (and our own outbound) webhooks.

Every check works on the *raw* request body: parsing and re-serialising JSON changes bytes
and breaks the signature. Every comparison is constant-time, and a missing header, an empty
secret or a malformed header is simply "not verified" (``False``), never an exception, so a
route can answer 401 without a try/except.

Formats:

* Shopify: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, body)).
* AfterShip tracking: ``aftership-hmac-sha256`` = base64(HMAC-SHA256(secret, body)).
* WooCommerce: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, body)).
* EasyPost: ``X-Hmac-Signature`` = ``"hmac-sha256-hex=" + hex(HMAC-SHA256(key, body))`` where
  the key is the webhook secret NFKD-normalised and UTF-8 encoded (as EasyPost's own client
  libraries do).
* postpurchase (ours, Stripe-like): ``X-Postpurchase-Signature: t=<unix>,v1=<hex>`` where
  ``hex`` = hex(HMAC-SHA256(secret, f"{t}." + body)). The timestamp is signed, and a
  signature older (or newer) than the tolerance is refused, so a captured request cannot be
  replayed later. Several ``v1=`` entries may be present (secret rotation); one match is
  enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import unicodedata
from datetime import datetime, timedelta

SHOPIFY_HEADER = "X-Shopify-Hmac-Sha256"
AFTERSHIP_HEADER = "aftership-hmac-sha256"
EASYPOST_HEADER = "X-Hmac-Signature"
WOOCOMMERCE_HEADER = "X-WC-Webhook-Signature"
POSTPURCHASE_HEADER = "X-Postpurchase-Signature"

DEFAULT_TOLERANCE = timedelta(seconds=300)

_EASYPOST_PREFIX = "hmac-sha256-hex="
_MAX_HEADER = 4096  # a signature header is short; anything longer is not ours


def _digest(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def _verify_base64(body: bytes, header: str | None, secret: str) -> bool:
    if not header or not secret or len(header) > _MAX_HEADER:
        return False
    try:
        given = base64.b64decode(header.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return hmac.compare_digest(given, _digest(secret.encode("utf-8"), body))


def verify_shopify(body: bytes, header: str | None, secret: str) -> bool:
    """True when ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of ``body``."""
    return _verify_base64(body, header, secret)


def verify_aftership(body: bytes, header: str | None, secret: str) -> bool:
    """True when ``aftership-hmac-sha256`` is the base64 HMAC-SHA256 of ``body``."""
    return _verify_base64(body, header, secret)


def verify_woocommerce(body: bytes, header: str | None, secret: str) -> bool:
    """True when ``X-WC-Webhook-Signature`` is the base64 HMAC-SHA256 of ``body``."""
    return _verify_base64(body, header, secret)


def sign_easypost(body: bytes, secret: str) -> str:
    """The ``X-Hmac-Signature`` value EasyPost sends for ``body`` (used by tests and fakes)."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return _EASYPOST_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_easypost(body: bytes, header: str | None, secret: str) -> bool:
    """True when ``X-Hmac-Signature`` is ``hmac-sha256-hex=<hex>`` of ``body``."""
    if not header or not secret or len(header) > _MAX_HEADER:
        return False
    value = header.strip()
    if not value.lower().startswith(_EASYPOST_PREFIX):
        return False
    given = value[len(_EASYPOST_PREFIX) :].lower()
    expected = sign_easypost(body, secret)[len(_EASYPOST_PREFIX) :]
    try:
        return hmac.compare_digest(given.encode("ascii"), expected.encode("ascii"))
    except UnicodeEncodeError:
        return False


def _unix(value: int | datetime) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamp must be timezone-aware")
        return int(value.timestamp())
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("timestamp must be an int (unix seconds) or an aware datetime")
    return value


def _postpurchase_hex(body: bytes, secret: str, t: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign_postpurchase(body: bytes, secret: str, timestamp: int | datetime) -> str:
    """The ``X-Postpurchase-Signature`` header value for ``body`` signed at ``timestamp``."""
    if not secret:
        raise ValueError("cannot sign with an empty secret")
    t = _unix(timestamp)
    return f"t={t},v1={_postpurchase_hex(body, secret, t)}"


def verify_postpurchase(
    body: bytes,
    header: str | None,
    secret: str,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """True when the header signs ``body`` with ``secret`` at a time within ``tolerance``
    of ``now`` (either side: a clock far ahead is as suspicious as a stale replay)."""
    if not header or not secret or len(header) > _MAX_HEADER:
        return False
    t: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if t is not None or not value.isascii() or not value.isdigit() or len(value) > 12:
                return False
            t = int(value)
        elif key == "v1":
            candidates.append(value.strip().lower())
        # other schemes (v0, future v2) are ignored, as Stripe does
    if t is None or not candidates:
        return False
    if abs(_unix(now) - t) > tolerance.total_seconds():
        return False
    expected = _postpurchase_hex(body, secret, t).encode("ascii")
    ok = False
    for candidate in candidates:
        try:
            # no early exit: the time taken does not tell which entry matched
            ok |= hmac.compare_digest(candidate.encode("ascii"), expected)
        except UnicodeEncodeError:
            continue
    return ok


ZENDESK_HEADER = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
TOKEN_HEADER = "X-Postpurchase-Token"


def sign_zendesk(body: bytes, secret: str, timestamp: str) -> str:
    """Zendesk's signature: base64(HMAC-SHA256(secret, timestamp + body))."""
    digest = _digest(secret.encode("utf-8"), timestamp.encode("utf-8") + body)
    return base64.b64encode(digest).decode("ascii")


def verify_zendesk(
    body: bytes,
    header: str | None,
    timestamp: str | None,
    secret: str,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """True when ``X-Zendesk-Webhook-Signature`` signs ``timestamp + body`` and the
    timestamp (ISO 8601, as Zendesk sends it) is within ``tolerance`` of ``now``."""
    if not header or not timestamp or not secret or len(timestamp) > 64:
        return False
    try:
        at = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    if at.tzinfo is None or abs(now - at) > tolerance:
        return False
    expected = sign_zendesk(body, secret, timestamp)
    try:
        return hmac.compare_digest(header.strip().encode("ascii"), expected.encode("ascii"))
    except UnicodeEncodeError:
        return False


def verify_token(header: str | None, secret: str) -> bool:
    """A shared secret sent as a header, for helpdesks that cannot sign (Gorgias's HTTP
    integrations send fixed headers only): compared in constant time."""
    if not header or not secret or len(header) > _MAX_HEADER:
        return False
    try:
        return hmac.compare_digest(header.strip().encode("utf-8"), secret.encode("utf-8"))
    except UnicodeEncodeError:  # pragma: no cover - str.encode("utf-8") accepts any str
        return False
