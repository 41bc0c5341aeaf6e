"""Ports: what the service layer needs from the outside world, as Protocols.

Adapters implement them (SQLAlchemy, Huey, SMTP...); tests implement them with in-memory
fakes. Nothing here knows about a database or a network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from postpurchase.domain.audit import AuditEntry, StoredAudit
from postpurchase.domain.media import MediaKind, MediaRef, StoredMedia
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.orders import Order, OrderProgress, ShipmentView
from postpurchase.domain.privacy import ErasureReport
from postpurchase.domain.refunds import Refund
from postpurchase.domain.secrets import MerchantSecret, SecretKind
from postpurchase.domain.shipments import Shipment, ShipmentRef
from postpurchase.domain.tracking import TrackingEvent


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SecretBox(Protocol):
    """Seals secrets before they are stored and opens them when read (the keyring)."""

    def seal(self, secret: str) -> str: ...
    def open(self, stored: str) -> str: ...
    def needs_reseal(self, stored: str) -> bool: ...
    def reseal(self, stored: str) -> str: ...
    def derive(self, purpose: str) -> list[bytes]: ...


@dataclass(frozen=True, slots=True)
class SecretSummary:
    """What may be shown of a stored secret."""

    kind: SecretKind
    last4: str
    updated_at: datetime
    rotated_at: datetime | None
    previous_honoured: bool  # a previous value is stored (honoured within the grace period)


class SecretRepository(Protocol):
    def get(self, merchant_id: str, kind: SecretKind) -> MerchantSecret | None: ...
    def summaries(self, merchant_id: str) -> list[SecretSummary]: ...
    def put(self, secret: MerchantSecret) -> None: ...
    def remove(self, merchant_id: str, kind: SecretKind) -> bool: ...


class AuditLog(Protocol):
    """The audit log of admin actions, written in the transaction of the change it records."""

    def record(self, entry: AuditEntry) -> int: ...
    def list(
        self,
        merchant_id: str,
        *,
        limit: int = 50,
        before_id: int | None = None,
        subject: str | None = None,
    ) -> list[StoredAudit]: ...


class MediaStore(Protocol):
    """Files every process on every host can read: in the database or a shared directory."""

    def put(
        self,
        merchant_id: str,
        kind: MediaKind,
        content_type: str,
        data: bytes,
        filename: str | None = None,
    ) -> MediaRef: ...
    def get(self, merchant_id: str, media_id: str) -> StoredMedia | None: ...
    def delete(self, merchant_id: str, media_id: str) -> bool: ...


class RefundRepository(Protocol):
    def add(self, refund: Refund, recorded_at: datetime) -> bool:
        """False when this store refund was recorded before."""
        ...

    def for_order(self, merchant_id: str, order_id: str) -> list[Refund]: ...


class CustomerData(Protocol):
    """Everything stored about one shopper of a merchant, across tables."""

    def erase(
        self, merchant_id: str, email: str, order_external_ids: Sequence[str]
    ) -> ErasureReport:
        """Pseudonymise (see ``domain.privacy``); the orders stay for the KPIs."""
        ...


class MerchantRepository(Protocol):
    def add(self, merchant: Merchant) -> None: ...
    def get(self, merchant_id: str) -> Merchant | None: ...
    def get_by_slug(self, slug: str) -> Merchant | None: ...
    def get_by_api_key_hash(self, key_hash: str) -> Merchant | None: ...
    def add_api_key(self, merchant_id: str, key_hash: str, label: str, at: datetime) -> None: ...
    def update(self, merchant: Merchant) -> None: ...


class CustomerRepository(Protocol):
    def find_or_create(
        self,
        merchant_id: str,
        *,
        email: str | None,
        phone: str | None,
        name: str | None,
        locale: str,
        at: datetime,
    ) -> str | None:
        """The customer id for this email (else phone); None when neither is known."""
        ...


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...
    def revise(self, order: Order) -> None:
        """Write the whole order again (a newer snapshot from its store)."""
        ...

    def get(self, merchant_id: str, order_id: str, *, lock: bool = False) -> Order | None:
        """``lock`` holds the row until commit (PostgreSQL; SQLite serialises writers)."""
        ...

    def get_by_external_id(self, merchant_id: str, external_id: str) -> Order | None: ...
    def progress_many(self, merchant_id: str, order_ids: Iterable[str]) -> list[OrderProgress]:
        """Locked (like ``get(lock=True)``) slim views for status derivation."""
        ...

    def get_many(
        self, merchant_id: str, order_ids: Iterable[str], *, lock: bool = False
    ) -> list[Order]: ...


class ShipmentRepository(Protocol):
    def add(self, shipment: Shipment) -> None: ...
    def get(self, merchant_id: str, shipment_id: str) -> Shipment | None: ...
    def get_by_external_id(self, merchant_id: str, external_id: str) -> Shipment | None: ...
    def by_tracking_numbers(
        self, merchant_id: str, numbers: Iterable[str], *, lock: bool = False
    ) -> list[Shipment]:
        """``lock`` holds the rows until commit, taken in id order (no deadlocks)."""
        ...

    def locate(self, merchant_id: str, numbers: Iterable[str]) -> list[ShipmentRef]:
        """Shipments by tracking number, without loading or locking them."""
        ...

    def get_many(self, merchant_id: str, shipment_ids: Iterable[str]) -> list[Shipment]:
        """Load and lock (in id order) the given shipments of one merchant."""
        ...

    def for_orders(self, merchant_id: str, order_ids: Iterable[str]) -> list[Shipment]: ...
    def for_return(self, merchant_id: str, return_id: str) -> list[Shipment]:
        """A return's legs: the parcels coming back for it, oldest first."""
        ...

    def views_for_orders(
        self, merchant_id: str, order_ids: Iterable[str]
    ) -> dict[str, list[ShipmentView]]:
        """Per order, what status derivation needs of each shipment, including changes made
        in this unit of work and not yet written."""
        ...

    def quiet_since(
        self, before: datetime, limit: int, out_for_delivery_before: datetime | None = None
    ) -> list[Shipment]:
        """Shipments of every merchant, not delivered or expired, with no event since ``before``
        (or out for delivery since before ``out_for_delivery_before``)."""
        ...


