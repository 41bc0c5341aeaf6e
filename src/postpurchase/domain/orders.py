"""Orders: what the shopper bought, where it goes, what was promised, and its derived status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from postpurchase.domain import events
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import Conflict, InvalidInput
from postpurchase.domain.money import Money, total
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
class OrderLineInput:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    weight_grams: int | None = None

    def __post_init__(self) -> None:
        if not self.sku.strip():
            raise InvalidInput("sku must not be empty", field="sku")
        if isinstance(self.quantity, bool) or self.quantity < 1:
            raise InvalidInput("quantity must be a positive integer", field="quantity")
        if self.unit_price.is_negative():
            raise InvalidInput("unit price must not be negative", field="unit_price")


@dataclass(slots=True)
class OrderLine:
    id: str
    sku: str
    name: str
    quantity: int
    unit_price: Money
    weight_grams: int | None = None

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


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
    status: OrderStatus = OrderStatus.UNFULFILLED
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
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

    @property
    def subtotal(self) -> Money:
        return total([line.subtotal for line in self.lines], self.currency)

    @property
    def total(self) -> Money:
        return self.subtotal + self.shipping_fee

    def line_for_sku(self, sku: str) -> OrderLine | None:
        return next((line for line in self.lines if line.sku == sku), None)

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
    return derive_status(order.status, {line.id: line.quantity for line in order.lines}, shipments)


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
