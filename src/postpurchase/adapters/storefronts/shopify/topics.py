"""The webhook topics we translate and the headers Shopify sends with each delivery."""

from __future__ import annotations

from typing import Final

SOURCE: Final = "shopify"

ORDERS_CREATE: Final = "orders/create"
ORDERS_UPDATED: Final = "orders/updated"
ORDERS_CANCELLED: Final = "orders/cancelled"
REFUNDS_CREATE: Final = "refunds/create"
FULFILLMENTS_CREATE: Final = "fulfillments/create"
FULFILLMENTS_UPDATE: Final = "fulfillments/update"
CUSTOMERS_REDACT: Final = "customers/redact"  # a mandatory privacy webhook for apps
CUSTOMERS_DATA_REQUEST: Final = "customers/data_request"  # mandatory too
SHOP_REDACT: Final = "shop/redact"  # mandatory too: 48 hours after an uninstall
APP_UNINSTALLED: Final = "app/uninstalled"
PRODUCTS_CREATE: Final = "products/create"
PRODUCTS_UPDATE: Final = "products/update"
PRODUCTS_DELETE: Final = "products/delete"

ORDER_TOPICS: Final = frozenset({ORDERS_CREATE, ORDERS_UPDATED, ORDERS_CANCELLED})
FULFILLMENT_TOPICS: Final = frozenset({FULFILLMENTS_CREATE, FULFILLMENTS_UPDATE})
PRODUCT_TOPICS: Final = frozenset({PRODUCTS_CREATE, PRODUCTS_UPDATE, PRODUCTS_DELETE})
PRIVACY_TOPICS: Final = frozenset({CUSTOMERS_REDACT, CUSTOMERS_DATA_REQUEST, SHOP_REDACT})
# Answered even after an uninstall (privacy requests come after it; the uninstall itself).
LIFECYCLE_TOPICS: Final = PRIVACY_TOPICS | {APP_UNINSTALLED}
TOPICS: Final = (
    ORDER_TOPICS | FULFILLMENT_TOPICS | PRODUCT_TOPICS | LIFECYCLE_TOPICS | {REFUNDS_CREATE}
)
# What an installed app subscribes to through the Admin API (the privacy topics are set in
# the app's configuration in the dashboard instead).
APP_SUBSCRIPTIONS: Final = (
    ORDERS_CREATE, ORDERS_UPDATED, ORDERS_CANCELLED, FULFILLMENTS_CREATE, FULFILLMENTS_UPDATE,
    REFUNDS_CREATE, PRODUCTS_CREATE, PRODUCTS_UPDATE, PRODUCTS_DELETE, APP_UNINSTALLED,
)  # fmt: skip

TOPIC_HEADER: Final = "X-Shopify-Topic"
WEBHOOK_ID_HEADER: Final = "X-Shopify-Webhook-Id"
SHOP_DOMAIN_HEADER: Final = "X-Shopify-Shop-Domain"
