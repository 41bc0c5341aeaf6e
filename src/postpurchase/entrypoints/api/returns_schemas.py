"""Request and response shapes of the returns endpoints (tag ``returns``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints, WithJsonSchema

from postpurchase.entrypoints.api.edge_types import (
    Amount,
    Count,
    Currency,
    Days,
    Id128,
    OneLine,
    Strict,
    Version,
)

RETURN_ID_PATTERN = r"^[0-9a-f]{32}$"  # domain/ids.new_id: 32 lowercase hex characters

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine
]
Reason500 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), OneLine
]
ResolutionName = Literal["refund", "store_credit", "keep_it", "exchange"]
MethodName = Literal["mail", "drop_off", "in_store", "pickup"]
GradeName = Literal["resellable", "refurbish", "damaged", "wrong_item"]
DispositionName = Literal["restock", "dispose"]


class MoneyOut(BaseModel):
    amount: str
    currency: str


class ReturnLineIn(Strict):
    order_line_id: Id128 = Field(description="The order line's `id` (GET /api/v1/orders/{id}).")
    quantity: Count = Field(ge=1, le=100_000)
    reason: Code = Field(description="A leaf code of the policy's reason tree, e.g. `too_small`.")
    photos: list[Annotated[str, StringConstraints(pattern=RETURN_ID_PATTERN)]] | None = Field(
        default=None,
        max_length=5,
        description="Ids of photos uploaded with POST /api/v1/orders/{id}/returns/photos.",
    )


class ExchangeLineIn(Strict):
    order_line_id: Id128 = Field(description="The returned order line.")
    variant_id: Id128 = Field(
        description="The catalogue variant wanted instead (GET .../returns/exchange-options)."
    )


class ReturnCreate(Strict):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=100)
    resolution: ResolutionName = "refund"
    gift: StrictBool = Field(
        default=False, description="A gift return: store credit to the recipient only."
    )
    gift_email: Annotated[str, StringConstraints(max_length=254), OneLine] | None = Field(
        default=None,
        description="A gift return's recipient: the address their store credit is for "
        "(never the order's, the giver's).",
    )
    method: MethodName | None = Field(
        default=None,
        description="How the parcel comes back (the policy's `methods`); its cost is taken "
        "from the refund.",
    )
    exchange: list[ExchangeLineIn] | None = Field(
        default=None,
        max_length=100,
        description="For `resolution: exchange`: the variant wanted for each returned line.",
    )


class PhotoOut(BaseModel):
    id: str
    content_type: str
    size: int


class FootprintOut(BaseModel):
    kg_co2e: str = Field(description="Estimated kg CO2e (docs/returns.md, Carbon).")
    distance_km: str = Field(description="The line haul's road km.")
    precision: Literal["postal", "region", "country", "none"]


class MethodOut(BaseModel):
    method: MethodName
    cost: MoneyOut
    footprint: FootprintOut


class ExchangeLineOut(BaseModel):
    order_line_id: str
    variant_id: str | None
    sku: str
    title: str
    quantity: int
    unit_price: MoneyOut


class ExchangeOut(BaseModel):
    lines: list[ExchangeLineOut]
    charge: MoneyOut = Field(description="What the shopper pays on top (an upsell).")
    order_id: str | None = Field(description="The exchange order, once created.")


class VariantOut(BaseModel):
    variant_id: str
    sku: str | None
    title: str
    price: MoneyOut
    stock: int | None = Field(description="Units the store reports; null when not shared.")
    available: bool


class ExchangeOptionsOut(BaseModel):
    order_line_id: str
    variants: list[VariantOut]


class DecisionOut(BaseModel):
    rule: str = Field(
        description="The rule that decided, e.g. `window`, `statutory.eu_withdrawal`."
    )
    verdict: Literal["approved", "review", "refused"]
    explanation: str = Field(description="One line for the shopper.")
    line_id: str | None = None


class QuotedLineOut(BaseModel):
    order_line_id: str
    sku: str
    quantity: int
    reason: str
    refund: MoneyOut
    restocking_fee: MoneyOut
    keep_it: bool
    decision: DecisionOut


class QuoteOut(BaseModel):
    verdict: Literal["approved", "review", "refused"]
    resolution: ResolutionName
    allowed_resolutions: list[ResolutionName]
    policy_version: int
    lines: list[QuotedLineOut]
    decisions: list[DecisionOut]
    items: MoneyOut
    restocking_fee: MoneyOut
    return_fee: MoneyOut
    refund: MoneyOut
    bonus: MoneyOut
    amount: MoneyOut = Field(description="What the shopper gets: the credit, or the refund.")
    keep_it_offered: bool
    method: MethodName | None = None
    method_fee: MoneyOut | None = None
    footprint: FootprintOut | None = Field(default=None, description="The chosen method's.")
    exchange: ExchangeOut | None = None


class ReturnLineOut(BaseModel):
    order_line_id: str
    sku: str
    quantity: int
    reason: str
    refund: MoneyOut
    rule: str
    grade: GradeName | None
    disposition: DispositionName | None
    note: str | None
    photos: list[str] = Field(default_factory=list, description="GET /api/v1/returns/photos/{id}")
    location: str | None = Field(
        None, description="the stock location the line's units were restocked into (put away)"
    )


class StatusStep(BaseModel):
    status: str
    at: datetime


class LedgerEntryOut(BaseModel):
    id: str
    kind: Literal["refund", "store_credit", "fee", "credit_bonus"]
    amount: MoneyOut
    reference: str | None
    created_at: datetime


class ReturnOut(BaseModel):
    id: str
    number: str
    order_id: str
    status: str
    resolution: ResolutionName
    gift: bool
    gift_email: str | None = None
    refund: MoneyOut
    bonus: MoneyOut
    fees: MoneyOut
    amount: MoneyOut = Field(description="What the shopper gets: the credit, or the refund.")
    policy_version: int
    needs_review: bool
    review_reason: str | None
    rejection_reason: str | None
    carrier: str | None
    tracking_number: str | None
    label_cost: MoneyOut | None = Field(
        default=None, description="What the carrier charged for the return label we bought."
    )
    resolution_reference: str | None
    method: MethodName | None = None
    co2e_kg: str | None = Field(default=None, description="The chosen method's estimate.")
    exchange: ExchangeOut | None = None
    lines: list[ReturnLineOut]
    history: list[StatusStep]
    created_at: datetime
    updated_at: datetime | None
    quote: QuoteOut | None = Field(default=None, description="The policy's decision, on create.")
    ledger: list[LedgerEntryOut] = Field(default_factory=list)


class ReturnList(BaseModel):
    items: list[ReturnOut]
    next_cursor: str | None


class RejectIn(Strict):
    reason: Reason500 = Field(description="Shown to the shopper.")


TrackingNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine
]


class LabelIn(Strict):
    carrier: Code | None = None
    tracking_number: TrackingNumber | None = None


class InspectLineIn(Strict):
    order_line_id: Id128
    grade: GradeName
    note: Annotated[str, StringConstraints(max_length=1000), OneLine] | None = None
    disposition: DispositionName | None = Field(
        default=None,
        description="Default: restock what is resellable or refurbish, dispose of the rest.",
    )
    photos: list[Annotated[str, StringConstraints(pattern=RETURN_ID_PATTERN)]] | None = Field(
        default=None,
        max_length=5,
        description="The inspector's photos, uploaded with POST "
        "/api/v1/orders/{id}/returns/photos.",
    )


class InspectIn(Strict):
    lines: list[InspectLineIn] = Field(
        min_length=1,
        max_length=100,
        description="Every line of the return, each once (by `order_line_id`).",
    )
    location: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="The stock location restocked units go into (its code, e.g. `WH-1`); "
        "carried by each `ReturnItemRestocked` event and the audit entry.",
    )


class BulkApproveIn(Strict):
    ids: list[Annotated[str, StringConstraints(max_length=128)]] = Field(
        min_length=1,
        max_length=500,
        description="Return ids; one that names no return of yours is answered `not_found` "
        "in its place, the others are still approved.",
    )


class BulkItem(BaseModel):
    id: str
    outcome: Literal["approved", "not_found", "refused"] = Field(
        description="`refused`: the return exists but cannot be approved (see `error`)."
    )
    status: str | None = Field(description="The return's status after the call, if found.")
    error: dict[str, Any] | None = Field(
        default=None, description="`{field, detail}` unless approved."
    )


class BulkApproveOut(BaseModel):
    approved: int
    refused: int = Field(description="Found but not approvable (e.g. already rejected).")
    not_found: int
    results: list[BulkItem] = Field(description="One per id sent, in the same order.")


# ---- the return policy document (GET/PUT /api/v1/returns/policy) ----------------------------
# Every object forbids keys it does not name, as domain/returns/policy.py does at any depth;
# what is left to the domain (reason codes unique across the tree) the schema cannot say.

RATE_PATTERN = r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$"
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=7, decimal_places=6),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": RATE_PATTERN, "examples": ["0.10"]},
                {"type": "number", "minimum": 0, "maximum": 1, "multipleOf": 0.000001},
            ]
        }
    ),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=200), OneLine]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
PerCurrency = dict[Currency, Amount]


class ReasonIn(Strict):
    code: ReasonCode = Field(description="Unique across the tree, e.g. `too_small`.")
    label: Annotated[str, StringConstraints(max_length=200), OneLine] | None = None
    children: list[ReasonIn] | None = Field(default=None, max_length=100)
    requires_photo: StrictBool = False
    review: StrictBool = False
    merchant_fault: StrictBool = False
    window_days: Days | None = Field(default=None, description="Overrides the policy's.")


class SkuCostsIn(Strict):
    label: Amount = Decimal(0)
    handling: Amount = Decimal(0)
    resale_rate: Rate = Decimal(0)


class KeepItIn(Strict):
    default: SkuCostsIn | None = None
    per_sku: dict[str, SkuCostsIn] | None = None
    max_value: PerCurrency | None = None


class LimitIn(Strict):
    max_returns: Count = Field(ge=1, le=1_000_000)
    period_days: Count = Field(ge=1, le=3650)
    action: Literal["review", "refuse"] = "review"


class InstantExchangeIn(Strict):
    min_orders: Count = Field(
        default=1,
        ge=0,
        le=1000,
        description="Earlier orders the customer must have with the shop (none with a "
        "rejected return).",
    )
    max_order_value: PerCurrency | None = Field(
        default=None, description="Per currency: orders worth more wait for the parcel."
    )


class MethodTermsIn(Strict):
    method: MethodName
    fee: PerCurrency | None = Field(default=None, description="The shopper's cost.")
    merchant_fault_free: StrictBool = True


class PlaceIn(Strict):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
    postal_code: Annotated[str, StringConstraints(max_length=16), OneLine] | None = None
    region: Annotated[str, StringConstraints(max_length=64), OneLine] | None = None


# A carrier account's or service's code, as domain/returns/policy.py checks it.
LabelCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class PortalLabelIn(Strict):
    carrier: LabelCode = Field(description="A carrier account of yours (GET /api/v1/carriers).")
    service: LabelCode = Field(default="ground", description="The carrier's service code.")


class PolicyIn(Strict):
    """The policy document GET answers; keys left out take their defaults."""

    version: Version | None = Field(
        default=None, description="Ignored: each save becomes the next version."
    )
    window_days: Days | None = None
    reasons: list[ReasonIn] | None = Field(default=None, max_length=100)
    final_sale_tags: list[Tag] | None = None
    non_returnable_tags: list[Tag] | None = None
    non_returnable_skus: list[Tag] | None = None
    sku_tags: dict[str, list[Tag]] | None = None
    statutory_exempt_skus: list[Tag] | None = None
    resolutions: list[ResolutionName] | None = None
    return_fee: PerCurrency | None = None
    fee_waived_for_credit: StrictBool | None = None
    restocking_fee_rate: Rate | None = None
    store_credit_bonus_rate: Rate | None = None
    keep_it: KeepItIn | None = None
    limit: LimitIn | None = None
    gift_returns: StrictBool | None = None
    statutory_rights: StrictBool | None = None
    methods: list[MethodTermsIn] | None = Field(default=None, max_length=4)
    return_to: PlaceIn | None = None
    instant_exchange: InstantExchangeIn | None = Field(
        default=None,
        description="Trusted customers get their exchange order before the parcel arrives.",
    )
    portal_label: PortalLabelIn | None = Field(
        default=None,
        description="The carrier account the portal buys a shopper's return label from, when "
        "the shopper asks for it (none: you buy or record labels).",
    )
    refund_timing: Literal["first_scan", "arrival", "inspection"] | None = Field(
        default=None,
        description="When the money goes back: at the return parcel's first carrier scan, "
        "on arrival, or after inspection (default; resolved by the merchant).",
    )
