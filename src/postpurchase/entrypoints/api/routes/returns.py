"""Returns for the merchant and integrators: /api/v1/returns and /api/v1/orders/{id}/returns.

Every operation is tenant-scoped by the API key and documented under the tag ``returns``.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from starlette.convertors import Convertor, register_url_convertor

from postpurchase.adapters.db.returns import SqlReturnsUnitOfWork
from postpurchase.adapters.storefronts.refund_ports import REFUND_PORTS
from postpurchase.adapters.storefronts.shopify.admin_api import AdminApiError
from postpurchase.adapters.storefronts.woocommerce.client import WooError
from postpurchase.bootstrap import Platform, early_refunds, restock_claim, store_exchange_orders
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    Disposition,
    Grade,
    Resolution,
    ReturnMethod,
    ReturnStatus,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.deps import ApiActorDep, MerchantDep, PlatformDep
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.returns_out import (
    footprint_out,
    money,
    preview_out,
    return_out,
)
from postpurchase.service_layer.returns import (
    MAX_PHOTO_BYTES,
    ExchangeAsk,
    LedgerIssuer,
    LineAsk,
    ReturnAsk,
    ReturnQuery,
    Returns,
    StorefrontReturnRefunds,
)
from postpurchase.service_layer.storefronts import StorefrontRefunds

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


def _refund_port(
    platform: Platform, store: StorePlatform
) -> AbstractContextManager[StorefrontRefunds] | None:
    port = REFUND_PORTS.get(store)
    return port(platform.settings) if port is not None else None  # openers take Settings


def _place(platform: Platform, cmd: PlaceOrder) -> str:
    return str(platform.bus().handle(cmd).id)


def returns_service(platform: Platform) -> Returns:
    """The returns use cases on this platform's database: refunds through the order's
    connected store when there is one (else the ledger is the record), exchange orders
    placed on the message bus."""
    return Returns(
        lambda: SqlReturnsUnitOfWork(
            platform.engine, platform.clock.now, platform.settings.media_dir
        ),
        platform.clock.now,
        LedgerIssuer(),
        after_commit=platform.queue.nudge_outbox,
        store=StorefrontReturnRefunds(
            platform.uow,
            platform.clock,
            lambda store: _refund_port(platform, store),
            restock_claim=restock_claim(platform),
        ),
        exchanges=store_exchange_orders(platform),  # also in the store where it can
    )


def ask_of(body: s.ReturnCreate) -> ReturnAsk:
    return ReturnAsk(
        lines=tuple(
            LineAsk(x.order_line_id, x.quantity, x.reason, tuple(x.photos or ()))
            for x in body.lines
        ),
        resolution=Resolution(body.resolution),
        gift=body.gift,
        gift_email=body.gift_email,
        method=ReturnMethod(body.method) if body.method else None,
        exchange=tuple(ExchangeAsk(x.order_line_id, x.variant_id) for x in body.exchange or ()),
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
    actor: ApiActorDep,
    document: Annotated[s.PolicyIn, Body(openapi_examples={"default": {"value": POLICY_EXAMPLE}})],
) -> dict[str, Any]:
    """Save a new version of the policy (the document GET returns; keys left out or null
    take their defaults; a key it does not name, at any depth, is refused). Returns take the
    version in force when they are requested."""
    policy = policy_from_dict(document.model_dump(mode="json", exclude_none=True))
    saved = returns_service(platform).save_policy(merchant.id, policy, actor=actor)
    return policy_to_dict(saved)


# ---- returns --------------------------------------------------------------------------------


@router.post("/orders/{order_id}/returns/quote", response_model=s.QuoteOut)
def quote_return(
    order_id: str, body: s.ReturnCreate, merchant: MerchantDep, platform: PlatformDep
) -> s.QuoteOut:
    """What the policy would decide and refund for these lines (with the exchange's price
    and the chosen method's cost and CO2e); nothing is stored."""
    return preview_out(returns_service(platform).preview(merchant.id, order_id, ask_of(body)))


@router.get("/orders/{order_id}/returns/methods", response_model=list[s.MethodOut])
def return_methods(
    order_id: str, merchant: MerchantDep, platform: PlatformDep
) -> list[s.MethodOut]:
    """The return methods the policy offers for this order, each with its cost to the shopper
    and an estimated CO2e (distance × mode emission factors; docs/returns.md), lowest first."""
    return [
        s.MethodOut(
            method=o.terms.method.value, cost=money(Money(o.cost, o.currency)),
            footprint=footprint_out(o.footprint),
        )
        for o in returns_service(platform).methods(merchant.id, order_id)
    ]  # fmt: skip


@router.get(
    "/orders/{order_id}/returns/exchange-options", response_model=list[s.ExchangeOptionsOut]
)
def exchange_options(
    order_id: str, merchant: MerchantDep, platform: PlatformDep
) -> list[s.ExchangeOptionsOut]:
    """Per order line, the variants of its product (from the synced catalogue) that an
    exchange may ask for, with price and stock."""
    choices = returns_service(platform).exchange_choices(merchant.id, order_id)
    return [
        s.ExchangeOptionsOut(
            order_line_id=line_id,
            variants=[
                s.VariantOut(
                    variant_id=v.id, sku=v.sku, title=v.title, price=money(v.price),
                    stock=v.stock,
                    available=v.sells_out_of_stock or v.stock is None or v.stock > 0,
                )
                for v in variants if v.price is not None
            ],
        )
        for line_id, variants in choices.items()
    ]  # fmt: skip


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


@router.post(
    "/orders/{order_id}/returns/photos",
    response_model=s.PhotoOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("image/png", "image/jpeg", "image/webp", "image/gif")
            },
        }
    },
)
async def upload_photo(
    order_id: str, request: Request, merchant: MerchantDep, platform: PlatformDep
) -> s.PhotoOut:
    """Upload a photo for a return of this order (the raw image as the body; PNG, JPEG,
    WebP or GIF, recognised by its bytes, at most 5 MiB). Name its `id` in
    `lines[i].photos` when requesting the return; a reason that asks for a photo is then
    decided without waiting for review. A bigger or non-image body is a 422 naming `photo`
    and nothing is stored."""
    data = await read_capped(request, MAX_PHOTO_BYTES)
    ref = await run_in_threadpool(returns_service(platform).add_photo, merchant.id, order_id, data)
    return s.PhotoOut(id=ref.id, content_type=ref.content_type, size=ref.size)


