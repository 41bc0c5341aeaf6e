"""The exceptions queue and the actions on a shipment (agents and owners)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.db.console import queue
from postpurchase.domain.console import Attention, Page, Principal, parse_page
from postpurchase.domain.console.queries import Paged
from postpurchase.domain.errors import DomainError, InvalidInput, NotFound
from postpurchase.entrypoints.console.auth import Agent, Viewer, platform_of
from postpurchase.entrypoints.console.reading import read
from postpurchase.entrypoints.console.rendering import render
from postpurchase.entrypoints.console.views_orders import shipment_page
from postpurchase.entrypoints.console.wiring import actions_of

router = APIRouter(prefix="/console", include_in_schema=False, tags=["console"])

Short = Annotated[str, Form(max_length=300)]
Long = Annotated[str, Form(max_length=6000)]


@router.get("/exceptions")
async def exceptions(request: Request, me: Viewer) -> Response:
    platform = platform_of(request)
    raw_kind = request.query_params.get("kind", "")
    try:
        kind = Attention(raw_kind) if raw_kind else None
        page = parse_page(request.query_params.get("page"))
    except ValueError:
        return _bad(request, me, "kind", "one of " + ", ".join(k.value for k in Attention))
    except InvalidInput as exc:
        return _bad(request, me, exc.field or "page", exc.message)
    rows, counts = await read(
        request, queue, me.merchant_id, platform.clock.now(), platform.settings.no_scan_days,
        kind=kind, limit=page.per_page + 1, offset=page.offset,
    )  # fmt: skip
    shown = min(len(rows), page.per_page)
    paged = Paged(page.number, page.per_page, shown, len(rows) > page.per_page)
    return render(
        request, me, "console/exceptions.html", nav="exceptions", rows=rows[: page.per_page],
        counts=counts, kinds=list(Attention), kind=kind, page=paged,
        no_scan_days=platform.settings.no_scan_days,
    )  # fmt: skip


def _bad(request: Request, me: Principal, field: str, message: str) -> Response:
    return render(
        request, me, "console/exceptions.html", status_code=400, nav="exceptions", rows=[],
        counts={}, kinds=list(Attention), kind=None, page=Paged(1, Page().per_page, 0, False),
        error=f"{field}: {message}", error_field=field, no_scan_days=0,
    )  # fmt: skip


def _back(request: Request, shipment_id: str, flash: str) -> Response:
    """Back where the action was started (the queue or the shipment page)."""
    target = request.query_params.get("back", "")
    if target != "queue":
        return RedirectResponse(f"/console/shipments/{shipment_id}?flash={flash}", 303)
    return RedirectResponse(f"/console/exceptions?flash={flash}", status_code=303)


async def _act(
    request: Request,
    me: Principal,
    shipment_id: str,
    open_action: str,
    call: Callable[[], object],
) -> Response:
    try:
        await run_in_threadpool(call)
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.field == "shipment_id":
            return await shipment_page(request, me, shipment_id)  # the not-found page
        return await shipment_page(
            request, me, shipment_id, status_code=404 if isinstance(exc, NotFound) else 400,
            action_error=f"{exc.field}: {exc.message}" if exc.field else exc.message,
            action_field=exc.field, open_action=open_action,
        )  # fmt: skip
    return _back(request, shipment_id, _FLASH[open_action])


_FLASH = {"message": "messaged", "reship": "reshipped", "refund": "refunded", "resolve": "resolved"}


@router.post("/shipments/{shipment_id}/message")
async def message(
    request: Request, me: Agent, shipment_id: str, subject: Short = "", body: Long = ""
) -> Response:
    actions = actions_of(request)
    response = await _act(
        request, me, shipment_id, "message",
        lambda: actions.message(me, shipment_id[:32], subject, body),
    )  # fmt: skip
    platform_of(request).queue.nudge_outbox()  # the worker sends it now, not at its next sweep
    return response


@router.post("/shipments/{shipment_id}/reship")
async def reship(
    request: Request, me: Agent, shipment_id: str, tracking_number: Short = "", carrier: Short = ""
) -> Response:
    actions = actions_of(request)
    return await _act(
        request, me, shipment_id, "reship",
        lambda: actions.reship(me, shipment_id[:32], tracking_number, carrier),
    )  # fmt: skip


@router.post("/shipments/{shipment_id}/refund")
async def refund(request: Request, me: Agent, shipment_id: str) -> Response:
    actions = actions_of(request)
    return await _act(
        request, me, shipment_id, "refund", lambda: actions.refund_shipping(me, shipment_id[:32])
    )


@router.post("/shipments/{shipment_id}/resolve")
async def resolve(request: Request, me: Agent, shipment_id: str, note: Short = "") -> Response:
    actions = actions_of(request)
    return await _act(
        request, me, shipment_id, "resolve", lambda: actions.resolve(me, shipment_id[:32], note)
    )
