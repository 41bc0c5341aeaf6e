"""Signed click links: ``/r/<payload>.<signature>``.

Why signed: the link is public (in an email, on a page) and the redirect must not be an open
redirect nor a way to inflate a merchant's counts. The payload names only ids (merchant,
order, product, placement); the destination is looked up from the catalogue when the link
is followed, never read from the URL, and a payload whose HMAC does not match is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.recommendations.rules import Placement

MAX_LINK = 400


@dataclass(frozen=True, slots=True)
class Click:
    merchant_id: str
    order_id: str
    product_id: str
    placement: Placement


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:16])


def sign(keys: list[bytes], click: Click) -> str:
    """The link token for ``click``, signed with the first key."""
    raw = "\x1f".join((click.merchant_id, click.order_id, click.product_id, click.placement.value))
    payload = _b64(raw.encode("utf-8"))
    return f"{payload}.{_mac(keys[0], payload)}"


def verify(keys: list[bytes], token: str) -> Click:
    """The click a token names; ``InvalidInput`` when it is malformed or signed by no key
    (every key is tried: links in old emails survive a key rotation)."""
    if len(token) > MAX_LINK or token.count(".") != 1:
        raise InvalidInput("not a recommendation link", field="link")
    payload, mac = token.split(".")
    if not any(hmac.compare_digest(_mac(k, payload), mac) for k in keys):
        raise InvalidInput("not a recommendation link", field="link")
    try:
        parts = _unb64(payload).decode("utf-8").split("\x1f")
        merchant_id, order_id, product_id, placement = parts
        return Click(merchant_id, order_id, product_id, Placement(placement))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("not a recommendation link", field="link") from None
