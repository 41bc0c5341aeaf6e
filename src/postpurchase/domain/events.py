"""Domain events: facts that happened. Handlers subscribe to them through the message bus.

Every event carries the merchant id so that no subscriber ever has to guess the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Event:
    merchant_id: str


@dataclass(frozen=True, slots=True)
class OrderPlaced(Event):
    order_id: str
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRevised(Event):
    """A newer snapshot from the store replaced the order's lines, money or details."""

    order_id: str
    revised_at: datetime


@dataclass(frozen=True, slots=True)
class RefundRecorded(Event):
    order_id: str
    refund_id: str
    amount: str  # Decimal as text, in ``currency``
    currency: str


@dataclass(frozen=True, slots=True)
class OrderCancelled(Event):
    order_id: str
    reason: str | None
    cancelled_at: datetime


@dataclass(frozen=True, slots=True)
class OrderStatusChanged(Event):
    order_id: str
    from_status: str
    to_status: str


@dataclass(frozen=True, slots=True)
class ShipmentCreated(Event):
    shipment_id: str
    order_id: str
    carrier: str | None
    tracking_number: str


@dataclass(frozen=True, slots=True)
class ReturnShipmentCreated(Event):
    """A return's parcel (a return leg) is now tracked like an outbound one. Raised instead
    of ``ShipmentCreated``: nothing that tells a shopper "your order shipped" or writes a
    fulfilment back to the store must see a parcel coming back."""

    shipment_id: str
    order_id: str
    return_id: str
    carrier: str | None
    tracking_number: str


@dataclass(frozen=True, slots=True)
class ReturnShipmentMoved(Event):
    """A return leg's folded tracking state changed (raised instead of the outbound
    ``ShipmentStatusChanged``/``Delivered``/``Exception`` events). It carries the state after
    the fold over every scan stored so far, so a subscriber that only ever moves the return
    forward reaches the same place whatever order the scans (or these events) arrive in."""

    shipment_id: str
    order_id: str
    return_id: str
    status: str
    substatus: str | None
    handed_over_at: datetime | None  # the first carrier scan
    delivered_at: datetime | None
    at: datetime


@dataclass(frozen=True, slots=True)
class TrackingNumberInvalid(Event):
    """The number matches no known carrier format or fails its check digit."""

    shipment_id: str
    order_id: str
    tracking_number: str
    carrier: str | None


@dataclass(frozen=True, slots=True)
class ShipmentStatusChanged(Event):
    shipment_id: str
    order_id: str
    from_status: str
    to_status: str
    from_substatus: str | None
    substatus: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ShipmentDelivered(Event):
    shipment_id: str
    order_id: str
    delivered_at: datetime


@dataclass(frozen=True, slots=True)
class ShipmentDelayed(Event):
    shipment_id: str
    order_id: str
    reason: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ShipmentException(Event):
    shipment_id: str
    order_id: str
    substatus: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class CarrierEstimateChanged(Event):
    shipment_id: str
    order_id: str
    previous: date | None
    estimate: date


@dataclass(frozen=True, slots=True)
class UnrecognisedCarrierCode(Event):
    """Counted, never dropped: the mapping table needs a new row."""

    source: str
    carrier: str | None
    code: str | None
    shipment_id: str


@dataclass(frozen=True, slots=True)
class CustomerErased(Event):
    """Bookkeeping: a shopper's data was pseudonymised (no personal data in the event)."""

    orders: int
    requested_by: str
    erased_at: datetime
