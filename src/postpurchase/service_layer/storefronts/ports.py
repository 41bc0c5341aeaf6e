"""Ports for connected stores: where connections and refund attempts are kept, and the
refund port every store platform's adapter implements."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postpurchase.domain.storefronts import (
    BackfillState,
    RefundAttempt,
    RefundRequest,
    RefundResult,
    StoreConnection,
    StorePlatform,
)
from postpurchase.domain.storefronts.catalogue import Product


class StoreRefused(Exception):
    """The store answered and refused the refund: nothing was paid, so the same key may be
    tried again once the cause is fixed. ``field`` names our input when the store did."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StorefrontRefunds(Protocol):
    """Asks one store platform to refund (Shopify ``refundCreate``, WooCommerce's refunds
    endpoint). Network I/O: never called inside a database transaction.

    ``refund`` raises :class:`StoreRefused` when the store said no; any other exception
    means the outcome is unknown (a timeout after the request left). ``find`` looks for a
    refund made under the request's idempotency key (the adapter marks its refunds with
    it), so an attempt whose outcome is unknown is settled without paying twice.
    """

    def refund(self, connection: StoreConnection, request: RefundRequest) -> RefundResult: ...

    def find(self, connection: StoreConnection, request: RefundRequest) -> RefundResult | None: ...


class StoreConnectionRepository(Protocol):
    def get(self, merchant_id: str, platform: StorePlatform) -> StoreConnection | None: ...
    def get_by_shop(self, platform: StorePlatform, shop: str) -> StoreConnection | None: ...
    def for_merchant(self, merchant_id: str) -> list[StoreConnection]: ...
    def add(self, connection: StoreConnection) -> None:
        """Insert; a shop already connected (or a second connection of the merchant on the
        platform) is a Conflict."""
        ...

    def save(self, connection: StoreConnection) -> None:
        """Write status, scopes, credentials and settings back."""
        ...

    def save_backfill(self, connection_id: str, state: BackfillState) -> None:
        """Record one kind's backfill state (its own statement, so progress survives a run
        that stops)."""
        ...


class RefundLedger(Protocol):
    """Refunds asked of stores, keyed by (merchant, idempotency key): recorded ``pending``
    before the store is called, settled after."""

    def get(self, merchant_id: str, key: str) -> RefundAttempt | None: ...

    def begin(self, attempt: RefundAttempt) -> bool:
        """Insert the pending attempt; False when the key exists (the caller re-reads)."""
        ...

    def retry(self, merchant_id: str, key: str, at: datetime) -> None:
        """Back to pending for another attempt (after a refusal or a stale unknown)."""
        ...

    def settle(self, merchant_id: str, key: str, result: RefundResult, at: datetime) -> None: ...
    def fail(self, merchant_id: str, key: str, error: str, at: datetime) -> None: ...


class Catalogue(Protocol):
    """The store's products and variants as last synced."""

    def upsert(self, merchant_id: str, product: Product, at: datetime) -> bool:
        """Replace what is held of the product (its variants too); True when it changed.
        Collections are kept when ``product.collections`` is None (the source did not say)."""
        ...

    def remove(self, merchant_id: str, platform: str, external_id: str, at: datetime) -> bool:
        """Flag it deleted (kept: orders and returns may name it)."""
        ...


class ShopData(Protocol):
    def customer_emails(self, merchant_id: str) -> list[str]:
        """Every shopper e-mail the merchant's orders and customers hold (shop redaction)."""
        ...
