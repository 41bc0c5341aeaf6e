"""Shopify's return reason definitions (Admin API 2026-01 and later): the library a shop
offers (``returnReasonDefinitions``, paged), read so the merchant can map our reason codes
to them. Requires the ``read_returns`` scope. Before 2026-01 there are none: the legacy
``ReturnReason`` enum is all Shopify takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from postpurchase.adapters.storefronts.shopify.admin_api import AdminApi
from postpurchase.domain.returns import ReasonDefinition, uses_definitions
from postpurchase.domain.storefronts import StoreConnection

DEFINITIONS = """
query ReturnReasonDefinitions($first: Int!, $after: String) {
  returnReasonDefinitions(first: $first, after: $after) {
    nodes { id handle name deleted }
    pageInfo { hasNextPage endCursor }
  }
}
"""
PAGE = 250
MAX_PAGES = 20


class ShopifyReasons:
    """``StoreReasonsPort`` for Shopify."""

    def __init__(self, api_for: Callable[[StoreConnection], AdminApi], version: str) -> None:
        self.api_for = api_for
        self.version = version

    @property
    def definitions_supported(self) -> bool:
        return uses_definitions(self.version)

    def definitions(self, connection: StoreConnection) -> list[ReasonDefinition]:
        if not self.definitions_supported:
            return []
        api = self.api_for(connection)
        found: list[ReasonDefinition] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            data = api.query(DEFINITIONS, {"first": PAGE, "after": after})
            conn: Mapping[str, Any] = data.get("returnReasonDefinitions") or {}
            for node in conn.get("nodes") or ():
                if isinstance(node, Mapping) and node.get("id") and node.get("handle"):
                    found.append(ReasonDefinition(
                        str(node["id"]), str(node["handle"]), str(node.get("name") or ""),
                        bool(node.get("deleted")),
                    ))  # fmt: skip
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                break
            after = str(info["endCursor"])
        return found
