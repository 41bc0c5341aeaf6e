"""Dispatch a verified Shopify delivery on its ``X-Shopify-Topic`` header."""

from __future__ import annotations

from postpurchase.adapters.storefronts.shopify.fulfillments import (
    ShopifyFulfillment,
    parse_fulfillment,
)
from postpurchase.adapters.storefronts.shopify.orders import parse_order
from postpurchase.adapters.storefronts.shopify.read import Payload
from postpurchase.adapters.storefronts.shopify.refunds import parse_refund
from postpurchase.adapters.storefronts.shopify.topics import (
    FULFILLMENT_TOPICS,
    ORDER_TOPICS,
    REFUNDS_CREATE,
    TOPIC_HEADER,
    TOPICS,
)
from postpurchase.domain.commands import PlaceOrder, RecordRefund
from postpurchase.domain.errors import InvalidInput


def parse_webhook(
    topic: str | None,
    payload: Payload,
    *,
    merchant_id: str,
    use_presentment_currency: bool = False,
) -> PlaceOrder | RecordRefund | ShopifyFulfillment:
    """``orders/create``, ``orders/updated`` and ``orders/cancelled`` -> ``PlaceOrder`` (a
    full snapshot; ``source_updated_at`` lets the handler revise a known order when newer,
    ``cancelled_at`` cancels it); ``refunds/create`` -> ``RecordRefund``;
    ``fulfillments/create`` and ``/update`` -> ``ShopifyFulfillment``. Verify the HMAC
    first."""
    if topic in ORDER_TOPICS:
        return parse_order(
            payload, merchant_id=merchant_id, use_presentment_currency=use_presentment_currency
        )
    if topic == REFUNDS_CREATE:
        return parse_refund(
            payload, merchant_id=merchant_id, use_presentment_currency=use_presentment_currency
        )
    if topic in FULFILLMENT_TOPICS:
        return parse_fulfillment(payload)
    supported = ", ".join(sorted(TOPICS))
    raise InvalidInput(f"unsupported topic {topic!r}; supported: {supported}", field=TOPIC_HEADER)
