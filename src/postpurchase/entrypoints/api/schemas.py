"""Request and response shapes of /api/v1: one model per use, as the OpenAPI documents."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.domain.timestamps import WINDOW, instant_utc

# --------------------------------------------------------------------------- edge types
# What a caller may send is bounded here, at the edge: every string has a length limit and
# no control characters, codes are checked against their registries (the domain stays pure).

LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"  # one line: no control character at all
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"  # tabs and line breaks allowed
# RFC 5321: at most 64 characters before the @, 254 in all; no spaces or control characters.
_ADDR = r"[^@\s\x00-\x1f\x7f-\x9f]"
EMAIL_PATTERN = rf"^{_ADDR}{{1,64}}@{_ADDR}+\.{_ADDR}+$"


@dataclass(frozen=True, slots=True)
class Matches:
    """``Annotated[str, ..., OneLine]``: a string the pattern must match whole, refused
    otherwise with a 422 naming the field and saying why in words; the OpenAPI shows the
    pattern."""

    pattern: str
    message: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        regex, message = re.compile(self.pattern), self.message

        def check(value: str) -> str:
            if regex.fullmatch(value) is None:
                raise ValueError(message)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out["pattern"] = self.pattern
        return out


# NUL and the other control characters (C0, DEL, C1) are refused in every string we take.
OneLine = Matches(LINE_PATTERN, "one line without control characters (NUL, tab, line breaks)")
MultiLine = Matches(TEXT_PATTERN, "control characters (NUL and the like) are not allowed")
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    Matches(
        EMAIL_PATTERN,
        "an email address, at most 64 characters before the @ and 254 in all (RFC 5321)",
    ),
]


def _json_integer(value: Any) -> Any:
    """What JSON Schema calls an integer (2 or 2.0), not "2" nor true."""
    if isinstance(value, bool | str):
        raise ValueError("a JSON integer, e.g. 2")
    return value


def _iso_date(value: Any) -> Any:
    """A date as text, not a number of days or seconds since 1970."""
    if not isinstance(value, str | date):
        raise ValueError("an ISO 8601 date, e.g. 2026-01-31")
    return value


Count = Annotated[int, BeforeValidator(_json_integer)]
Grams = Annotated[int, Field(ge=0, le=10_000_000), BeforeValidator(_json_integer)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def keys_in_property_names(schema: dict[str, Any]) -> None:
    """OpenAPI of a ``dict[Annotated[str, ...], ...]``: the keys' pattern belongs with their
    length in ``propertyNames`` (Pydantic writes it as ``patternProperties``, which lets any
    other key through)."""
    patterns = schema.pop("patternProperties", None)
    if patterns:
        ((pattern, values),) = patterns.items()
        schema.setdefault("propertyNames", {})["pattern"] = pattern
        schema["additionalProperties"] = values


@cache
def currencies() -> frozenset[str]:
    """ISO 4217 codes, as Babel (CLDR) knows them."""
    return frozenset(code for code in list_currencies() if re.fullmatch("[A-Z]{3}", code))


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _currency(value: str) -> str:
    if value not in currencies():
        raise ValueError("not an ISO 4217 currency code, e.g. USD or EUR")
    return value


def _time_zone(value: str) -> str:
    if value not in time_zones():
        raise ValueError("not a time zone of the tz database, e.g. America/New_York")
    return value


def _carrier(value: str) -> str:
    if value not in CARRIERS:
        raise ValueError(f"unknown carrier {value!r} (the slugs are listed in /openapi.json)")
    return value


Carrier = Annotated[
    str,
    StringConstraints(max_length=48),
    AfterValidator(_carrier),
    Field(json_schema_extra=lambda s: s.update(enum=sorted(CARRIERS))),
]
Currency = Annotated[
    str,
    BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
    StringConstraints(min_length=3, max_length=3),
    AfterValidator(_currency),
    Field(
        description="ISO 4217 code (case-insensitive), e.g. USD",
        json_schema_extra=lambda s: s.update(enum=sorted(currencies())),
    ),
]
TimeZone = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_time_zone),
    Field(
        description="A time zone of the tz database, e.g. America/New_York",
        json_schema_extra=lambda s: s.update(enum=sorted(time_zones())),
    ),
]

Str200 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine
]
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"
Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=6),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["19.90"]},
                {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 999_999_999_999,
                    "multipleOf": 0.000001,
                },
            ]
        }
    ),
]


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
    postal_code: Annotated[str, StringConstraints(max_length=20), OneLine] | None = None
    region: Annotated[str, StringConstraints(max_length=120), OneLine] | None = None
    city: Annotated[str, StringConstraints(max_length=120), OneLine] | None = None
    line1: Annotated[str, StringConstraints(max_length=300), OneLine] | None = None
    line2: Annotated[str, StringConstraints(max_length=300), OneLine] | None = None
    name: Annotated[str, StringConstraints(max_length=200), OneLine] | None = None
    phone: Annotated[str, StringConstraints(max_length=40), OneLine] | None = None


Id128 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), OneLine
]
Text2000 = Annotated[str, StringConstraints(max_length=2000), MultiLine]


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


class PromiseIn(Strict):
    latest: IsoDate
    earliest: IsoDate | None = None


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
