"""The response shapes of /api/v1: orders, shipments, tracking events, money and batch
results, as the OpenAPI documents them.

Split out of ``schemas`` (which keeps the request models) so what we answer reads apart from
what we accept; ``schemas`` re-exports every name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.entrypoints.api.edd_schemas import EstimateOut, OurPromiseOut
from postpurchase.entrypoints.api.edge_types import PromiseIn


class MoneyOut(BaseModel):
    amount: str
    currency: str


class OrderLineOut(BaseModel):
    id: str
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut
    weight_grams: int | None
    discount: MoneyOut = Field(description="Discounts allocated to this line, in total.")
    paid: MoneyOut = Field(description="Unit price times quantity, less the line's discounts.")
    tax: MoneyOut | None = None
    external_id: str | None = Field(default=None, description="The store's line id.")
    product_id: str | None = None
    variant_id: str | None = None
    variant_title: str | None = None
    requires_shipping: bool = True
    gift_card: bool = False
    fulfillable_quantity: int | None = None
    properties: list[tuple[str, str]] = Field(default_factory=list)
    removed: bool = Field(default=False, description="Dropped by an order edit.")


class TotalsOut(BaseModel):
    """The order's money as the store computed it, and what was refunded since."""

    subtotal: MoneyOut = Field(description="Lines after their discounts.")
    discounts: MoneyOut
    shipping: MoneyOut = Field(description="Paid for shipping, after shipping discounts.")
    tax: MoneyOut
    taxes_included: bool
    total: MoneyOut = Field(description="What the shopper paid for the order.")
    paid: MoneyOut = Field(description="What the store has received.")
    refunded: MoneyOut
    presentment: MoneyOut | None = Field(
        default=None, description="The total in the currency the shopper saw, if different."
    )


class DiscountOut(BaseModel):
    kind: str
    code: str | None
    amount: MoneyOut
    target: str
    value: str | None = None
    value_type: str | None = None


class ShippingLineOut(BaseModel):
    title: str
    code: str | None
    price: MoneyOut
    paid: MoneyOut
    source: str | None = None


class TaxLineOut(BaseModel):
    title: str
    rate: str
    amount: MoneyOut


class RefundOut(BaseModel):
    id: str
    external_id: str
    created_at: datetime
    amount: MoneyOut
    shipping: MoneyOut
    lines: list[dict[str, Any]]
    note: str | None


class OrderDetailsOut(BaseModel):
    customer_name: str | None = None
    accepts_marketing: bool | None = None
    billing_address: dict[str, str | None] | None = None
    shipping_method: str | None = None
    service_level: str | None = None
    note: str | None = None
    note_attributes: list[tuple[str, str]] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    financial_status: str | None = None
    fulfillment_status: str | None = None
    discounts: list[DiscountOut] = Field(default_factory=list)
    shipping_lines: list[ShippingLineOut] = Field(default_factory=list)
    tax_lines: list[TaxLineOut] = Field(default_factory=list)


class TrackingEventOut(BaseModel):
    occurred_at: datetime
    status: ShipmentStatus
    substatus: str | None
    carrier_code: str | None
    description: str | None
    location: dict[str, str | None] | None
    source: str
    recognised: bool
    correction: bool
    signed_by: str | None = Field(
        default=None, description="Who signed for the parcel (on a delivered scan)."
    )


class ShipmentOut(BaseModel):
    id: str
    order_id: str
    tracking_number: str
    carrier: str | None
    service: str | None
    tracking_valid: bool
    status: ShipmentStatus
    substatus: str | None
    status_at: datetime | None
    created_at: datetime
    handed_over_at: datetime | None
    delivered_at: datetime | None
    carrier_estimate: date | None
    last_event_at: datetime | None
    lines: list[dict[str, Any]]
    events: list[TrackingEventOut] | None = None
    tracking_url: str | None = Field(
        default=None,
        description="The carrier's (or the store's) public tracking page for this parcel.",
    )
    estimate: EstimateOut | None = Field(
        default=None, description="The date the tracking page shows, and who made it."
    )


class OrderOut(BaseModel):
    id: str
    external_id: str
    number: str
    status: OrderStatus
    email: str | None
    phone: str | None
    customer_id: str | None
    locale: str
    currency: str
    lines: list[OrderLineOut]
    subtotal: MoneyOut = Field(description="Lines after their discounts (= totals.subtotal).")
    shipping_fee: MoneyOut = Field(description="Paid for shipping (= totals.shipping).")
    total: MoneyOut = Field(description="What the shopper paid (= totals.total).")
    totals: TotalsOut
    details: OrderDetailsOut
    refunds: list[RefundOut]
    shipping_address: dict[str, str | None]
    placed_at: datetime
    promise: PromiseIn | None
    source: str
    cancelled_at: datetime | None
    tracking_url: str
    shipments: list[ShipmentOut]
    created_at: datetime
    updated_at: datetime
    our_promise: OurPromiseOut | None = Field(
        default=None, description="The date we promised at purchase (set once at intake)."
    )
    estimate: EstimateOut | None = Field(
        default=None,
        description="The order's date as the tracking page shows it, worked out as of the "
        "answer: in the answers about one order, null in lists.",
    )


class OrderList(BaseModel):
    data: list[OrderOut]
    next_cursor: str | None


class CreatedOut(BaseModel):
    id: str
    created: bool


class EventResult(BaseModel):
    """What became of one tracking number's scans."""

    ref: str = Field(
        description='The items it came from: event indices ("0,2") in our format, the '
        "tracker's id for AfterShip and EasyPost."
    )
    tracking_number: str
    result: Literal["accepted", "unknown_tracking_number"] = Field(
        description="unknown_tracking_number: no shipment of yours has it (nothing stored)."
    )
    new_events: int = Field(description="Scans stored for the first time.")
    duplicates: int = Field(description="Scans already stored (a re-sent scan changes nothing).")


class ItemError(BaseModel):
    """One refused item; the other items of the request are still used."""

    index: int = Field(description="The item's position in its array.")
    id: str | None = Field(description="The item's own id, when it has one.")
    field: str = Field(description='The field at fault, e.g. "events[3].occurred_at".')
    error: str


class BatchResult(BaseModel):
    """The answer to a tracking webhook."""

    accepted: int = Field(description="Scans of known tracking numbers: new plus duplicates.")
    rejected: int = Field(default=0, description="Items refused (see `errors`).")
    results: list[EventResult]
    errors: list[ItemError]
    duplicate: bool | None = Field(
        default=None,
        description="true when the source's delivery id was answered before (a retried "
        "AfterShip or EasyPost delivery): nothing was done again.",
    )
