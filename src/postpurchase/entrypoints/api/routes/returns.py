"""Returns for the merchant and integrators: /api/v1/returns and /api/v1/orders/{id}/returns.

Every operation is tenant-scoped by the API key and documented under the tag ``returns``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from starlette.convertors import Convertor, register_url_convertor

from postpurchase.adapters.db.returns import SqlReturnsUnitOfWork
from postpurchase.bootstrap import Platform
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    Decision,
    Disposition,
    Grade,
    Quote,
    Resolution,
    Return,
    ReturnStatus,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.service_layer.returns import (
    LedgerIssuer,
    LineAsk,
    ReturnAsk,
    ReturnQuery,
    Returns,
)

router = APIRouter(prefix="/api/v1", tags=["returns"])

KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class ReturnIdConvertor(Convertor[str]):
    """Route only return ids into ``{return_id}``: ``/returns/bulk-approve`` and
    ``/returns/policy`` are then no return, so a GET there is a 405 that says ``Allow: POST``
    (RFC 9110 counts the methods routes answer), not a lookup of a return named so."""

    regex = s.RETURN_ID_PATTERN.strip("^$")

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("return_id", ReturnIdConvertor())
ReturnId = Annotated[
    str, Path(pattern=s.RETURN_ID_PATTERN, description="The return's `id` (32 hex characters).")
]
RETURN = "/returns/{return_id:return_id}"
NOT_AN_ID = "no such return: not a return id (32 hex characters)"


def _no_epoch(value: object) -> object:
    """A date-time filter is ISO 8601; Pydantic would also read "0.5" as seconds since 1970."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9.eE+-]+\s*", value):
        raise ValueError("an ISO 8601 date and time with its offset, e.g. 2026-01-31T00:00:00Z")
    return value


def _utc(value: datetime) -> datetime:
    """In UTC, as stored; a bound beyond what UTC can hold (year 1 at +01:00) is the end."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year < 2000 else datetime.max).replace(tzinfo=UTC)


CreatedBound = Annotated[AwareDatetime, BeforeValidator(_no_epoch), AfterValidator(_utc)]


def returns_service(platform: Platform) -> Returns:
    """The returns use cases on this platform's database, refunds recorded in the ledger."""
    return Returns(
        lambda: SqlReturnsUnitOfWork(platform.engine, platform.clock.now),
        platform.clock.now,
        LedgerIssuer(),
        after_commit=platform.queue.nudge_outbox,
    )


def money(m: Money) -> s.MoneyOut:
    r = m.rounded()
    return s.MoneyOut(amount=str(r.amount), currency=r.currency)


def decision(d: Decision) -> s.DecisionOut:
    return s.DecisionOut(
        rule=d.rule, verdict=d.verdict.value, explanation=d.explanation, line_id=d.line_id
    )


def quote_out(q: Quote) -> s.QuoteOut:
    return s.QuoteOut(
        verdict=q.verdict.value,
        resolution=q.resolution.value,
        allowed_resolutions=[r.value for r in q.allowed_resolutions],
        policy_version=q.policy_version,
        lines=[
            s.QuotedLineOut(
                order_line_id=x.line_id,
                sku=x.sku,
                quantity=x.quantity,
                reason=x.reason_code,
                refund=money(x.refund),
                restocking_fee=money(x.restocking_fee),
                keep_it=x.keep_it,
                decision=decision(x.decision),
            )
            for x in q.lines
        ],
        decisions=[decision(d) for d in q.decisions if d.explanation],
        items=money(q.items),
        restocking_fee=money(q.restocking_fee),
        return_fee=money(q.return_fee),
        refund=money(q.refund),
        bonus=money(q.bonus),
        amount=money(q.amount),
        keep_it_offered=q.keep_it_offered,
    )


