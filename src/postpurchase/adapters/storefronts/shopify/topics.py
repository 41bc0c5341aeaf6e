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

ORDER_TOPICS: Final = frozenset({ORDERS_CREATE, ORDERS_UPDATED, ORDERS_CANCELLED})
FULFILLMENT_TOPICS: Final = frozenset({FULFILLMENTS_CREATE, FULFILLMENTS_UPDATE})
TOPICS: Final = ORDER_TOPICS | FULFILLMENT_TOPICS | {REFUNDS_CREATE, CUSTOMERS_REDACT}

TOPIC_HEADER: Final = "X-Shopify-Topic"
WEBHOOK_ID_HEADER: Final = "X-Shopify-Webhook-Id"
SHOP_DOMAIN_HEADER: Final = "X-Shopify-Shop-Domain"
