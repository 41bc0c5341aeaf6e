"""Request and response shapes of /api/v1: one model per use, as the OpenAPI documents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.domain.timestamps import WINDOW, instant_utc

Str200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]


def _in_window(value: datetime) -> datetime:
    try:
        instant_utc(value, "")
    except InvalidInput as bad:
        raise ValueError(bad.message) from None  # a 422 naming the field, never a 500
    return value


Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_window),
    Field(description=f"ISO 8601 with a UTC offset, {WINDOW}."),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(Strict):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2"
    )
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    region: Annotated[str, StringConstraints(max_length=120)] | None = None
    city: Annotated[str, StringConstraints(max_length=120)] | None = None
    line1: Annotated[str, StringConstraints(max_length=300)] | None = None
    line2: Annotated[str, StringConstraints(max_length=300)] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None


Id128 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Text2000 = Annotated[str, StringConstraints(max_length=2000)]


class OrderLineIn(Strict):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    name: Str200
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Amount = Field(description='List price, a decimal string, e.g. "19.90"')
    weight_grams: int | None = Field(default=None, ge=0, le=10_000_000)
    discount: Amount | None = Field(
        default=None, description="Discounts allocated to this line, in total (all units)."
    )
    tax: Amount | None = Field(default=None, description="Tax on this line, in total.")
    external_id: Id128 | None = Field(default=None, description="Your line id.")
    product_id: Id128 | None = None
    variant_id: Id128 | None = None
    variant_title: Annotated[str, StringConstraints(max_length=200)] | None = None
    requires_shipping: bool = True
    gift_card: bool = False
    properties: dict[Annotated[str, StringConstraints(max_length=100)], Text2000] = Field(
        default_factory=dict, max_length=50, description="Line properties (engraving...)."
    )


class DiscountIn(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    kind: Literal["code", "automatic", "manual", "script"] = "code"
    amount: Amount = Field(description="What it took off the order in total.")
    target: Literal["lines", "shipping"] = "lines"


class ShippingMethodIn(Strict):
    title: Str200
    code: Annotated[str, StringConstraints(max_length=100)] | None = None


class PromiseIn(Strict):
    latest: date
    earliest: date | None = None


class OrderCreate(Strict):
    external_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)
    ] = Field(description="The store's order id; creating the same one twice is a no-op.")
    number: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    customer_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    locale: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}([-_][A-Za-z]{2})?$")] = "en"
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    shipping_address: AddressIn
    shipping_fee: Amount = Field(
        default=Decimal(0), description="What the shopper paid for shipping, after discounts."
    )
    placed_at: Instant
    promise: PromiseIn | None = None
    billing_address: AddressIn | None = None
    accepts_marketing: bool | None = None
    shipping_method: ShippingMethodIn | None = Field(
        default=None, description="Mapped to a service level the delivery-date engine uses."
    )
    discounts: list[DiscountIn] = Field(
        default_factory=list,
        max_length=50,
        description="Codes and automatic discounts, with what each took off. Line discounts "
        "go on the lines too (lines[].discount); target=shipping ones are already netted out "
        "of shipping_fee.",
    )
    tax: Amount | None = Field(default=None, description="Total tax.")
    taxes_included: bool = Field(default=False, description="Prices include tax.")
    total: Amount | None = Field(
        default=None,
        description="What the shopper paid, exactly; derived from lines, discounts, shipping "
        "and tax when left out.",
    )
    paid: Amount | None = Field(default=None, description="Received so far (default: total).")
    note: Text2000 | None = None
    note_attributes: dict[Annotated[str, StringConstraints(max_length=100)], Text2000] = Field(
        default_factory=dict, max_length=50
    )
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    financial_status: Annotated[str, StringConstraints(max_length=40)] | None = None


class ShipmentLineIn(Strict):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    quantity: int = Field(ge=1, le=100_000)


class ShipmentCreate(Strict):
    tracking_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
    carrier: Annotated[str, StringConstraints(max_length=48)] | None = Field(
        default=None, description="Carrier slug; detected from the number when omitted."
    )
    service: Annotated[str, StringConstraints(max_length=48)] | None = None
    lines: list[ShipmentLineIn] = Field(
        default_factory=list, description="Empty: the shipment carries the whole order."
    )
    origin: AddressIn | None = None
    external_id: Annotated[str, StringConstraints(max_length=128)] | None = None


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


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
