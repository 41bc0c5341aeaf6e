"""Request and response shapes of /api/v1: one model per use, as the OpenAPI documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    Field,
    StrictBool,
    StringConstraints,
)

from postpurchase.entrypoints.api.edge_types import (
    AMOUNT_PATTERN,
    EMAIL_PATTERN,
    LINE_PATTERN,
    TEXT_PATTERN,
    Amount,
    Carrier,
    Count,
    Currency,
    Email,
    Grams,
    Id128,
    Instant,
    IsoDate,
    Matches,
    MultiLine,
    OneLine,
    PromiseIn,
    Str200,
    Strict,
    Text2000,
    TimeZone,
    currencies,
    keys_in_property_names,
    time_zones,
)
from postpurchase.entrypoints.api.response_schemas import (
    BatchResult,
    CreatedOut,
    DiscountOut,
    EventResult,
    ItemError,
    MoneyOut,
    OrderDetailsOut,
    OrderLineOut,
    OrderList,
    OrderOut,
    RefundOut,
    ShipmentOut,
    ShippingLineOut,
    TaxLineOut,
    TotalsOut,
    TrackingEventOut,
)


class AddressIn(Strict):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2"
    )
    postal_code: Annotated[str, StringConstraints(max_length=20), OneLine] | None = None
    region: Annotated[str, StringConstraints(max_length=120), OneLine] | None = None
    city: Annotated[str, StringConstraints(max_length=120), OneLine] | None = None
    line1: Annotated[str, StringConstraints(max_length=300), OneLine] | None = None
    line2: Annotated[str, StringConstraints(max_length=300), OneLine] | None = None
    name: Annotated[str, StringConstraints(max_length=200), OneLine] | None = None
    phone: Annotated[str, StringConstraints(max_length=40), OneLine] | None = None


class OrderLineIn(Strict):
    sku: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), OneLine
    ]
    name: Str200
    quantity: Count = Field(ge=1, le=100_000)
    unit_price: Amount = Field(description='List price, a decimal string, e.g. "19.90"')
    weight_grams: Grams | None = None
    discount: Amount | None = Field(
        default=None, description="Discounts allocated to this line, in total (all units)."
    )
    tax: Amount | None = Field(default=None, description="Tax on this line, in total.")
    external_id: Id128 | None = Field(default=None, description="Your line id.")
    product_id: Id128 | None = None
    variant_id: Id128 | None = None
    variant_title: Annotated[str, StringConstraints(max_length=200), OneLine] | None = None
    requires_shipping: StrictBool = True
    gift_card: StrictBool = False
    properties: dict[Annotated[str, StringConstraints(max_length=100), OneLine], Text2000] = Field(
        default_factory=dict,
        max_length=50,
        description="Line properties (engraving...).",
        json_schema_extra=keys_in_property_names,
    )


class DiscountIn(Strict):
    code: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), OneLine] | None
    ) = None
    kind: Literal["code", "automatic", "manual", "script"] = "code"
    amount: Amount = Field(description="What it took off the order in total.")
    target: Literal["lines", "shipping"] = "lines"


class ShippingMethodIn(Strict):
    title: Str200
    code: Annotated[str, StringConstraints(max_length=100), OneLine] | None = None


class OrderCreate(Strict):
    external_id: Id128 = Field(
        description="The store's order id; creating the same one twice is a no-op."
    )
    number: Annotated[str, StringConstraints(max_length=64), OneLine] | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=40), OneLine] | None = None
    customer_name: Annotated[str, StringConstraints(max_length=200), OneLine] | None = None
    locale: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}([-_][A-Za-z]{2})?$")] = "en"
    timezone: TimeZone | None = None
    currency: Currency
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    shipping_address: AddressIn
    shipping_fee: Amount = Field(
        default=Decimal(0), description="What the shopper paid for shipping, after discounts."
    )
    placed_at: Instant
    promise: PromiseIn | None = None
    billing_address: AddressIn | None = None
    accepts_marketing: StrictBool | None = None
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
    taxes_included: StrictBool = Field(default=False, description="Prices include tax.")
    total: Amount | None = Field(
        default=None,
        description="What the shopper paid, exactly; derived from lines, discounts, shipping "
        "and tax when left out.",
    )
    paid: Amount | None = Field(default=None, description="Received so far (default: total).")
    note: Text2000 | None = None
    note_attributes: dict[Annotated[str, StringConstraints(max_length=100), OneLine], Text2000] = (
        Field(default_factory=dict, max_length=50, json_schema_extra=keys_in_property_names)
    )
    tags: list[
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), OneLine]
    ] = Field(default_factory=list, max_length=100)
    financial_status: Annotated[str, StringConstraints(max_length=40), OneLine] | None = None


class ShipmentLineIn(Strict):
    sku: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), OneLine
    ]
    quantity: Count = Field(ge=1, le=100_000)


class ShipmentCreate(Strict):
    tracking_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine
    ]
    carrier: Carrier | None = Field(
        default=None, description="Carrier slug; detected from the number when omitted."
    )
    service: Annotated[str, StringConstraints(max_length=48), OneLine] | None = None
    lines: list[ShipmentLineIn] = Field(
        default_factory=list,
        max_length=500,
        description="Empty: the shipment carries the whole order.",
    )
    origin: AddressIn | None = None
    external_id: Annotated[str, StringConstraints(max_length=128), OneLine] | None = None


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=500), MultiLine] | None = None


__all__ = [
    "AMOUNT_PATTERN",
    "EMAIL_PATTERN",
    "LINE_PATTERN",
    "TEXT_PATTERN",
    "AddressIn",
    "Amount",
    "BatchResult",
    "CancelIn",
    "Carrier",
    "Count",
    "CreatedOut",
    "Currency",
    "DiscountIn",
    "DiscountOut",
    "Email",
    "EventResult",
    "Grams",
    "Id128",
    "Instant",
    "IsoDate",
    "ItemError",
    "Matches",
    "MoneyOut",
    "MultiLine",
    "OneLine",
    "OrderCreate",
    "OrderDetailsOut",
    "OrderLineIn",
    "OrderLineOut",
    "OrderList",
    "OrderOut",
    "PromiseIn",
    "RefundOut",
    "ShipmentCreate",
    "ShipmentLineIn",
    "ShipmentOut",
    "ShippingLineOut",
    "ShippingMethodIn",
    "Str200",
    "Strict",
    "TaxLineOut",
    "Text2000",
    "TimeZone",
    "TotalsOut",
    "TrackingEventOut",
    "currencies",
    "keys_in_property_names",
    "time_zones",
]
