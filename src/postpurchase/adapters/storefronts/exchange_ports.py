"""The stores whose own returns API records exchanges (``StoreExchangePort``), by platform.

Shopify only: its Admin GraphQL returns API takes exchange line items. WooCommerce has no
returns or exchange API (refunds only): exchanges of its orders are orders of ours, as
before (docs/returns.md says what each platform allows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
from postpurchase.adapters.storefronts.shopify.returns_api import ShopifyReturns
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.service_layer.returns import StoreExchangePort


@contextmanager
def _shopify(settings: Any) -> Iterator[StoreExchangePort]:
    app = ShopifyApp.from_settings(settings)
    with app.http() as client:
        yield ShopifyReturns(lambda c: app.api(c, client))


EXCHANGE_PORTS: dict[StorePlatform, Callable[[Any], AbstractContextManager[StoreExchangePort]]] = {
    StorePlatform.SHOPIFY: _shopify,
}


def exchange_port(
    settings: Any, platform: StorePlatform
) -> AbstractContextManager[StoreExchangePort] | None:
    """The returns API of ``platform`` (settings: the application's ``Settings``), or None."""
    opener = EXCHANGE_PORTS.get(platform)
    return opener(settings) if opener is not None else None
