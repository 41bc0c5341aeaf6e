"""A WooCommerce store's order history and catalogue, page by page, for the shared backfill runner
(``service_layer/storefronts/backfill``).

``GET /wp-json/wc/v3/orders?after=<since>T00:00:00&dates_are_gmt=true&orderby=date&order=asc
&per_page=100&page=N``: oldest first, so the pages already imported stay put while new
orders are placed, and the cursor is simply the next page number. Each order is the same
JSON a webhook delivers, so it becomes the same commands (the order, its refunds, its
tracking numbers) and backfill and webhooks converge on one order per WooCommerce id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from postpurchase.adapters.storefronts.woocommerce.client import WooClient
from postpurchase.adapters.storefronts.woocommerce.products import parse_product
from postpurchase.adapters.storefronts.woocommerce.webhook import order_commands
from postpurchase.domain.errors import DomainError
from postpurchase.domain.storefronts.commands import SyncProduct
from postpurchase.service_layer.storefronts.backfill import BackfillItem, BackfillPage

PER_PAGE = 100


class OrderPages:
    """The backfill runner's page source for orders."""

    kind = "orders"

    def __init__(self, client: WooClient, merchant_id: str, per_page: int = PER_PAGE) -> None:
        self.client = client
        self.merchant_id = merchant_id
        self.per_page = per_page
        self.total: int | None = None  # X-WP-Total of the last page: orders in the range
        self.total_pages: int | None = None

    def page(self, since: date | None, cursor: str | None) -> BackfillPage:
        number = int(cursor) if cursor and cursor.isdigit() else 1
        params = {"orderby": "date", "order": "asc", "status": "any", "dates_are_gmt": "true"}
        if since is not None:
            params["after"] = f"{since.isoformat()}T00:00:00"
        page = self.client.page("orders", number, self.per_page, **params)
        self.total, self.total_pages = page.total, page.total_pages
        return BackfillPage(
            items=[self._item(order) for order in page.items],
            cursor=str(number + 1),
            has_next=page.has_next,
        )

    def _item(self, order: object) -> BackfillItem:
        ref = str(order.get("id")) if isinstance(order, Mapping) else "?"
        if not isinstance(order, Mapping):
            return BackfillItem(ref, error="not an order object")
        try:
            return BackfillItem(ref, order_commands(order, merchant_id=self.merchant_id))
        except DomainError as bad:
            where = f"{bad.field}: " if bad.field else ""
            return BackfillItem(ref, error=f"{where}{bad.message}")


class ProductPages:
    """The backfill runner's page source for the catalogue: ``GET /products`` by id, and
    each variable product's variations (``GET /products/{id}/variations``)."""

    kind = "products"

    def __init__(self, client: WooClient, merchant_id: str, per_page: int = PER_PAGE) -> None:
        self.client = client
        self.merchant_id = merchant_id
        self.per_page = per_page
        self.total: int | None = None

    def page(self, since: date | None, cursor: str | None) -> BackfillPage:
        number = int(cursor) if cursor and cursor.isdigit() else 1
        page = self.client.page("products", number, self.per_page, orderby="id", order="asc",
                                status="any")  # fmt: skip
        self.total = page.total
        return BackfillPage(
            items=[self._item(product) for product in page.items],
            cursor=str(number + 1),
            has_next=page.has_next,
        )

    def _item(self, product: object) -> BackfillItem:
        if not isinstance(product, Mapping):
            return BackfillItem("?", error="not a product object")
        ref = str(product.get("id"))
        variations = None
        if product.get("type") == "variable":
            variations = [v for v in self.client.all(f"products/{ref}/variations")
                          if isinstance(v, Mapping)]  # fmt: skip
        try:
            synced = SyncProduct(self.merchant_id, parse_product(product, variations))
        except DomainError as bad:
            where = f"{bad.field}: " if bad.field else ""
            return BackfillItem(ref, error=f"{where}{bad.message}")
        return BackfillItem(ref, (synced,))
