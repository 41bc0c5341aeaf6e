"""Commands: requests to change something. One handler each; errors propagate to the caller."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from postpurchase.domain.addresses import Address
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import OrderDetails, OrderTotals
from postpurchase.domain.orders import OrderLineInput, Promise
from postpurchase.domain.shipments import ShipmentFacts
from postpurchase.domain.tracking import TrackingEvent


@dataclass(frozen=True, slots=True)
class Command:
    merchant_id: str


@dataclass(frozen=True, slots=True)
class PlaceOrder(Command):
    external_id: str
    number: str
    email: str | None
    phone: str | None
    customer_name: str | None
    locale: str
    currency: str
    lines: tuple[OrderLineInput, ...]
    shipping_address: Address
    shipping_fee: Money
    placed_at: datetime
    promise: Promise | None = None
    source: str = "api"
    timezone: str | None = None
    totals: OrderTotals | None = None  # None: derived from the lines
    details: OrderDetails = field(default_factory=OrderDetails)
    # The store's updated_at of this snapshot. With it, a known order is revised when this
    # is newer than what we hold (orders/updated); without it, a known order is left as is.
    source_updated_at: datetime | None = None
    cancelled_at: datetime | None = None  # a snapshot of an order already cancelled
    cancel_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RefundLineInput:
    sku: str
    quantity: int
    amount: Money  # refunded for this line (its subtotal, as the store reports it)
    line_external_id: str | None = None  # the store's line id, when it gives one
    restock: str | None = None  # the store's restock type: return, cancel, no_restock...


@dataclass(frozen=True, slots=True)
class RecordRefund(Command):
    """Money the store gave back: per line and for shipping (a shipping-only refund has no
    lines). Idempotent by the store's refund id."""

    order_external_id: str
    refund_external_id: str
    created_at: datetime
    amount: Money  # the money actually returned (the transactions' total)
    shipping: Money
    lines: tuple[RefundLineInput, ...] = ()
    note: str | None = None
    # A person's refund (the console): its audit entry, written in the handler's transaction
    # so the refund and its entry commit together.
    audit: AuditEntry | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder(Command):
    order_id: str
    reason: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelOrderByExternalId(Command):
    """A store says it cancelled its order ``external_id``."""

    external_id: str
    reason: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ShipmentLineInput:
    sku: str
    quantity: int
    line_external_id: str | None = None  # the store's line id: matched before the SKU
    title: str | None = None


@dataclass(frozen=True, slots=True)
class CreateShipment(Command):
    order_id: str
    tracking_number: str
    carrier: str | None = None
    service: str | None = None
    lines: tuple[ShipmentLineInput, ...] = ()
    origin: Address | None = None
    external_id: str | None = None
    created_at: datetime | None = None
    events: tuple[TrackingEvent, ...] = ()
    tracking_url: str | None = None
    facts: ShipmentFacts = field(default_factory=ShipmentFacts)
    # A store's fulfilment: lines not on the order are kept as unmatched (with a warning)
    # instead of refusing the parcel; an API caller gets a 422 naming the line.
    keep_unmatched: bool = False
    # A person's reshipment (the console): its audit entry, written in the handler's
    # transaction with the new shipment's id added, so the two commit together.
    audit: AuditEntry | None = None
    # A return's parcel coming back (a return leg of this return): tracked like any other,
    # carries no order lines, never moves the order's status (service_layer.returns.tracking).
    return_id: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """Events for one tracking number as a source reported them.

    ``service`` and ``tracking_url`` are what the source says of the parcel (its service
    level, a public tracking page); a shipment that has none keeps them. ``readings`` serve
    a source that did not name the carrier: the same events read with a carrier's own code
    table, per carrier slug (only where that reading differs from ``events``), so the
    shipment's carrier can decide what a carrier-specific code means (:meth:`for_carrier`).
    """

    tracking_number: str
    carrier: str | None
    events: tuple[TrackingEvent, ...]
    ref: str = ""  # the caller's item reference, echoed in per-item results
    service: str | None = None
    tracking_url: str | None = None
    readings: tuple[tuple[str, tuple[TrackingEvent, ...]], ...] = ()

    def for_carrier(self, carrier: str | None) -> TrackingUpdate:
        """This update as scans of ``carrier`` (the shipment's): its reading when the source
        named no carrier and has one for it, else unchanged."""
        if self.carrier is None and carrier:
            for slug, events in self.readings:
                if slug == carrier:
                    return replace(self, events=events, readings=())
        return self


@dataclass(frozen=True, slots=True)
class RecordTracking(Command):
    """A batch from one source; the handler returns one result per update."""

    updates: tuple[TrackingUpdate, ...]


@dataclass(frozen=True, slots=True)
class FoldTracking(Command):
    """Fold up to ``limit`` scans accepted in deferred mode (a system job: merchant "*")."""

    limit: int = 5000


@dataclass(frozen=True, slots=True)
class SweepStaleShipments(Command):
    now: datetime


@dataclass(frozen=True, slots=True)
class RecordFulfillment(Command):
    """A store's fulfilment (one or more parcels of one order), created or updated.

    Each tracking number becomes a shipment, keyed by ``{fulfillment_id}`` (or
    ``{fulfillment_id}:{n}`` for the n-th number) so that updates find it again.
    """

    order_external_id: str
    fulfillment_id: str
    tracking_numbers: tuple[str, ...]
    carrier: str | None
    service: str | None
    lines: tuple[ShipmentLineInput, ...]
    created_at: datetime
    events: tuple[TrackingEvent, ...] = ()
    cancelled: bool = False
    tracking_urls: tuple[str, ...] = ()  # one per tracking number, in the same order
    facts: ShipmentFacts = field(default_factory=ShipmentFacts)


@dataclass(frozen=True, slots=True)
class EraseCustomer(Command):
    """Pseudonymise everything that identifies one shopper of the merchant: the orders placed
    with ``email`` (and those the store names in ``order_external_ids``)."""

    email: str
    order_external_ids: tuple[str, ...] = ()
    requested_by: str = "api"  # api | cli | shopify (customers/redact)
