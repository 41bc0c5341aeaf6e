"""Dispatch a verified Shopify delivery on its ``X-Shopify-Topic`` header."""

from __future__ import annotations

from postpurchase.adapters.storefronts.json_fields import Payload, child, text
from postpurchase.adapters.storefronts.shopify.fulfillments import (
    ShopifyFulfillment,
    parse_fulfillment,
)
from postpurchase.adapters.storefronts.shopify.lifecycle import parse_lifecycle
from postpurchase.adapters.storefronts.shopify.orders import parse_order
from postpurchase.adapters.storefronts.shopify.read import shopify_id, unwrap
from postpurchase.adapters.storefronts.shopify.refunds import parse_refund
from postpurchase.adapters.storefronts.shopify.topics import (
    CUSTOMERS_REDACT,
    FULFILLMENT_TOPICS,
    LIFECYCLE_TOPICS,
    ORDER_TOPICS,
    PRODUCT_TOPICS,
    REFUNDS_CREATE,
    TOPIC_HEADER,
    TOPICS,
)
from postpurchase.domain.commands import EraseCustomer, PlaceOrder, RecordRefund
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.storefronts.commands import (
    RecordDataRequest,
    RedactShop,
    RemoveProduct,
    SyncProduct,
    UninstallStore,
)

StoreCommand = UninstallStore | RedactShop | RecordDataRequest | SyncProduct | RemoveProduct


def parse_webhook(
    topic: str | None,
    payload: Payload,
    *,
    merchant_id: str,
    use_presentment_currency: bool = False,
) -> PlaceOrder | RecordRefund | ShopifyFulfillment | EraseCustomer | StoreCommand:
    """``orders/create``, ``orders/updated`` and ``orders/cancelled`` -> ``PlaceOrder`` (a
    full snapshot; ``source_updated_at`` lets the handler revise a known order when newer,
    ``cancelled_at`` cancels it); ``refunds/create`` -> ``RecordRefund``;
    ``fulfillments/create`` and ``/update`` -> ``ShopifyFulfillment``;
    ``customers/redact`` -> ``EraseCustomer``; the app's lifecycle, privacy and product
    topics -> the commands of ``lifecycle``. Verify the HMAC first."""
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
    if topic == CUSTOMERS_REDACT:
        return parse_redaction(payload, merchant_id=merchant_id)
    if topic in LIFECYCLE_TOPICS or topic in PRODUCT_TOPICS:
        return parse_lifecycle(topic, payload, merchant_id=merchant_id)
    supported = ", ".join(sorted(TOPICS))
    raise InvalidInput(f"unsupported topic {topic!r}; supported: {supported}", field=TOPIC_HEADER)


def parse_redaction(payload: Payload, *, merchant_id: str) -> EraseCustomer:
    """``customers/redact``: ``{"customer": {"id", "email", "phone"}, "orders_to_redact":
    [ids]}`` — the shopper's orders by id, and everything else we hold under the e-mail."""
    body = unwrap(payload, "customer_redact")
    customer = child(body, "customer")
    email = text(customer, "email", "customer.email")
    if email is None:
        raise InvalidInput("customer.email is required", field="customer.email")
    raw_ids = body.get("orders_to_redact") or []
    if type(raw_ids) is not list:
        raise InvalidInput("must be an array", field="orders_to_redact")
    ids = tuple(
        shopify_id(value, f"orders_to_redact[{i}]", "Order") for i, value in enumerate(raw_ids)
    )
    return EraseCustomer(merchant_id, email, ids, requested_by="shopify")
