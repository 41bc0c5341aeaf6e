"""Orders: what the shopper bought, where it goes, what was promised, and its derived status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from postpurchase.domain import events
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import Conflict, InvalidInput
from postpurchase.domain.money import Money, total
from postpurchase.domain.order_details import OrderDetails, OrderTotals
from postpurchase.domain.status import NEEDS_ATTENTION, OrderStatus, ShipmentStatus


@dataclass(frozen=True, slots=True)
class Promise:
    """The delivery promise made at checkout: a date, or a window when ``earliest`` is set."""

    latest: date
    earliest: date | None = None

    def __post_init__(self) -> None:
        if self.earliest is not None and self.earliest > self.latest:
            raise InvalidInput("promise window starts after it ends", field="promise")


@dataclass(frozen=True, slots=True)
class OurPromise:
    """The date *we* promised at purchase (issue 16), beside the store's own ``Promise``.

    Made once at intake by the merchant's active delivery-date model (or the rules layer)
    and never changed afterwards: it is what the shopper was told, whatever later scans,
    revisions or models say. ``layer``/``model``/``model_version`` say who made it.
    """

    promise: date
    p50: date
    confidence: float
    layer: str
    model: str
    model_version: int | None = None

    def as_dict(self) -> dict[str, str | float | int | None]:
        return {
            "promise": self.promise.isoformat(),
            "p50": self.p50.isoformat(),
            "confidence": self.confidence,
            "layer": self.layer,
            "model": self.model,
            "model_version": self.model_version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> OurPromise:
        version = data.get("model_version")
        return cls(
            promise=date.fromisoformat(str(data["promise"])),
            p50=date.fromisoformat(str(data["p50"])),
            confidence=float(str(data.get("confidence") or 0.95)),
            layer=str(data.get("layer") or "rules"),
            model=str(data.get("model") or ""),
            model_version=int(str(version)) if version is not None else None,
        )


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What a store says of a line beyond sku, name, quantity and price."""

    external_id: str | None = None  # the store's line id (refunds and fulfilments name it)
    product_id: str | None = None
    variant_id: str | None = None
    variant_title: str | None = None
    discount: Money | None = None  # every discount allocated to this line, in total
    tax: Money | None = None
    requires_shipping: bool = True
    gift_card: bool = False
    fulfillable_quantity: int | None = None
    properties: tuple[tuple[str, str], ...] = ()
    removed: bool = False  # dropped by an order edit after placement; kept for history


@dataclass(frozen=True, slots=True)
class OrderLineInput:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    weight_grams: int | None = None
    facts: LineFacts = LineFacts()

    def __post_init__(self) -> None:
        if not self.sku.strip():
            raise InvalidInput("sku must not be empty", field="sku")
        if isinstance(self.quantity, bool) or self.quantity < 1:
            raise InvalidInput("quantity must be a positive integer", field="quantity")
        if self.unit_price.is_negative():
            raise InvalidInput("unit price must not be negative", field="unit_price")
        discount = self.facts.discount
        if discount is not None and (
            discount.currency != self.unit_price.currency or discount.is_negative()
        ):
            raise InvalidInput("discount must be a non-negative amount", field="discount")


@dataclass(slots=True)
class OrderLine:
    id: str
    sku: str
    name: str
    quantity: int
    unit_price: Money
    weight_grams: int | None = None
    facts: LineFacts = LineFacts()

    @property
    def subtotal(self) -> Money:
        """List price times quantity, before discounts."""
        return self.unit_price * self.quantity

    @property
    def discount(self) -> Money:
        return self.facts.discount or Money.zero(self.unit_price.currency)

    @property
    def paid(self) -> Money:
        """What the shopper paid for this line: its subtotal less its discounts."""
        return self.subtotal - self.discount

    @property
    def ships(self) -> bool:
        """Whether a parcel will ever carry it (gift cards and digital goods do not)."""
        return self.facts.requires_shipping and not self.facts.gift_card and not self.facts.removed

    def key(self) -> str:
        """How a later snapshot of the order finds this line again: the store's line id,
        else the SKU."""
        return f"id:{self.facts.external_id}" if self.facts.external_id else f"sku:{self.sku}"