@router.get(
    "/returns/photos/{media_id}",
    response_class=Response,
    responses={200: {"content": {"image/*": {}}, "description": "The photo's bytes"}},
)
def get_photo(
    media_id: Annotated[str, Path(pattern=s.RETURN_ID_PATTERN)],
    merchant: MerchantDep,
    platform: PlatformDep,
) -> Response:
    """A return photo (the shopper's), for the inspection screen."""
    found = returns_service(platform).photo(merchant.id, media_id)
    if found is None:
        raise NotFound("no such photo", field="media_id")
    return Response(
        found.data,
        media_type=found.ref.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, up to ``cap + 1`` bytes (one more than allowed, so a check can say it is
    too big without reading a huge body into memory)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap:
        return b"\0" * (cap + 1)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            break
    return bytes(body[: cap + 1])


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
    body: s.BulkApproveIn, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> s.BulkApproveOut:
    """Approve many returns, each on its own: the answer has one result per id, in order,
    `approved`, `not_found` (no return of yours has that id) or `refused` with why (e.g.
    already rejected); one bad id never stops the others."""
    is_id = re.compile(s.RETURN_ID_PATTERN).fullmatch
    ids = list(filter(is_id, body.ids))
    tried = iter(returns_service(platform).bulk_approve(merchant.id, ids, actor=actor))
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
def approve(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> s.ReturnOut:
    """Approve a return left for review."""
    return return_out(returns_service(platform).approve(merchant.id, return_id, actor=actor))


@router.post(RETURN + "/reject", response_model=s.ReturnOut)
def reject(
    return_id: ReturnId, body: s.RejectIn, merchant: MerchantDep, platform: PlatformDep,
    actor: ApiActorDep,
) -> s.ReturnOut:  # fmt: skip
    """Reject a return left for review; `reason` is shown to the shopper."""
    svc = returns_service(platform)
    return return_out(svc.reject(merchant.id, return_id, body.reason, actor=actor))


@router.post(RETURN + "/label", response_model=s.ReturnOut)
def label(
    return_id: ReturnId, body: s.LabelIn, merchant: MerchantDep, platform: PlatformDep,
    actor: ApiActorDep,
) -> s.ReturnOut:  # fmt: skip
    """Record the return label you issued (carrier and tracking number)."""
    return return_out(
        returns_service(platform).issue_label(
            merchant.id, return_id, body.carrier, body.tracking_number, actor=actor
        )
    )


@router.post(RETURN + "/in-transit", response_model=s.ReturnOut)
def in_transit(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> s.ReturnOut:
    """The return parcel is on its way back."""
    return return_out(returns_service(platform).in_transit(merchant.id, return_id, actor=actor))


@router.post(RETURN + "/receive", response_model=s.ReturnOut)
def receive(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> s.ReturnOut:
    """The goods arrived (by parcel, or handed over at a counter). With the policy's
    `refund_timing` at `first_scan` or `arrival` the refund is paid now (through the store
    when connected); `/receive-without-refund` holds it."""
    svc = returns_service(platform)
    ret = svc.receive(merchant.id, return_id, actor=actor)
    paid = early_refunds(platform).after_steps(merchant.id, return_id, [ReturnStatus.RECEIVED])
    return return_out(paid or ret, ledger=svc.ledger(merchant.id, return_id))


@router.post(RETURN + "/inspect", response_model=s.ReturnOut)
def inspect(
    return_id: ReturnId, body: s.InspectIn, merchant: MerchantDep, platform: PlatformDep,
    actor: ApiActorDep,
) -> s.ReturnOut:  # fmt: skip
    """Grade every line, then restock or dispose of it (an event for inventory each)."""
    grades = {x.order_line_id: Grade(x.grade) for x in body.lines}
    if len(grades) != len(body.lines):
        raise InvalidInput("each line once", field="lines")
    notes = {x.order_line_id: x.note for x in body.lines if x.note}
    chosen = {x.order_line_id: Disposition(x.disposition) for x in body.lines if x.disposition}
    photos = {x.order_line_id: tuple(x.photos) for x in body.lines if x.photos}
    try:
        ret = returns_service(platform).inspect(
            merchant.id,
            return_id,
            grades,
            notes,
            chosen,
            photos=photos,
            actor=actor,
            location=body.location,
        )
    except InvalidInput as exc:  # the domain says grades/dispositions; the body says lines
        if exc.field in ("grades", "dispositions"):
            raise InvalidInput(exc.message, field="lines") from None
        if exc.field and exc.field.startswith("photos."):
            line_id = exc.field.removeprefix("photos.")
            i = next((i for i, x in enumerate(body.lines) if x.order_line_id == line_id), 0)
            raise InvalidInput(exc.message, field=f"lines[{i}].photos") from None
        raise
    return return_out(ret)


@router.post(
    RETURN + "/resolve",
    response_model=s.ReturnOut,
    responses={
        502: {
            "description": "The store did not answer while refunding: the outcome is unknown "
            "until it is looked up (resolve again in 10 minutes; nothing is paid twice)",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
    },
)
def resolve(
    return_id: ReturnId, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> s.ReturnOut:
    """Pay the refund or issue the store credit once the goods are put away (at once for a
    keep-it return): through the order's connected store when it came from one (Shopify's
    refundCreate, WooCommerce's order refunds; the return's id is the idempotency key), and
    recorded in the money ledger; for an exchange, create the exchange order. Exactly once:
    resolving again is a 409."""
    svc = returns_service(platform)
    try:
        ret = svc.resolve(merchant.id, return_id, actor=actor)
    except (AdminApiError, WooError) as unknown:
        raise Problem(
            502,
            "Bad gateway",
            f"{unknown}; the refund may have been made: resolve again in 10 minutes, when its "
            "outcome is looked up in the store before anything is paid",
            field="return_id",
        ) from None
    return return_out(ret, ledger=svc.ledger(merchant.id, return_id))
