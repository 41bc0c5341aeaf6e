"""Dispatch a verified WooCommerce delivery on its ``X-WC-Webhook-Topic`` header.

A delivery stands for one or more commands, run in order, each idempotent, so a retried
delivery converges: an order snapshot is the order (``PlaceOrder``), then each refund it
lists (``RecordRefund``), then each tracking number its shipment-tracking meta holds
(``RecordFulfillment``; none for a cancelled order).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from postpurchase.adapters.storefronts.woocommerce.orders import parse_order
from postpurchase.adapters.storefronts.woocommerce.products import parse_product
from postpurchase.adapters.storefronts.woocommerce.read import Amounts, Payload, body_object, woo_id
from postpurchase.adapters.storefronts.woocommerce.refunds import order_refunds
from postpurchase.adapters.storefronts.woocommerce.topics import (
    ORDER_DELETED,
    ORDER_SNAPSHOTS,
    PRODUCT_DELETED,
    PRODUCT_TOPICS,
    SOURCE,
    TOPIC_HEADER,
    TOPICS,
)
from postpurchase.adapters.storefronts.woocommerce.tracking import fulfillments
from postpurchase.domain.commands import CancelOrderByExternalId, Command
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.storefronts.commands import RemoveProduct, SyncProduct

_PING = re.compile(rb"webhook_id=[0-9]{1,20}")


def is_ping(body: bytes, content_type: str | None) -> bool:
    """WooCommerce's test delivery when a webhook is saved: an unsigned form body
    ``webhook_id=<id>``; it carries nothing to store."""
    form = (content_type or "").split(";")[0].strip().lower()
    return form in ("", "application/x-www-form-urlencoded") and bool(_PING.fullmatch(body.strip()))


def order_commands(order: Mapping[str, Any], *, merchant_id: str) -> tuple[Command, ...]:
    """An order snapshot (a webhook body or one order of a REST page) as its commands."""
    placed = parse_order(order, merchant_id=merchant_id)
    at = placed.source_updated_at or placed.placed_at
    refunds = order_refunds(order, merchant_id=merchant_id, amounts=Amounts(placed.currency),
                            at=at)  # fmt: skip
    parcels = () if placed.cancelled_at else fulfillments(order, merchant_id=merchant_id, at=at)
    return (placed, *refunds, *parcels)


def parse_webhook(topic: str | None, payload: Payload, *, merchant_id: str) -> tuple[Command, ...]:
    """The commands a delivery stands for (pure; raises InvalidInput naming the field):
    orders as above, products into the catalogue (a deleted one is flagged, kept)."""
    body = body_object(payload)
    if topic in ORDER_SNAPSHOTS:
        return order_commands(body, merchant_id=merchant_id)
    if topic == ORDER_DELETED:
        # WooCommerce sends only {"id": N} for a deleted order: it is cancelled here, and
        # everything we hold of it stays.
        return (
            CancelOrderByExternalId(
                merchant_id, woo_id(body.get("id"), "id"), reason="deleted in WooCommerce"
            ),
        )
    if topic == PRODUCT_DELETED:
        product_id = woo_id(body.get("id"), "id")
        return (RemoveProduct(merchant_id, SOURCE, product_id),)
    if topic in PRODUCT_TOPICS:
        return (SyncProduct(merchant_id, parse_product(body)),)
    supported = ", ".join(sorted(TOPICS))
    raise InvalidInput(f"unsupported topic {topic!r}; supported: {supported}", field=TOPIC_HEADER)