def return_out(
    r: Return, quote: Quote | None = None, ledger: list[dict[str, Any]] | None = None
) -> s.ReturnOut:
    credit = r.resolution is Resolution.STORE_CREDIT or r.gift
    return s.ReturnOut(
        id=r.id,
        number=r.number,
        order_id=r.order_id,
        status=r.status.value,
        resolution=r.resolution.value,
        gift=r.gift,
        refund=money(r.refund),
        bonus=money(r.bonus),
        fees=money(r.fees),
        amount=money(r.credit if credit else r.refund),
        policy_version=r.policy_version,
        needs_review=r.status is ReturnStatus.REQUESTED,
        review_reason=r.review_reason,
        rejection_reason=r.rejection_reason,
        carrier=r.carrier,
        tracking_number=r.tracking_number,
        resolution_reference=r.resolution_reference,
        lines=[
            s.ReturnLineOut(
                order_line_id=x.order_line_id,
                sku=x.sku,
                quantity=x.quantity,
                reason=x.reason_code,
                refund=money(x.refund),
                rule=x.rule,
                grade=x.grade.value if x.grade else None,
                disposition=x.disposition.value if x.disposition else None,
                note=x.note,
            )
            for x in r.lines
        ],
        history=[s.StatusStep(status=st.value, at=at) for st, at in r.history],
        created_at=r.created_at,
        updated_at=r.updated_at,
        quote=quote_out(quote) if quote is not None else None,
        ledger=[
            s.LedgerEntryOut(
                id=str(e["id"]),
                kind=e["kind"],
                amount=money(Money(e["amount"], str(e["currency"]))),
                reference=e["reference"],
                created_at=e["created_at"],
            )
            for e in ledger or ()
        ],
    )


def ask_of(body: s.ReturnCreate) -> ReturnAsk:
    return ReturnAsk(
        lines=tuple(LineAsk(x.order_line_id, x.quantity, x.reason) for x in body.lines),
        resolution=Resolution(body.resolution),
        gift=body.gift,
    )


# ---- policy ---------------------------------------------------------------------------------

POLICY_EXAMPLE = policy_to_dict(policy_from_dict({"window_days": 30}))


@router.get("/returns/policy", response_model=dict[str, Any])
def get_policy(merchant: MerchantDep, platform: PlatformDep) -> dict[str, Any]:
    """The active return policy (the newest version); the default one until you save yours."""
    return policy_to_dict(returns_service(platform).policy(merchant.id))


@router.put("/returns/policy", response_model=dict[str, Any])
def put_policy(
    merchant: MerchantDep,
    platform: PlatformDep,
    document: Annotated[s.PolicyIn, Body(openapi_examples={"default": {"value": POLICY_EXAMPLE}})],
) -> dict[str, Any]:
    """Save a new version of the policy (the document GET returns; keys left out or null
    take their defaults; a key it does not name, at any depth, is refused). Returns take the
    version in force when they are requested."""
    policy = policy_from_dict(document.model_dump(mode="json", exclude_none=True))
    saved = returns_service(platform).save_policy(merchant.id, policy)
    return policy_to_dict(saved)


# ---- returns --------------------------------------------------------------------------------


@router.post("/orders/{order_id}/returns/quote", response_model=s.QuoteOut)
def quote_return(
    order_id: str, body: s.ReturnCreate, merchant: MerchantDep, platform: PlatformDep
) -> s.QuoteOut:
    """What the policy would decide and refund for these lines; nothing is stored."""
    return quote_out(returns_service(platform).quote(merchant.id, order_id, ask_of(body)))


@router.post(
    "/orders/{order_id}/returns",
    response_model=s.ReturnOut,
    status_code=201,
    responses={200: {"model": s.ReturnOut, "description": "The same Idempotency-Key before"}},
)
def create_return(
    order_id: str,
    body: s.ReturnCreate,
    merchant: MerchantDep,
    platform: PlatformDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(pattern=KEY_PATTERN)] = None,
) -> s.ReturnOut:
    """Request a return. The policy decides at once: approved, or left for review
    (`needs_review`); a refused line answers 422 naming it (`lines[0].quantity`...) with the
    rule's explanation, and nothing is stored. Send an `Idempotency-Key` so a retry or a
    double submit creates one return (the repeat answers 200 with it)."""
    ret, quote, created = returns_service(platform).request(
        merchant.id, order_id, ask_of(body), key=idempotency_key
    )
    if not created:
        response.status_code = 200
    return return_out(ret, quote)


