"""The stores whose inventory our restock adjusts (``StoreStockPort``), by platform, and the
stores whose return reason definitions we read.

Shopify only. WooCommerce's REST API has no relative stock update: a product's or a
variation's ``stock_quantity`` is set absolutely (``PUT /products/{id}``), so adding the
returned units would be a read-then-write that loses a sale made in between, and a resend
after a timeout would add them twice; its refunds' ``api_restock`` increments the stock on
the store's side instead (docs/returns.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
from postpurchase.adapters.storefronts.shopify.inventory import ShopifyStock
from postpurchase.adapters.storefronts.shopify.return_reasons import ShopifyReasons
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.service_layer.returns import StoreReasonsPort, StoreStockPort


@contextmanager
def _shopify(settings: Any) -> Iterator[StoreStockPort]:
    app = ShopifyApp.from_settings(settings)
    with app.http() as client:
        yield ShopifyStock(lambda c: app.api(c, client), app.api_version)


@contextmanager
def _shopify_reasons(settings: Any) -> Iterator[StoreReasonsPort]:
    app = ShopifyApp.from_settings(settings)
    with app.http() as client:
        yield ShopifyReasons(lambda c: app.api(c, client), app.api_version)


STOCK_PORTS: dict[StorePlatform, Callable[[Any], AbstractContextManager[StoreStockPort]]] = {
    StorePlatform.SHOPIFY: _shopify,
}

REASON_PORTS: dict[StorePlatform, Callable[[Any], AbstractContextManager[StoreReasonsPort]]] = {
    StorePlatform.SHOPIFY: _shopify_reasons,
}
