"""Installing the Shopify app on a shop: the authorize redirect, the callback's checks and
the code-for-token exchange (Shopify's authorization code grant).

The callback is trusted only when every check passes: the ``hmac`` parameter is the
lower-case hex HMAC-SHA256, keyed with the app's client secret, of the other query
parameters sorted by name and joined as ``name=value&...``; ``state`` equals the nonce we
set in a signed cookie when redirecting; ``timestamp`` is recent; ``shop`` is a
``*.myshopify.com`` domain. Only then is the code exchanged at
``https://{shop}/admin/oauth/access_token``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.storefronts import StorePlatform, normalise_shop

# Everything the app's features need, asked for up front so no shop has to re-authorise
# when returns, fulfilment or the console start using them.
SCOPES: tuple[str, ...] = (
    "read_orders",
    "write_orders",  # refunds (refundCreate) and order edits
    "read_customers",  # the order's customer (name, e-mail) in backfills
    "read_fulfillments",
    "write_fulfillments",
    "read_assigned_fulfillment_orders",
    "write_assigned_fulfillment_orders",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",  # fulfillmentCreate with tracking
    "read_third_party_fulfillment_orders",
    "read_products",
    "write_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_returns",
    "write_returns",
    "read_shipping",
    "write_store_credit_account_transactions",  # storeCreditAccountCredit
    "write_gift_cards",  # giftCardCreate: a gift return's credit for its recipient
)

STATE_COOKIE = "pp_shopify_state"
MAX_AGE = timedelta(minutes=10)  # how old a callback's timestamp may be


class OAuthRefused(InvalidInput):
    """The callback failed a check; nothing was stored."""


def nonce() -> str:
    return secrets.token_urlsafe(24)


def authorize_url(
    shop: str, *, client_id: str, redirect_uri: str, state: str, base: str = ""
) -> str:
    """Where the merchant is sent to approve the app (``base`` overrides ``https://{shop}``
    for tests)."""
    query = urlencode(
        {
            "client_id": client_id,
            "scope": ",".join(SCOPES),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{base or f'https://{shop}'}/admin/oauth/authorize?{query}"


def signing_message(params: Iterable[tuple[str, str]]) -> str:
    """The text Shopify signs: every parameter but ``hmac`` (and the legacy ``signature``),
    sorted by name, as ``name=value`` joined by ``&``."""
    kept = [(k, v) for k, v in params if k not in ("hmac", "signature")]
    return "&".join(f"{k}={v}" for k, v in sorted(kept))


def sign_query(params: Iterable[tuple[str, str]], secret: str) -> str:
    message = signing_message(params).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Callback:
    shop: str
    code: str
    host: str | None


def verify_callback(
    params: list[tuple[str, str]],
    *,
    secret: str,
    expected_state: str | None,
    now: datetime,
) -> Callback:
    """Check an install callback's query; raises :class:`OAuthRefused` naming the failed
    parameter. The HMAC is checked first, so nothing unsigned is looked at further."""
    values = dict(params)
    given = values.get("hmac", "")
    if not given or not hmac.compare_digest(sign_query(params, secret), given.lower()):
        raise OAuthRefused("the HMAC does not match the app's client secret", field="hmac")
    if not expected_state or not hmac.compare_digest(values.get("state", ""), expected_state):
        raise OAuthRefused(
            "state does not match this browser's install (start again at /shopify/install)",
            field="state",
        )
    raw_ts = values.get("timestamp", "")
    if not raw_ts.isdigit():
        raise OAuthRefused("timestamp is missing", field="timestamp")
    age = now.timestamp() - int(raw_ts)
    if abs(age) > MAX_AGE.total_seconds():
        raise OAuthRefused("the install link has expired; start again", field="timestamp")
    shop = normalise_shop(StorePlatform.SHOPIFY, values.get("shop", ""))
    code = values.get("code", "")
    if not code:
        raise OAuthRefused("code is missing", field="code")
    return Callback(shop, code, values.get("host"))


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    scopes: tuple[str, ...]


class ExchangeFailed(RuntimeError):
    pass


def exchange_code(
    client: httpx.Client,
    shop: str,
    code: str,
    *,
    client_id: str,
    client_secret: str,
    base: str = "",
) -> Grant:
    """Trade the callback's code for an offline access token (``{"access_token": ...,
    "scope": "read_orders,write_orders"}``)."""
    url = f"{base or f'https://{shop}'}/admin/oauth/access_token"
    try:
        response = client.post(
            url,
            json={"client_id": client_id, "client_secret": client_secret, "code": code},
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise ExchangeFailed(f"could not reach {shop}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ExchangeFailed(f"{shop} refused the code ({response.status_code})")
    try:
        body: Any = response.json()
    except ValueError:
        raise ExchangeFailed(f"{shop} answered the exchange with something not JSON") from None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ExchangeFailed(f"{shop} answered the exchange without an access token")
    raw_scope = body.get("scope") or ""
    scopes = tuple(s.strip() for s in str(raw_scope).split(",") if s.strip())
    return Grant(token, scopes)
