"""The installed app's other topics: ``app/uninstalled``, the mandatory privacy webhooks
``shop/redact`` and ``customers/data_request`` (``customers/redact`` is in ``webhook``),
and ``products/create|update|delete``."""

from __future__ import annotations

from postpurchase.adapters.storefronts.json_fields import Payload, child, text
from postpurchase.adapters.storefronts.shopify.catalogue import parse_product_webhook
from postpurchase.adapters.storefronts.shopify.read import shopify_id, timestamp, unwrap
from postpurchase.adapters.storefronts.shopify.topics import (
    APP_UNINSTALLED,
    CUSTOMERS_DATA_REQUEST,
    SHOP_REDACT,
    SOURCE,
)
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.storefronts import StorePlatform, normalise_shop
from postpurchase.domain.storefronts.commands import (
    RecordDataRequest,
    RedactShop,
    RemoveProduct,
    SyncProduct,
    UninstallStore,
)


def _shop(value: str | None, field: str) -> str:
    if value is None:
        raise InvalidInput("the shop's domain is required", field=field)
    return normalise_shop(StorePlatform.SHOPIFY, value, field=field)


def parse_lifecycle(
    topic: str, payload: Payload, *, merchant_id: str
) -> UninstallStore | RedactShop | RecordDataRequest | SyncProduct | RemoveProduct:
    body = unwrap(payload, "shop")
    if topic == APP_UNINSTALLED:  # the Shop object
        return UninstallStore(
            merchant_id,
            SOURCE,
            _shop(text(body, "myshopify_domain"), "myshopify_domain"),
            timestamp(body, "updated_at", "updated_at"),
        )
    if topic == SHOP_REDACT:  # {"shop_id": 954889, "shop_domain": "x.myshopify.com"}
        return RedactShop(merchant_id, SOURCE, _shop(text(body, "shop_domain"), "shop_domain"))
    if topic == CUSTOMERS_DATA_REQUEST:
        customer = child(body, "customer")
        email = text(customer, "email", "customer.email")
        if email is None:
            raise InvalidInput("customer.email is required", field="customer.email")
        request = child(body, "data_request")
        raw_ids = body.get("orders_requested") or []
        if type(raw_ids) is not list:
            raise InvalidInput("must be an array", field="orders_requested")
        return RecordDataRequest(
            merchant_id,
            str(request.get("id") or ""),
            email,
            tuple(shopify_id(v, f"orders_requested[{i}]", "Order") for i, v in enumerate(raw_ids)),
        )
    return parse_product_webhook(topic, payload, merchant_id=merchant_id, currency=None, at=None)
