"""Each store platform's adapter of the storefront refund port, opened for one use.

Shared by the refunds API and the automatic remedy (through the composition root), so both
reach a store the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
from postpurchase.adapters.storefronts.shopify.refund_port import ShopifyRefunds
from postpurchase.adapters.storefronts.woocommerce import wiring as woocommerce_wiring
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.service_layer.storefronts.ports import StorefrontRefunds


@contextmanager
def _shopify(settings: Any) -> Iterator[StorefrontRefunds]:
    app = ShopifyApp.from_settings(settings)
    with app.http() as client:
        yield ShopifyRefunds(lambda c: app.api(c, client))


@contextmanager
def _woocommerce(settings: Any) -> Iterator[StorefrontRefunds]:
    yield woocommerce_wiring.refunds()


REFUND_PORTS: dict[StorePlatform, Callable[[Any], AbstractContextManager[StorefrontRefunds]]] = {
    StorePlatform.SHOPIFY: _shopify,
    StorePlatform.WOOCOMMERCE: _woocommerce,
}


def refund_port(
    settings: Any, platform: StorePlatform
) -> AbstractContextManager[StorefrontRefunds] | None:
    """The refund port of ``platform`` (settings: the application's ``Settings``), or None."""
    opener = REFUND_PORTS.get(platform)
    return opener(settings) if opener is not None else None
