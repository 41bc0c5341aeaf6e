"""The return's status page (``/returns/o/{token}/r/{id}``), its label and QR code files, and
the shopper's parcel from it.

Once a return is approved, the shopper sends it back in one of two ways, both plain forms
(no JavaScript), both carrying the portal's double-submit token:

- ``POST .../label``: the portal buys the return label from the carrier account the policy
  names (``portal_label``), exactly as the merchant's ``POST /api/v1/returns/{id}/label/buy``
  does (the same label desk, the same idempotency key ``return-label-<return id>``, so a
  second click or a replayed form answers the label bought the first time); the page then
  offers the PDF and shows the QR code for a box-free drop-off.
- ``POST .../tracking``: the shopper sent it themselves and types the carrier (optional) and
  the tracking number. Validated like the merchant's ``POST /api/v1/returns/{id}/label``
  (the same schema), spent from the lookup's rate limiter (per return and client, and the
  client's overall budget), and idempotent: the same number again changes nothing. The
  number becomes the return leg, tracked like any other parcel.

Both are audited with the actor ``shopper:portal``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from postpurchase.domain.errors import DomainError
from postpurchase.domain.returns import Resolution, Return, ReturnMethod, ReturnStatus
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.entrypoints.api.routes.returns_labels import _gateway, label_desk
from postpurchase.entrypoints.web import rendering
from postpurchase.entrypoints.web.loader import WebPlatform, in_thread
from postpurchase.entrypoints.web.page_state import state_of
from postpurchase.entrypoints.web.returns_counter import for_the_counter
from postpurchase.entrypoints.web.returns_forms import TooLarge, read_form
from postpurchase.entrypoints.web.returns_views import (
    _context,
    _csrf_ok,
    _csrf_token,
    _open,
    _Opened,
    _page,
)

router = APIRouter(include_in_schema=False, tags=["returns portal"])

ACTOR = "shopper:portal"  # who the audit log says acted from the portal


@router.get("/returns/o/{token}/r/{return_id}", response_class=HTMLResponse)
async def returns_done(
    token: str, return_id: str, request: Request, platform: WebPlatform
) -> Response:
    opened = await in_thread(_open, platform, token)
    ret: Return | None = None
    if opened is not None:
        ret = next((r for r in opened.overview.returns if r.id == return_id), None)
    if opened is None or ret is None:
        return rendering.not_found(request)
    from postpurchase.entrypoints.web import returns_together as rt  # (it imports us)

    together = await in_thread(rt.parcel_mates, platform, opened, ret)
    in_parcel = await in_thread(rt.parcel_companions, platform, opened, ret)
    return done_page(request, opened, ret, token, together=together, in_parcel=in_parcel)


def done_page(
    request: Request, opened: _Opened, ret: Return, token: str, status_code: int = 200,
    **context: Any,
) -> Response:  # fmt: skip
    """The return's status page: the amount, and for a parcel still to send its label and QR
    code (bought, or to ask for) or the form for the shopper's own tracking number."""
    t, branding = _context(request, opened)
    names = {line.id: line.name for line in opened.overview.facts.order.lines}
    credit = ret.resolution is Resolution.STORE_CREDIT or ret.gift
    policy = opened.overview.policy
    to_send = (
        ret.status is ReturnStatus.APPROVED and not ret.keep_it
        and ret.method is not ReturnMethod.IN_STORE
    )  # fmt: skip
    return _page(
        request, "returns_done.html", status_code, t=t, branding=branding,
        csrf=_csrf_token(request), order=opened.overview.facts.order, ret=ret, names=names,
        credit=credit, amount=ret.credit if credit else ret.refund, token=token,
        to_send=to_send, counter=for_the_counter(ret),
        label_offered=to_send and policy.portal_label is not None and policy.return_to is not None,
        **context,
    )  # fmt: skip


@router.get("/returns/o/{token}/r/{return_id}/{what}")
async def returns_label_file(
    token: str, return_id: str, what: str, request: Request, platform: WebPlatform
) -> Response:
    """The return's QR code (``qr``, PNG) or label (``label``), for the shopper holding the
    order's tracking token."""
    opened = await in_thread(_open, platform, token)
    ret = None
    if opened is not None:
        ret = next((r for r in opened.overview.returns if r.id == return_id), None)
    media_id = None
    if ret is not None:
        media_id = {"qr": ret.qr_media_id, "label": ret.label_media_id}.get(what)
    if opened is None or not media_id:
        return rendering.not_found(request)
    found = await in_thread(returns_service(platform).media, opened.merchant_id, media_id)
    if found is None:
        return rendering.not_found(request)
    return Response(
        found.data, media_type=found.ref.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "no-referrer"},
    )  # fmt: skip