@dataclass(frozen=True, slots=True)
class OrderRevision:
    """A newer snapshot of an order, as its store sent it."""

    number: str
    email: str | None
    phone: str | None
    currency: str
    lines: list[OrderLine]
    shipping_address: Address
    shipping_fee: Money
    totals: OrderTotals | None
    details: OrderDetails
    source_updated_at: datetime | None
    promise: Promise | None = None


@dataclass(frozen=True, slots=True)
class ShipmentView:
    """What order-status derivation needs to know of each shipment."""

    status: ShipmentStatus
    quantities: dict[str, int]  # order line id -> quantity carried


@dataclass(slots=True)
class Order:
    id: str
    merchant_id: str
    external_id: str
    number: str
    customer_id: str | None
    email: str | None
    phone: str | None
    locale: str
    currency: str
    lines: list[OrderLine]
    shipping_address: Address
    shipping_fee: Money
    placed_at: datetime
    tracking_token: str
    promise: Promise | None = None
    source: str = "api"
    timezone: str | None = None
    totals: OrderTotals | None = None  # None: derived from the lines at construction
    details: OrderDetails = field(default_factory=OrderDetails)
    source_updated_at: datetime | None = None  # the store's updated_at of what we hold
    status: OrderStatus = OrderStatus.UNFULFILLED
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    our_promise: OurPromise | None = None  # set once at intake (see OurPromise)
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidInput("an order needs at least one line", field="lines")
        for line in self.lines:
            if line.unit_price.currency != self.currency:
                raise InvalidInput(
                    f"line {line.sku} is priced in {line.unit_price.currency}, "
                    f"the order in {self.currency}",
                    field="lines",
                )
        if self.shipping_fee.currency != self.currency:
            raise InvalidInput(
                "shipping fee currency differs from the order's", field="shipping_fee"
            )
        if self.totals is None:
            self.totals = derive_totals(self.lines, self.shipping_fee)
        elif self.totals.total.currency != self.currency:
            raise InvalidInput("totals are in another currency than the order", field="totals")

    @property
    def money(self) -> OrderTotals:
        assert self.totals is not None  # set in __post_init__
        return self.totals

    @property
    def subtotal(self) -> Money:
        return self.money.subtotal

    @property
    def total(self) -> Money:
        return self.money.total

    def shipped_quantities(self) -> dict[str, int]:
        """Line id -> quantity for the lines a parcel will carry (status derivation)."""
        return {line.id: line.quantity for line in self.lines if line.ships}

    def line_for_sku(self, sku: str) -> OrderLine | None:
        return next((line for line in self.lines if line.sku == sku), None)

    def line_named(self, external_id: str | None, sku: str) -> OrderLine | None:
        """The line a store means (in a fulfilment, a refund): by its own line id when it
        gives one (a SKU may repeat, or be missing), else by SKU."""
        if external_id:
            for line in self.lines:
                if line.facts.external_id == external_id:
                    return line
        return self.line_for_sku(sku)

    def is_newer(self, source_updated_at: datetime | None) -> bool:
        """Whether a snapshot the store stamped ``source_updated_at`` is newer than what we
        hold. Unstamped snapshots never replace anything (first write wins)."""
        if source_updated_at is None:
            return False
        return self.source_updated_at is None or source_updated_at > self.source_updated_at

    def revise(self, revision: OrderRevision, at: datetime) -> bool:
        """Apply a newer snapshot from the store (an order edit, a changed address, a
        payment captured). Deliveries may come in any order: an older snapshot than the one
        held changes nothing, so every order of arrival converges on the newest. Returns
        whether anything was applied."""
        if not self.is_newer(revision.source_updated_at):
            return False
        if revision.currency != self.currency:
            raise Conflict("an order's currency cannot change", field="currency")
        by_key = {line.key(): line for line in self.lines}
        lines: list[OrderLine] = []
        for new in revision.lines:
            old = by_key.pop(new.key(), None)
            lines.append(replace(new, id=old.id) if old is not None else new)
        for gone in by_key.values():  # removed by an edit: kept, as shipments may name it
            lines.append(replace(gone, facts=replace(gone.facts, removed=True)))
        self.lines = lines
        self.number = revision.number
        self.email = revision.email
        self.phone = revision.phone
        self.shipping_address = revision.shipping_address
        self.shipping_fee = revision.shipping_fee
        self.totals = revision.totals or derive_totals(lines, revision.shipping_fee)
        self.details = revision.details
        self.source_updated_at = revision.source_updated_at
        if revision.promise is not None:
            self.promise = revision.promise
        self.updated_at = at
        self.events.append(events.OrderRevised(self.merchant_id, self.id, at))
        return True

    def cancel(self, at: datetime, reason: str | None = None) -> None:
        if self.status is OrderStatus.CANCELLED:
            return  # cancelling twice is the same as once
        if self.status in (OrderStatus.DELIVERED, OrderStatus.PARTIALLY_DELIVERED):
            raise Conflict("a delivered order cannot be cancelled; start a return", field="status")
        previous = self.status
        self.status = OrderStatus.CANCELLED
        self.cancelled_at = at
        self.cancel_reason = reason
        self.events.append(events.OrderCancelled(self.merchant_id, self.id, reason, at))
        self.events.append(
            events.OrderStatusChanged(self.merchant_id, self.id, previous, self.status)
        )

    def refresh_status(self, shipments: Sequence[ShipmentView]) -> None:
        new = derive_order_status(self, shipments)
        if new is not self.status:
            previous = self.status
            self.status = new
            self.events.append(events.OrderStatusChanged(self.merchant_id, self.id, previous, new))