class TrackingEventStore(Protocol):
    def add_new(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        """Store (shipment_id, event) pairs not stored before; return (shipment_id, fingerprint)
        of those that were new. The database's unique key makes this idempotent under races."""
        ...

    def append(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        """``add_new``, and queue each new event for the folder (deferred ingestion)."""
        ...

    def claim_pending(self, limit: int) -> list[tuple[str, str, TrackingEvent]]:
        """Take up to ``limit`` queued events, oldest first, as (merchant_id, shipment_id,
        event). Exclusive: concurrent folders never get the same event, and the claim is
        undone if the transaction rolls back."""
        ...

    def history(self, shipment_ids: Iterable[str]) -> dict[str, list[TrackingEvent]]: ...


class WebhookReceipts(Protocol):
    def seen(self, merchant_id: str, source: str, delivery_id: str) -> bool: ...

    def first_time(self, merchant_id: str, source: str, delivery_id: str, at: datetime) -> bool:
        """Record a delivery id; False when it was recorded before (a replay or a retry)."""
        ...


class Counters(Protocol):
    def increment_unrecognised(
        self, merchant_id: str, source: str, carrier: str | None, code: str | None, at: datetime
    ) -> None: ...


class TaskQueue(Protocol):
    def nudge_outbox(self) -> None:
        """Ask a worker to drain the outbox soon. Losing a nudge is harmless: a periodic sweep
        drains anything left."""
        ...

    def nudge_tracking(self) -> None:
        """Ask a worker to fold queued scans soon (deferred ingestion); as harmless to lose."""
        ...
