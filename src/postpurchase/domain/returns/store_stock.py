"""A restocked return line put back into the connected store's inventory, exactly once.

Two paths can move the store's stock for one restocked line: our adjustment on the
``ReturnItemRestocked`` event (service_layer.returns.store_stock), and the store's own
refund or return processing (``refundCreate`` with ``restockType: RETURN``, WooCommerce's
``api_restock``, Shopify's ``returnProcess`` with ``RESTOCKED``). One row per
(merchant, return, line, event) says which path owns the line; whoever claims it first owns
it, and the other never moves the stock of that line (ADR 0031).

Pure: the states, the rule of who may still restock, the keys the store sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

RESTOCK = "restock"  # the event kind of the ledger's key: the line's ReturnItemRestocked


class StockStatus(StrEnum):
    PENDING = "pending"  # written before the store is called; outcome not known yet
    DONE = "done"  # the store's stock went up
    FAILED = "failed"  # the store refused, or the outcome cannot be known: nothing retried
    SKIPPED = "skipped"  # nothing to do here (not connected, not in the store, owned...)


class StockOwner(StrEnum):
    ADJUSTMENT = "adjustment"  # our inventory adjustment on ReturnItemRestocked
    STORE_REFUND = "store_refund"  # the store's refund / return processing restocks it


class StockReason:
    """Why a line is skipped or failed, worded for the merchant (kept on the row)."""

    NOT_FROM_A_STORE = "the order did not come from a connected store"
    NOT_CONNECTED = "store not connected"
    NO_VARIANT = "variant not in store (the order line names no store variant)"
    NOT_TRACKED = "variant not in store's tracked inventory"
    NO_LOCATION = "no store location mapped for this location (set one, or a default '*')"
    OWNED_BY_REFUND = "already restocked by the store's refund or return processing"
    NO_RELATIVE_UPDATE = (
        "WooCommerce has no relative stock update (its REST API only sets stock_quantity); "
        "the refund's api_restock restocks instead"
    )
    UNKNOWN_PREFIX = "outcome unknown"
    UNKNOWN_OUTCOME = (
        "outcome unknown (the store's API version has no idempotency key): check the "
        "store's inventory history for {uri} before adjusting by hand"
    )


@dataclass(slots=True)
class StockAdjustment:
    """One line's restock in the store (``store_stock_adjustments``)."""

    merchant_id: str
    return_id: str
    line_id: str  # the order line id (a return has one line per order line)
    event: str
    sku: str
    quantity: int
    location: str | None
    platform: str | None
    status: StockStatus
    owner: StockOwner
    created_at: datetime
    reason: str | None = None
    attempts: int = 0
    store_reference: str | None = None  # e.g. the inventory adjustment group's id
    updated_at: datetime | None = None
    settled_at: datetime | None = None

    @property
    def adjusted_or_may_have(self) -> bool:
        """Our adjustment moved the store's stock, or may have (pending): the refund must
        not restock this line."""
        return self.owner is StockOwner.ADJUSTMENT and self.status in (
            StockStatus.DONE,
            StockStatus.PENDING,
        )

    @property
    def store_may_restock(self) -> bool:
        """Our adjustment left the line alone for sure (skipped, or refused by the store):
        the store's refund may restock it instead. An unknown outcome is not alone."""
        if self.owner is not StockOwner.ADJUSTMENT:
            return False
        if self.status is StockStatus.SKIPPED:
            return True
        unknown = (self.reason or "").startswith(StockReason.UNKNOWN_PREFIX)
        return self.status is StockStatus.FAILED and not unknown


def idempotency_key(return_id: str, line_id: str, event: str = RESTOCK) -> str:
    """The key the store dedupes a resent adjustment by: one per line and event."""
    return f"postpurchase-{event}-{return_id}-{line_id}"


def reference_uri(return_id: str) -> str:
    """``referenceDocumentUri``: names our return in the store's inventory history."""
    return f"gid://postpurchase/Return/{return_id}"