@dataclass(slots=True)
class OrderProgress:
    """The slice of an order that its shipments move: enough to derive its status.

    Tracking ingestion refreshes hundreds of orders per batch; loading this instead of the
    whole ``Order`` (prices, addresses) keeps that cheap. It raises the same event.
    """

    id: str
    merchant_id: str
    status: OrderStatus
    quantities: dict[str, int]  # order line id -> quantity ordered
    updated_at: datetime | None = None
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    def refresh(self, shipments: Sequence[ShipmentView], at: datetime) -> None:
        new = derive_status(self.status, self.quantities, shipments)
        if new is not self.status:
            previous, self.status, self.updated_at = self.status, new, at
            self.events.append(events.OrderStatusChanged(self.merchant_id, self.id, previous, new))


def derive_order_status(order: Order, shipments: Sequence[ShipmentView]) -> OrderStatus:
    """An order's status is a summary of its shipments; it is never set by hand."""
    return derive_status(order.status, order.shipped_quantities(), shipments)


def derive_totals(lines: Sequence[OrderLine | OrderLineInput], shipping: Money) -> OrderTotals:
    """Totals for a source that gives none: list prices less line discounts, plus shipping."""
    currency = shipping.currency
    gross = total([line.unit_price * line.quantity for line in lines], currency)
    discounts = total(
        [line.facts.discount for line in lines if line.facts.discount is not None], currency
    )
    return OrderTotals.derived(gross, discounts, shipping)


def derive_status(
    current: OrderStatus, ordered: dict[str, int], shipments: Sequence[ShipmentView]
) -> OrderStatus:
    if current is OrderStatus.CANCELLED:
        return OrderStatus.CANCELLED
    live = list(shipments)
    if not live:
        return OrderStatus.UNFULFILLED
    if any(s.status in NEEDS_ATTENTION for s in live):
        return OrderStatus.EXCEPTION
    shipped: dict[str, int] = dict.fromkeys(ordered, 0)
    delivered: dict[str, int] = dict.fromkeys(ordered, 0)
    untyped = False  # a shipment that does not say which lines it carries covers all
    for s in live:
        if not s.quantities:
            untyped = True
        for line_id, qty in s.quantities.items():
            if line_id in shipped:
                shipped[line_id] += qty
                if s.status is ShipmentStatus.DELIVERED:
                    delivered[line_id] += qty
    all_shipped = untyped or all(shipped[k] >= q for k, q in ordered.items())
    any_delivered = any(s.status is ShipmentStatus.DELIVERED for s in live)
    all_live_delivered = all(s.status is ShipmentStatus.DELIVERED for s in live)
    if all_shipped and all_live_delivered:
        return OrderStatus.DELIVERED
    if any_delivered:
        return OrderStatus.PARTIALLY_DELIVERED
    return OrderStatus.SHIPPED if all_shipped else OrderStatus.PARTIALLY_SHIPPED
