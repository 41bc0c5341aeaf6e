"""Pages of a shop's history from the Admin GraphQL API, as commands (a ``PageSource``).

Orders are requested oldest first (``sortKey: CREATED_AT``) with ``query:
"created_at:>=YYYY-MM-DD"``; each order node becomes its ``PlaceOrder`` snapshot, then one
``RecordFulfillment`` per fulfilment and one ``RecordRefund`` per refund, all keyed by
Shopify's numeric ids (``legacyResourceId``), exactly as the webhooks key them: a backfill
that overlaps the webhooks creates nothing twice. The page's ``endCursor`` is the resume
point. An order we cannot take (no line that ships, a currency no ISO list has) is a
skipped item with its reason, not a stopped run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from postpurchase.adapters.storefronts.shopify import graphql_orders as g
from postpurchase.adapters.storefronts.shopify.admin_api import AdminApi, AdminApiError
from postpurchase.adapters.storefronts.shopify.catalogue import (
    PRODUCTS_QUERY,
    product_from_graphql,
)
from postpurchase.adapters.storefronts.shopify.fulfillments import as_command, parse_fulfillment
from postpurchase.adapters.storefronts.shopify.orders import parse_order
from postpurchase.adapters.storefronts.shopify.refunds import parse_refund
from postpurchase.domain.commands import Command
from postpurchase.domain.errors import DomainError
from postpurchase.domain.storefronts.commands import SyncProduct
from postpurchase.service_layer.storefronts.backfill import BackfillItem, BackfillPage

ORDERS_PAGE = 25  # an order node with its lines, fulfilments and refunds costs ~40 points
PRODUCTS_PAGE = 50


def _connection(data: Mapping[str, Any], key: str) -> tuple[list[Any], str | None, bool]:
    conn = data.get(key)
    if not isinstance(conn, Mapping):
        raise AdminApiError(f"the answer has no {key}")
    nodes = conn.get("nodes")
    info = conn.get("pageInfo") or {}
    return (
        nodes if isinstance(nodes, list) else [],
        info.get("endCursor"),
        bool(info.get("hasNextPage")),
    )


def order_commands(node: Mapping[str, Any], merchant_id: str) -> tuple[Command, ...]:
    """The commands one GraphQL order node stands for (raises InvalidInput naming the field
    of the REST shape it was read into)."""
    found: list[Command] = [parse_order(g.rest_order(node), merchant_id=merchant_id)]
    for f in g.fulfillments_of(node):
        found.append(as_command(parse_fulfillment(f), merchant_id))
    for r in g.refunds_of(node):
        found.append(parse_refund(r, merchant_id=merchant_id))
    return tuple(found)


class ShopifyOrderPages:
    kind = "orders"

    def __init__(self, api: AdminApi, merchant_id: str, page_size: int | None = None) -> None:
        self.api = api
        self.merchant_id = merchant_id
        self.page_size = page_size or ORDERS_PAGE

    def page(self, since: date | None, cursor: str | None) -> BackfillPage:
        variables: dict[str, Any] = {"first": self.page_size, "after": cursor}
        if since is not None:
            variables["query"] = f"created_at:>={since.isoformat()}"
        nodes, end, more = _connection(self.api.query(g.ORDERS_QUERY, variables), "orders")
        items = []
        for node in nodes:
            ref = str(node.get("legacyResourceId") or node.get("id") or "?")
            try:
                items.append(BackfillItem(ref, order_commands(node, self.merchant_id)))
            except DomainError as bad:
                where = f" ({bad.field})" if bad.field else ""
                items.append(BackfillItem(ref, error=f"{bad.message}{where}"))
        return BackfillPage(items, end or cursor, more)


class ShopifyProductPages:
    kind = "products"

    def __init__(self, api: AdminApi, merchant_id: str, page_size: int | None = None) -> None:
        self.api = api
        self.merchant_id = merchant_id
        self.page_size = page_size or PRODUCTS_PAGE
        self.currency: str | None = None

    def page(self, since: date | None, cursor: str | None) -> BackfillPage:
        data = self.api.query(PRODUCTS_QUERY, {"first": self.page_size, "after": cursor})
        shop = data.get("shop")
        if isinstance(shop, Mapping) and isinstance(shop.get("currencyCode"), str):
            self.currency = shop["currencyCode"]
        nodes, end, more = _connection(data, "products")
        items = []
        for node in nodes:
            ref = str(node.get("legacyResourceId") or node.get("id") or "?")
            try:
                product = product_from_graphql(node, self.currency)
                items.append(BackfillItem(ref, (SyncProduct(self.merchant_id, product),)))
            except DomainError as bad:
                items.append(BackfillItem(ref, error=bad.message))
        return BackfillPage(items, end or cursor, more)