async def _posted(
    token: str, return_id: str, request: Request, platform: WebPlatform
) -> tuple[_Opened, Return, dict[str, str]] | Response:
    """The order and return the form is for, and its fields; or the page to answer."""
    try:
        read = await read_form(request)
    except TooLarge:
        read = None
    opened = await in_thread(_open, platform, token)
    ret = None
    if opened is not None:
        ret = next((r for r in opened.overview.returns if r.id == return_id), None)
    if opened is None or ret is None:
        return rendering.not_found(request)
    if read is None or not _csrf_ok(request, read[0]):
        return done_page(request, opened, ret, token, 403, parcel_error="err.form")
    return opened, ret, read[0]


def _back(token: str, return_id: str) -> Response:
    return RedirectResponse(f"/returns/o/{token}/r/{return_id}", status_code=303)


@router.post("/returns/o/{token}/r/{return_id}/label")
async def portal_label(
    token: str, return_id: str, request: Request, platform: WebPlatform
) -> Response:
    """Buy the return label (once) from the policy's ``portal_label`` carrier account."""
    got = await _posted(token, return_id, request, platform)
    if isinstance(got, Response):
        return got
    opened, ret, _ = got
    if ret.label_media_id:
        return _back(token, return_id)  # bought before: the page offers it
    terms = opened.overview.policy.portal_label
    if terms is None or ret.status is not ReturnStatus.APPROVED:
        return done_page(request, opened, ret, token, 409, parcel_error="parcel.err.no_label")

    def buy() -> Return:
        gateway = _gateway(platform, opened.merchant_id, terms.carrier)
        return label_desk(platform).buy(
            opened.merchant_id, return_id, gateway, terms.service, actor=ACTOR
        )

    try:
        await in_thread(buy)
    except DomainError:  # no such account, no returns address, the carrier refused or is down
        fresh = await in_thread(_open, platform, token)
        again = (
            next((r for r in fresh.overview.returns if r.id == return_id), ret) if fresh else ret
        )
        return done_page(
            request, fresh or opened, again, token, 503, parcel_error="parcel.err.label_failed"
        )
    return _back(token, return_id)


@router.post("/returns/o/{token}/r/{return_id}/tracking")
async def portal_tracking(
    token: str, return_id: str, request: Request, platform: WebPlatform
) -> Response:
    """Record the tracking number of a parcel the shopper sent themselves."""
    got = await _posted(token, return_id, request, platform)
    if isinstance(got, Response):
        return got
    opened, ret, form = got
    typed = {"carrier": form.get("carrier", "")[:200], "number": form.get("tracking_number", "")}
    # Every try spends from the lookup's limiter (per return and client, and the client's
    # overall budget), so the form cannot be used to probe numbers or flood the outbox.
    limiter = state_of(request).limiter
    wait = await in_thread(
        limiter.attempt, rendering.client_ip(request), f"return-tracking:{return_id}"
    )
    if wait is not None:
        return done_page(
            request, opened, ret, token, 429, parcel_error="parcel.err.limited", typed=typed,
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    try:
        body = s.LabelIn.model_validate(
            {"carrier": typed["carrier"].strip() or None,
             "tracking_number": typed["number"][:200].strip() or None}
        )  # fmt: skip
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "tracking_number"
        return done_page(
            request, opened, ret, token, 422, parcel_error=f"parcel.err.{field}", typed=typed
        )
    if body.tracking_number is None:
        return done_page(
            request, opened, ret, token, 422, parcel_error="parcel.err.tracking_number",
            typed=typed,
        )  # fmt: skip
    number, carrier = body.tracking_number, (body.carrier or None)
    if ret.tracking_number is not None:
        if ret.tracking_number == number:
            return _back(token, return_id)  # the same form again: nothing changes
        return done_page(request, opened, ret, token, 409, parcel_error="parcel.err.has_number")
    if ret.status is not ReturnStatus.APPROVED or ret.keep_it:
        return done_page(request, opened, ret, token, 409, parcel_error="parcel.err.not_now")
    svc = returns_service(platform)
    try:
        await in_thread(
            lambda: svc.issue_label(opened.merchant_id, return_id, carrier, number, actor=ACTOR)
        )
    except DomainError:
        now = await in_thread(svc.get, opened.merchant_id, return_id)
        if now.tracking_number == number:
            return _back(token, return_id)  # the same number, sent twice at once
        return done_page(request, opened, now, token, 409, parcel_error="parcel.err.has_number")
    return _back(token, return_id)
