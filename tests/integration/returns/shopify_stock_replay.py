"""The local Shopify of the returns tests, taught inventory and return reasons the way
Shopify documents them: ``productVariant.inventoryItem``, ``inventoryAdjustQuantities``
(with ``@idempotent(key:)``: a resent request with a key already used answers the first
result and adjusts nothing; ``userErrors`` with ``code``), and ``returnReasonDefinitions``
(paged ``nodes`` with ``id handle name deleted``)."""

from __future__ import annotations

from typing import Any

from pytest_httpserver import HTTPServer

from tests.integration.returns.shopify_returns_replay import LOCATION, ReturnsReplay

ITEM = "gid://shopify/InventoryItem/30322695"
DEFINITIONS = [
    {"id": "gid://shopify/ReturnReasonDefinition/1", "handle": "too-small",
     "name": "Too small", "deleted": False},
    {"id": "gid://shopify/ReturnReasonDefinition/2", "handle": "too-large",
     "name": "Too large", "deleted": False},
    {"id": "gid://shopify/ReturnReasonDefinition/3", "handle": "defective",
     "name": "Damaged or defective", "deleted": False},
    {"id": "gid://shopify/ReturnReasonDefinition/4", "handle": "quality",
     "name": "Quality", "deleted": False},
    {"id": "gid://shopify/ReturnReasonDefinition/5", "handle": "other",
     "name": "Other", "deleted": False},
    {"id": "gid://shopify/ReturnReasonDefinition/6", "handle": "changed-mind",
     "name": "Changed mind", "deleted": True},
]  # fmt: skip


class StockReplay(ReturnsReplay):
    def __init__(self, server: HTTPServer, *, versions: tuple[str, ...] = ()) -> None:
        super().__init__(server)
        for version in versions:  # other Admin API versions answered the same way
            server.expect_request(
                f"/admin/api/{version}/graphql.json", method="POST"
            ).respond_with_handler(self._graphql)
        # variant gid -> (inventory item gid, tracked)
        self.variants: dict[str, tuple[str, bool]] = {}
        self.locations = {LOCATION}
        self.stock: dict[tuple[str, str], int] = {}  # (item, location) -> available
        self.keys: dict[str, dict[str, Any]] = {}  # idempotency key -> first answer
        self.definitions = list(DEFINITIONS)

    def _op_RestockVariant(self, variables: dict[str, Any]) -> dict[str, Any]:
        found = self.variants.get(variables["id"])
        if found is None:
            return {"productVariant": None}
        item, tracked = found
        return {"productVariant": {"id": variables["id"],
                                   "inventoryItem": {"id": item, "tracked": tracked}}}  # fmt: skip

    def _op_RestockAdjust(self, variables: dict[str, Any]) -> dict[str, Any]:
        key = variables.get("key")
        if key is not None and key in self.keys:
            return self.keys[key]  # the first request's result, nothing adjusted again
        data = variables["input"]
        changes = []
        for i, change in enumerate(data["changes"]):
            if change["locationId"] not in self.locations:
                error = {"field": ["input", "changes", str(i), "locationId"],
                         "message": "The specified location could not be found.",
                         "code": "INVALID_LOCATION"}  # fmt: skip
                return {"inventoryAdjustQuantities": {"inventoryAdjustmentGroup": None,
                                                      "userErrors": [error]}}  # fmt: skip
            where = (change["inventoryItemId"], change["locationId"])
            self.stock[where] = self.stock.get(where, 0) + change["delta"]
            changes.append({"name": data["name"], "delta": change["delta"],
                            "quantityAfterChange": self.stock[where]})  # fmt: skip
        answer = {"inventoryAdjustQuantities": {
            "inventoryAdjustmentGroup": {
                "id": self._id("InventoryAdjustmentGroup"), "reason": data["reason"],
                "referenceDocumentUri": data.get("referenceDocumentUri"), "changes": changes},
            "userErrors": []}}  # fmt: skip
        if key is not None:
            self.keys[key] = answer
        return answer

    def _op_ReturnReasonDefinitions(self, variables: dict[str, Any]) -> dict[str, Any]:
        start = int(variables.get("after") or 0)
        page = self.definitions[start : start + min(variables["first"], 4)]  # small pages
        end = start + len(page)
        return {"returnReasonDefinitions": {"nodes": page, "pageInfo": {
            "hasNextPage": end < len(self.definitions), "endCursor": str(end)}}}  # fmt: skip
