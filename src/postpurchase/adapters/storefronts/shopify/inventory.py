"""Restocking a returned line in Shopify: ``inventoryAdjustQuantities`` on the ``available``
quantity, reason ``restock``, with a ``referenceDocumentUri`` naming our return.

The variant's inventory item comes from ``productVariant(id).inventoryItem`` (a variant
Shopify does not know, or whose inventory it does not track, is skipped). Shopify dedupes
the adjustment by the ``@idempotent(key:)`` directive from Admin API 2026-01 (required from
2026-04): a resent request with the same key answers the first adjustment instead of adding
the units again, so a retry after a timeout or a crash is safe, and the client may retry a
5xx itself. Before 2026-01 there is no key; the adjustment is sent once
(``idempotent=False``) and an unknown outcome is not resent (the service settles it failed,
"outcome unknown"). From 2026-04 each change must name ``changeFromQuantity``; we send
``null`` (no compare-and-swap): a restock is a delta on whatever the shop holds, and the
key, not the quantity, is what makes it once.

``userErrors`` are a refusal (nothing adjusted: settled failed with Shopify's message),
except ``IDEMPOTENCY_CONCURRENT_REQUEST`` (the first request with the key is still running):
raised, so the outbox retries later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from postpurchase.adapters.storefronts.shopify.admin_api import AccessRevoked, AdminApi
from postpurchase.domain.returns import StockReason, StockStatus
from postpurchase.domain.storefronts import StoreConnection
from postpurchase.service_layer.returns import StockRequest, StockResult

KEYED_FROM = "2026-01"  # @idempotent on inventoryAdjustQuantities (required from 2026-04)
CHANGE_FROM_REQUIRED = "2026-04"  # changeFromQuantity must be given (null: no CAS)

VARIANT = """
query RestockVariant($id: ID!) {
  productVariant(id: $id) { id inventoryItem { id tracked } }
}
"""

ADJUST = """
mutation RestockAdjust($input: InventoryAdjustQuantitiesInput!{key_variable}) {
  inventoryAdjustQuantities(input: $input){directive} {
    inventoryAdjustmentGroup { id reason referenceDocumentUri
      changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}
"""


def _from(version: str, release: str) -> bool:
    return version == "unstable" or version >= release


def adjust_document(version: str) -> str:
    keyed = _from(version, KEYED_FROM)
    return ADJUST.replace("{key_variable}", ", $key: String!" if keyed else "").replace(
        "{directive}", " @idempotent(key: $key)" if keyed else ""
    )


def location_gid(value: str) -> str:
    return value if value.startswith("gid://") else f"gid://shopify/Location/{value}"


def variant_gid(value: str) -> str:
    return value if value.startswith("gid://") else f"gid://shopify/ProductVariant/{value}"


class StockTransient(RuntimeError):
    """Shopify is still running the first request with this key: try again later."""


class ShopifyStock:
    """``StoreStockPort`` for Shopify; ``api_for`` gives a connection's Admin API."""

    def __init__(self, api_for: Callable[[StoreConnection], AdminApi], version: str) -> None:
        self.api_for = api_for
        self.version = version

    @property
    def keyed(self) -> bool:
        return _from(self.version, KEYED_FROM)

    def restock(self, connection: StoreConnection, request: StockRequest) -> StockResult:
        try:
            return self._restock(connection, request)
        except AccessRevoked as exc:  # 401/403: Shopify ran nothing; retrying does not help
            return StockResult(StockStatus.FAILED, str(exc))

    def _restock(self, connection: StoreConnection, request: StockRequest) -> StockResult:
        api = self.api_for(connection)
        found = api.query(VARIANT, {"id": variant_gid(request.store_variant_id)})
        variant = found.get("productVariant")
        item = variant.get("inventoryItem") if isinstance(variant, Mapping) else None
        if not isinstance(item, Mapping) or not item.get("id"):
            return StockResult(StockStatus.SKIPPED, StockReason.NO_VARIANT)
        if item.get("tracked") is False:
            return StockResult(StockStatus.SKIPPED, StockReason.NOT_TRACKED)
        change: dict[str, Any] = {
            "delta": request.quantity,
            "inventoryItemId": item["id"],
            "locationId": location_gid(request.store_location_id),
        }
        if _from(api.version, CHANGE_FROM_REQUIRED):
            change["changeFromQuantity"] = None
        variables: dict[str, Any] = {"input": {
            "name": "available", "reason": "restock",
            "referenceDocumentUri": request.reference_uri, "changes": [change],
        }}  # fmt: skip
        document = adjust_document(api.version)
        if "$key" in document:
            variables["key"] = request.key
        # keyed: a resend is deduped by Shopify, so the client may retry a 5xx itself
        data = api.query(document, variables, idempotent="$key" in document)
        payload = data.get("inventoryAdjustQuantities") or {}
        errors = [e for e in payload.get("userErrors") or () if isinstance(e, Mapping)]
        if any(e.get("code") == "IDEMPOTENCY_CONCURRENT_REQUEST" for e in errors):
            raise StockTransient(f"{connection.shop}: the first adjustment is still running")
        if errors:
            return StockResult(StockStatus.FAILED, f"Shopify: {errors[0].get('message')}")
        group = payload.get("inventoryAdjustmentGroup")
        reference = str(group.get("id")) if isinstance(group, Mapping) else None
        return StockResult(StockStatus.DONE, reference=reference)
