"""The webhook topics WooCommerce sends and the headers of each delivery."""

from __future__ import annotations

from typing import Final

SOURCE: Final = "woocommerce"

ORDER_CREATED: Final = "order.created"
ORDER_UPDATED: Final = "order.updated"
ORDER_DELETED: Final = "order.deleted"
ORDER_RESTORED: Final = "order.restored"
PRODUCT_CREATED: Final = "product.created"
PRODUCT_UPDATED: Final = "product.updated"
PRODUCT_DELETED: Final = "product.deleted"

ORDER_SNAPSHOTS: Final = frozenset({ORDER_CREATED, ORDER_UPDATED, ORDER_RESTORED})
PRODUCT_TOPICS: Final = frozenset({PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_DELETED})
TOPICS: Final = ORDER_SNAPSHOTS | {ORDER_DELETED} | PRODUCT_TOPICS

# What `woocommerce connect` subscribes to (order.restored needs nothing new: the order is
# known; a restored order's next update revises it).
SUBSCRIBED: Final = (
    ORDER_CREATED, ORDER_UPDATED, ORDER_DELETED, PRODUCT_CREATED, PRODUCT_UPDATED,
    PRODUCT_DELETED,
)  # fmt: skip

SIGNATURE_HEADER: Final = "X-WC-Webhook-Signature"
TOPIC_HEADER: Final = "X-WC-Webhook-Topic"
RESOURCE_HEADER: Final = "X-WC-Webhook-Resource"
EVENT_HEADER: Final = "X-WC-Webhook-Event"
WEBHOOK_ID_HEADER: Final = "X-WC-Webhook-ID"
DELIVERY_ID_HEADER: Final = "X-WC-Webhook-Delivery-ID"
SOURCE_HEADER: Final = "X-WC-Webhook-Source"
