"""Request and response shapes of /api/v1: one model per use, as the OpenAPI documents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from postpurchase.domain.status import OrderStatus, ShipmentStatus

Str200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]


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


class OrderLineIn(Strict):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    name: Str200
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Amount = Field(description='Decimal string, e.g. "19.90"')
    weight_grams: int | None = Field(default=None, ge=0, le=10_000_000)


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
    shipping_fee: Amount = Decimal(0)
    placed_at: AwareDatetime
    promise: PromiseIn | None = None


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
    subtotal: MoneyOut
    shipping_fee: MoneyOut
    total: MoneyOut
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
    ref: str
    tracking_number: str
    result: str
    new_events: int
    duplicates: int


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    results: list[EventResult]
    errors: list[dict[str, Any]]
