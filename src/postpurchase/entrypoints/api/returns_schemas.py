"""Request and response shapes of the returns endpoints (tag ``returns``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from postpurchase.entrypoints.api.edge_types import Count, Id128, OneLine, Strict

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine
]
Reason500 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), OneLine
]
ResolutionName = Literal["refund", "store_credit", "keep_it"]
GradeName = Literal["resellable", "refurbish", "damaged", "wrong_item"]
DispositionName = Literal["restock", "dispose"]


class ReturnLineIn(Strict):
    order_line_id: Id128 = Field(description="The order line's `id` (GET /api/v1/orders/{id}).")
    quantity: Annotated[Count, Field(ge=1, le=100_000)]
    reason: Code = Field(description="A leaf code of the policy's reason tree, e.g. `too_small`.")


class ReturnCreate(Strict):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=100)
    resolution: ResolutionName = "refund"
    gift: StrictBool = Field(
        default=False, description="A gift return: store credit to the recipient only."
    )


class MoneyOut(BaseModel):
    amount: str
    currency: str


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


class StatusStep(BaseModel):
    status: str
    at: datetime


class LedgerEntryOut(BaseModel):
    id: str
    kind: Literal["refund", "store_credit", "fee"]
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
    resolution_reference: str | None
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


class LabelIn(Strict):
    carrier: Code | None = None
    tracking_number: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine
        ]
        | None
    ) = None


class InspectLineIn(Strict):
    order_line_id: Id128
    grade: GradeName
    note: Annotated[str, StringConstraints(max_length=1000), OneLine] | None = None
    disposition: DispositionName | None = Field(
        default=None,
        description="Default: restock what is resellable or refurbish, dispose of the rest.",
    )


class InspectIn(Strict):
    lines: list[InspectLineIn] = Field(min_length=1, max_length=100)


class BulkApproveIn(Strict):
    ids: list[Id128] = Field(min_length=1, max_length=500)


class BulkItem(BaseModel):
    id: str
    status: str | None
    error: dict[str, Any] | None = Field(default=None, description="`{field, detail}` if refused.")


class BulkApproveOut(BaseModel):
    approved: int
    refused: int
    results: list[BulkItem]
