"""The stores whose API issues gift cards (``GiftCardPort``), by platform.

Shopify only (``giftCardCreate``). WooCommerce's REST API has no gift cards (they come from
extensions, each with its own API): a gift return of a WooCommerce order gets a store-credit
code of ours (docs/returns.md, Gift returns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
from postpurchase.adapters.storefronts.shopify.gift_cards import ShopifyGiftCards
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.service_layer.returns import GiftCardPort


@contextmanager
def _shopify(settings: Any) -> Iterator[GiftCardPort]:
    app = ShopifyApp.from_settings(settings)
    with app.http() as client:
        yield ShopifyGiftCards(lambda c: app.api(c, client))


GIFT_CARD_PORTS: dict[StorePlatform, Callable[[Any], AbstractContextManager[GiftCardPort]]] = {
    StorePlatform.SHOPIFY: _shopify,
}