@router.get("/returns", response_model=s.ReturnList)
def list_returns(
    merchant: MerchantDep,
    platform: PlatformDep,
    status: ReturnStatus | None = None,
    order_id: Annotated[str | None, Query(max_length=32)] = None,
    needs_review: bool | None = None,
    created_from: Annotated[
        CreatedBound | None, Query(description="inclusive, ISO 8601 with its offset")
    ] = None,
    created_to: Annotated[
        CreatedBound | None, Query(description="exclusive, ISO 8601 with its offset")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
) -> s.ReturnList:
    """Your returns queue, oldest first: filter by status, order, creation time, or
    `needs_review=true` for the ones waiting for a person."""
    found = returns_service(platform).search(
        merchant.id,
        ReturnQuery(status, order_id, created_from, created_to, needs_review, limit, cursor),
    )
    nxt = found[-1].id if len(found) == limit else None
    return s.ReturnList(items=[return_out(r) for r in found], next_cursor=nxt)


@router.post("/returns/bulk-approve", response_model=s.BulkApproveOut)
def bulk_approve(
    body: s.BulkApproveIn, merchant: MerchantDep, platform: PlatformDep
) -> s.BulkApproveOut:
    """Approve many returns, each on its own: the answer has one result per id, in order,
    `approved`, `not_found` (no return of yours has that id) or `refused` with why (e.g.
    already rejected); one bad id never stops the others."""
    is_id = re.compile(s.RETURN_ID_PATTERN).fullmatch
    tried = iter(returns_service(platform).bulk_approve(merchant.id, list(filter(is_id, body.ids))))
    items = []
    for rid in body.ids:
        ret, err = next(tried)[1:] if is_id(rid) else (None, NotFound(NOT_AN_ID, field="return_id"))
        outcome = "approved" if ret else "not_found" if isinstance(err, NotFound) else "refused"
        error = {"field": err.field, "detail": err.message} if err else None
        status = ret.status.value if ret else None
        items.append(s.BulkItem(id=rid, outcome=outcome, status=status, error=error))
    count = {o: sum(1 for x in items if x.outcome == o) for o in ("approved", "not_found")}
    return s.BulkApproveOut(
        approved=count["approved"],
        refused=len(items) - count["approved"] - count["not_found"],
        not_found=count["not_found"],
        results=items,
    )


@router.get(RETURN, response_model=s.ReturnOut)
def get_return(return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep) -> s.ReturnOut:
    """One return with its lines, status history and money ledger."""
    svc = returns_service(platform)
    return return_out(svc.get(merchant.id, return_id), ledger=svc.ledger(merchant.id, return_id))


@router.post(RETURN + "/approve", response_model=s.ReturnOut)
def approve(return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep) -> s.ReturnOut:
    """Approve a return left for review."""
    return return_out(returns_service(platform).approve(merchant.id, return_id))


@router.post(RETURN + "/reject", response_model=s.ReturnOut)
def reject(
    return_id: ReturnId, body: s.RejectIn, merchant: MerchantDep, platform: PlatformDep
) -> s.ReturnOut:
    """Reject a return left for review; `reason` is shown to the shopper."""
    return return_out(returns_service(platform).reject(merchant.id, return_id, body.reason))


@router.post(RETURN + "/label", response_model=s.ReturnOut)
def label(
    return_id: ReturnId, body: s.LabelIn, merchant: MerchantDep, platform: PlatformDep
) -> s.ReturnOut:
    """Record the return label you issued (carrier and tracking number)."""
    return return_out(
        returns_service(platform).issue_label(
            merchant.id, return_id, body.carrier, body.tracking_number
        )
    )


@router.post(RETURN + "/in-transit", response_model=s.ReturnOut)
def in_transit(return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep) -> s.ReturnOut:
    """The return parcel is on its way back."""
    return return_out(returns_service(platform).in_transit(merchant.id, return_id))


@router.post(RETURN + "/receive", response_model=s.ReturnOut)
def receive(return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep) -> s.ReturnOut:
    """The goods arrived (by parcel, or handed over at a counter)."""
    return return_out(returns_service(platform).receive(merchant.id, return_id))


@router.post(RETURN + "/inspect", response_model=s.ReturnOut)
def inspect(
    return_id: ReturnId, body: s.InspectIn, merchant: MerchantDep, platform: PlatformDep
) -> s.ReturnOut:
    """Grade every line, then restock or dispose of it (an event for inventory each)."""
    grades = {x.order_line_id: Grade(x.grade) for x in body.lines}
    if len(grades) != len(body.lines):
        raise InvalidInput("each line once", field="lines")
    notes = {x.order_line_id: x.note for x in body.lines if x.note}
    chosen = {x.order_line_id: Disposition(x.disposition) for x in body.lines if x.disposition}
    try:
        ret = returns_service(platform).inspect(merchant.id, return_id, grades, notes, chosen)
    except InvalidInput as exc:  # the domain says grades/dispositions; the body says lines
        if exc.field in ("grades", "dispositions"):
            raise InvalidInput(exc.message, field="lines") from None
        raise
    return return_out(ret)


@router.post(RETURN + "/resolve", response_model=s.ReturnOut)
def resolve(return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep) -> s.ReturnOut:
    """Pay the refund or issue the store credit (recorded in the money ledger), once the
    goods are put away, or at once for a keep-it return."""
    svc = returns_service(platform)
    ret = svc.resolve(merchant.id, return_id)
    return return_out(ret, ledger=svc.ledger(merchant.id, return_id))
