"""Connecting a merchant's WooCommerce store: check the REST API key, keep it sealed as the
merchant's ``store_connections`` row, and subscribe our webhook endpoint to the store's
order and product topics with a secret we generate (kept through the secrets module, so
deliveries verify from the first one).

Idempotent: run again (a new key, a moved store, a webhook someone paused or deleted), it
lists the store's webhooks first, keeps those that point at us, re-activates or re-keys
them, and creates only the missing ones. The network calls happen outside any database
transaction: the key is checked and the webhooks listed before anything is stored, and the
webhooks are written after.
"""

from __future__ import annotations

import re
import secrets as random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from postpurchase.adapters.storefronts.woocommerce.client import (
    AccessRefused,
    WooClient,
    WooError,
)
from postpurchase.adapters.storefronts.woocommerce.topics import SUBSCRIBED
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.secrets import SecretKind
from postpurchase.domain.storefronts import (
    ConnectionSettings,
    StoreConnection,
    StorePlatform,
    normalise_shop,
)
from postpurchase.service_layer.merchant_secrets import store_secrets
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

# WooCommerce -> Settings -> Advanced -> REST API issues "ck_" / "cs_" + 40 hex digits.
_KEY = re.compile(r"ck_[0-9a-f]{40}")
_SECRET = re.compile(r"cs_[0-9a-f]{40}")
WEBHOOK_SECRET_PREFIX = "ppwc_"
SCOPES = ("read_write",)


@dataclass(frozen=True, slots=True)
class Credentials:
    url: str
    consumer_key: str
    consumer_secret: str

    @classmethod
    def checked(cls, url: str, key: str, secret: str) -> Credentials:
        """Refuse what cannot be a store URL or a WooCommerce REST key, naming the field."""
        shop = normalise_shop(StorePlatform.WOOCOMMERCE, url, field="url")
        key, secret = key.strip(), secret.strip()
        if not _KEY.fullmatch(key):
            raise InvalidInput("a WooCommerce consumer key is ck_ and 40 hex digits", field="key")
        if not _SECRET.fullmatch(secret):
            raise InvalidInput(
                "a WooCommerce consumer secret is cs_ and 40 hex digits", field="secret"
            )
        return cls(shop, key, secret)

    def as_dict(self) -> dict[str, str]:
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret}


@dataclass(slots=True)
class Connected:
    """What ``connect`` did, for the CLI and the API to show."""

    merchant_id: str
    shop: str
    delivery_url: str
    created: list[str] = field(default_factory=list)  # topics newly subscribed
    updated: list[str] = field(default_factory=list)  # existing webhooks re-keyed/resumed
    kept: list[str] = field(default_factory=list)  # already right
    new_connection: bool = False


def delivery_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/webhooks/woocommerce/{slug}"


def _ours(hooks: list[Any], url: str) -> dict[str, Mapping[str, Any]]:
    """The store's webhooks that deliver to ``url``, by topic (the first of each)."""
    found: dict[str, Mapping[str, Any]] = {}
    for hook in hooks:
        if isinstance(hook, Mapping) and hook.get("delivery_url") == url:
            topic = hook.get("topic")
            if isinstance(topic, str):
                found.setdefault(topic, hook)
    return found


def _currency(client: WooClient) -> str | None:
    """The shop's currency (its products' prices are in it), when the key may read it."""
    try:
        found = client.get("settings/general/woocommerce_currency")
    except WooError:
        return None
    value = found.get("value") if isinstance(found, Mapping) else None
    return value if isinstance(value, str) and len(value) == 3 else None


def _check_access(client: WooClient) -> tuple[list[Any], str | None]:
    """Read an order (the key can read) and the webhooks (and manage them)."""
    try:
        client.page("orders", 1, per_page=1)
        return client.all("webhooks"), _currency(client)
    except AccessRefused as refused:
        raise InvalidInput(
            f"WooCommerce refused the key ({refused}); create a key with Read/Write "
            "permissions under WooCommerce -> Settings -> Advanced -> REST API",
            field="key",
        ) from None
    except WooError as exc:
        raise InvalidInput(f"the store's REST API did not answer: {exc}", field="url") from None


def connect(
    uow: AbstractUnitOfWork,
    clock: Clock,
    merchant_slug: str,
    credentials: Credentials,
    *,
    base_url: str,
    client_for: Callable[[Credentials], WooClient],
) -> Connected:
    """Connect (or re-connect) the merchant's store; see the module docstring."""
    with uow:
        merchant = uow.merchants.get_by_slug(merchant_slug)
        if merchant is None:
            raise NotFound(f"no merchant with slug {merchant_slug!r}", field="merchant")
        other = uow.connections.get_by_shop(StorePlatform.WOOCOMMERCE, credentials.url)
        if other is not None and other.merchant_id != merchant.id:
            raise Conflict(f"{credentials.url} is connected to another merchant", field="url")
        stored = uow.secrets.get(merchant.id, SecretKind.WOOCOMMERCE_WEBHOOK)
    url = delivery_url(base_url, merchant.slug)
    with client_for(credentials) as client:
        hooks, currency = _check_access(client)
        existing = _ours(hooks, url)
    # A secret we issued before stays while every webhook we subscribed is still there (we
    # cannot read a webhook's secret back); otherwise a fresh one, and every webhook of
    # ours is re-keyed with it.
    reuse = (
        stored is not None
        and stored.current.startswith(WEBHOOK_SECRET_PREFIX)
        and all(topic in existing for topic in SUBSCRIBED)
    )
    secret = stored.current if reuse and stored else WEBHOOK_SECRET_PREFIX + random.token_hex(24)
    result = Connected(merchant.id, credentials.url, url)
    with uow:
        now = clock.now()
        connection = uow.connections.get(merchant.id, StorePlatform.WOOCOMMERCE)
        if connection is None:
            uow.connections.add(
                StoreConnection(
                    id=new_id(), merchant_id=merchant.id, platform=StorePlatform.WOOCOMMERCE,
                    shop=credentials.url, scopes=SCOPES, credentials=credentials.as_dict(),
                    installed_at=now, settings=ConnectionSettings(currency=currency),
                )
            )  # fmt: skip
            result.new_connection = True
        else:
            connection.shop = credentials.url
            connection.reinstall(SCOPES, credentials.as_dict(), now)
            if currency:
                connection.settings = replace(connection.settings, currency=currency)
            uow.connections.save(connection)
        store_secrets(uow, clock, merchant.id, {SecretKind.WOOCOMMERCE_WEBHOOK: secret})
        uow.commit()
    with client_for(credentials) as client:
        for topic in SUBSCRIBED:
            hook = existing.get(topic)
            if hook is None:
                client.post("webhooks", {"name": f"postpurchase {topic}", "topic": topic,
                                         "delivery_url": url, "secret": secret,
                                         "status": "active"})  # fmt: skip
                result.created.append(topic)
            elif not reuse or hook.get("status") != "active":
                client.request("PUT", f"webhooks/{hook.get('id')}",
                               json={"secret": secret, "status": "active"})  # fmt: skip
                result.updated.append(topic)
            else:
                result.kept.append(topic)
    return result
