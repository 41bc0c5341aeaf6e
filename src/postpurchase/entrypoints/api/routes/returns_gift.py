"""A gift return's credit for its recipient (ADR 0032), under the tag ``returns``: what was
issued (never the code itself: it is sealed, and shown once, in the recipient's e-mail) and
a retry after the store refused or did not answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from postpurchase.adapters.storefronts.shopify.admin_api import AdminApiError
from postpurchase.bootstrap import gift_credits
from postpurchase.domain.errors import NotFound
from postpurchase.domain.returns import GiftCredit
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.routes.returns import RETURN, ReturnId

router = APIRouter(prefix="/api/v1", tags=["returns"])


class GiftCreditOut(BaseModel):
    return_id: str
    kind: Literal["shopify_gift_card", "store_credit_code"] = Field(
        description="A gift card in the Shopify store, or a store-credit code of ours."
    )
    status: Literal["pending", "issued", "failed"] = Field(
        description="`pending`: asked, outcome not yet known; `failed`: the store refused "
        "(`error`); POST again to retry with the same code."
    )
    recipient: str | None = Field(description="Where the code was sent (the gift's address).")
    amount: s.MoneyOut
    code_last4: str = Field(description="The code's last four characters.")
    store_reference: str | None = Field(description="The store's gift card id, when known.")
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime


def _out(credit: GiftCredit) -> GiftCreditOut:
    amount = credit.amount.rounded()
    return GiftCreditOut(
        return_id=credit.return_id, kind=credit.kind.value, status=credit.status.value,
        recipient=credit.recipient,
        amount=s.MoneyOut(amount=str(amount.amount), currency=amount.currency),
        code_last4=credit.last4, store_reference=credit.store_reference, error=credit.error,
        attempts=credit.attempts, created_at=credit.created_at, updated_at=credit.updated_at,
    )  # fmt: skip


@router.get(RETURN + "/gift-credit", response_model=GiftCreditOut)
def get_gift_credit(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep
) -> GiftCreditOut:
    """The recipient's credit of a credited gift return; 404 before it is issued."""
    found = gift_credits(platform).get(merchant.id, return_id)
    if found is None:
        raise NotFound("this return has no gift credit", field="return_id")
    return _out(found)


@router.post(
    RETURN + "/gift-credit",
    response_model=GiftCreditOut,
    responses={
        502: {
            "description": "The store did not answer: the card may exist. POST again (the "
            "same code is sent; a second card is never made).",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
    },
)
def issue_gift_credit(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep
) -> GiftCreditOut:
    """Issue the recipient's credit now (it is issued by itself when the return is
    credited): a Shopify gift card where the order's store is Shopify, else a store-credit
    code; the recipient gets one e-mail with the code. Idempotent: an issued credit is
    answered as it is, and a retry never makes a second card. 409 when the return is not a
    gift, is not credited yet, or the store refused (`field` names the store's input)."""
    try:
        return _out(gift_credits(platform).issue(merchant.id, return_id))
    except AdminApiError as unknown:
        raise Problem(
            502,
            "Bad gateway",
            f"{unknown}; the gift card may have been made: POST again, the same code is sent "
            "and Shopify makes at most one card with it",
            field="return_id",
        ) from None
