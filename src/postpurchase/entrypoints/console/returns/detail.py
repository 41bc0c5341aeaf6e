"""``/console/returns/{id}``: one return for the person handling it: its lines with the
reason and the shopper's photos, the decisions, the money, its timeline (status changes with
who made them, from the audit log), and the step it waits for: approve or reject, mark the
parcel received, inspect (grade, note and photos per line, restock into a location or
dispose), then refund, credit or place the exchange order as the return says.

Every step goes through the returns service with the signed-in person as the actor, so it
is audited (``user:<email>``) in the step's own transaction. Photos are served only to the
store's own team, and only the ones the return names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from postpurchase.adapters.db.returns import line_names
from postpurchase.bootstrap import store_stock
from postpurchase.domain.audit import StoredAudit
from postpurchase.domain.console import Principal
from postpurchase.domain.errors import DomainError, NotFound
from postpurchase.domain.media import sniff_image
from postpurchase.domain.returns import Disposition, Grade, Return, ReturnStatus
from postpurchase.entrypoints.console.auth import Agent, ConsoleNotFound, Viewer, platform_of
from postpurchase.entrypoints.console.reading import read
from postpurchase.entrypoints.console.rendering import render
from postpurchase.entrypoints.console.returns.common import RETURN_ID, service, words
from postpurchase.service_layer import audit
from postpurchase.service_layer.returns import MAX_PHOTO_BYTES, subject_of

router = APIRouter(prefix="/console/returns", include_in_schema=False, tags=["console"])

LOCATION = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_INSPECTION_PHOTOS = 3  # per line and step: the photo checks read each one whole


@dataclass(frozen=True, slots=True)
class Moment:
    """A line of the timeline: the status reached, when, and who moved it there."""

    status: str
    at: datetime
    actor: str | None
    details: list[tuple[str, str]]


SHOWN = ("rejection_reason", "tracking_number", "location", "paid.amount", "resolution_reference")


def timeline(ret: Return, entries: list[StoredAudit]) -> list[Moment]:
    """The return's history joined to the audit entries that made each step, newest first."""
    by_status: dict[str, StoredAudit] = {}
    for stored in entries:  # newest first: keep the oldest entry reaching each status
        moved = stored.entry.changes.get("status")
        if moved:
            by_status[str(moved[1])] = stored
    out = []
    for status, at in ret.history:
        made = by_status.get(status.value)
        details: list[tuple[str, str]] = []
        if made is not None:
            for key, (_, new) in made.entry.changes.items():
                if new not in (None, "", []) and (
                    key in SHOWN or key.endswith((".grade", ".note", ".disposition", ".location"))
                ):
                    details.append((key, str(new)))
        actor = (
            made.entry.actor if made else ("shopper" if status is ReturnStatus.REQUESTED else None)
        )
        out.append(Moment(status.value, at, actor, details))
    return list(reversed(out))


def _load(request: Request, me: Principal, return_id: str) -> dict[str, Any]:
    svc = service(request)
    ret = svc.get(me.merchant_id, return_id)
    platform = platform_of(request)
    entries = audit.history(platform.uow(), me.merchant_id, limit=200, subject=subject_of(ret.id))
    policy = svc.policy(me.merchant_id)
    stock = store_stock(platform).for_return(me.merchant_id, ret.id)
    return {
        "ret": ret,
        "store_stock": {a.line_id: a for a in stock},  # the store's inventory (ADR 0031)
        "ledger": svc.ledger(me.merchant_id, return_id),
        "moments": timeline(ret, entries),
        "reason_labels": {r.code: r.label for r in policy.leaf_reasons()},
    }


async def detail_page(
    request: Request, me: Principal, return_id: str, *, status_code: int = 200, **extra: Any
) -> Response:
    if not RETURN_ID.fullmatch(return_id):
        raise ConsoleNotFound(me, "return")
    try:
        found = await run_in_threadpool(_load, request, me, return_id)
    except NotFound:
        raise ConsoleNotFound(me, "return") from None
    names = await read(request, line_names, me.merchant_id, found["ret"].order_id)
    return render(
        request, me, "console/returns/detail.html", status_code=status_code, nav="returns",
        names=names, grades=list(Grade), dispositions=list(Disposition),
        Status=ReturnStatus, max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024),
        **found, **words(request), **extra,
    )  # fmt: skip


@router.get("/{return_id}")
async def detail(request: Request, me: Viewer, return_id: str) -> Response:
    return await detail_page(request, me, return_id)


@router.get("/{return_id}/photos/{media_id}")
async def photo(request: Request, me: Viewer, return_id: str, media_id: str) -> Response:
    """A photo the return names (the shopper's or the inspector's), to this store only."""
    if not (RETURN_ID.fullmatch(return_id) and RETURN_ID.fullmatch(media_id)):
        raise ConsoleNotFound(me, "photo")
    svc = service(request)
    try:
        ret = await run_in_threadpool(svc.get, me.merchant_id, return_id)
    except NotFound:
        raise ConsoleNotFound(me, "photo") from None
    if not any(media_id in line.photos for line in ret.lines):
        raise ConsoleNotFound(me, "photo")
    found = await run_in_threadpool(svc.photo, me.merchant_id, media_id)
    if found is None:
        raise ConsoleNotFound(me, "photo")
    return Response(
        found.data, media_type=found.ref.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                 "Content-Security-Policy": "default-src 'none'"},
    )  # fmt: skip


FLASH = {
    "approve": "approved", "reject": "rejected", "receive": "received",
    "inspect": "inspected", "resolve": "resolved",
}  # fmt: skip


async def _step(request: Request, me: Principal, return_id: str, step: str, call: Any) -> Response:
    if not RETURN_ID.fullmatch(return_id):
        raise ConsoleNotFound(me, "return")
    try:
        await run_in_threadpool(call)
    except NotFound as exc:
        if exc.field == "return_id":
            raise ConsoleNotFound(me, "return") from None
        return await detail_page(
            request,
            me,
            return_id,
            status_code=404,
            step=step,
            error=f"{exc.field}: {exc.message}",
            error_field=exc.field,
        )
    except DomainError as exc:
        status = 409 if exc.field == "status" else 400
        return await detail_page(
            request, me, return_id, status_code=status, step=step,
            error=f"{exc.field}: {exc.message}" if exc.field else exc.message,
            error_field=exc.field,
        )  # fmt: skip
    platform_of(request).queue.nudge_outbox()  # the shopper's message goes now
    return RedirectResponse(f"/console/returns/{return_id}?done={FLASH[step]}", 303)


@router.post("/{return_id}/approve")
async def approve(request: Request, me: Agent, return_id: str) -> Response:
    svc = service(request)
    return await _step(
        request,
        me,
        return_id,
        "approve",
        lambda: svc.approve(me.merchant_id, return_id, actor=me.actor),
    )


@router.post("/{return_id}/reject")
async def reject(request: Request, me: Agent, return_id: str) -> Response:
    form = await request.form()
    reason = str(form.get("reason", ""))[:500]
    svc = service(request)
    return await _step(
        request,
        me,
        return_id,
        "reject",
        lambda: svc.reject(me.merchant_id, return_id, reason, actor=me.actor),
    )


@router.post("/{return_id}/receive")
async def receive(request: Request, me: Agent, return_id: str) -> Response:
    svc = service(request)
    return await _step(
        request,
        me,
        return_id,
        "receive",
        lambda: svc.receive(me.merchant_id, return_id, actor=me.actor),
    )


@router.post("/{return_id}/resolve")
async def resolve(request: Request, me: Agent, return_id: str) -> Response:
    svc = service(request)
    return await _step(
        request,
        me,
        return_id,
        "resolve",
        lambda: svc.resolve(me.merchant_id, return_id, actor=me.actor),
    )


@router.post("/{return_id}/inspect")
async def inspect(request: Request, me: Agent, return_id: str) -> Response:
    """Grade each line (``grade_<i>``, ``note_<i>``, ``disposition_<i>``, ``photo_<i>``
    files) and put the goods away into ``location``. Photos are checked by their bytes
    (``domain.media``) before anything is stored; a bad one names its line."""
    if not RETURN_ID.fullmatch(return_id):
        raise ConsoleNotFound(me, "return")
    form = await request.form()
    svc = service(request)
    try:
        ret = await run_in_threadpool(svc.get, me.merchant_id, return_id)
    except NotFound:
        raise ConsoleNotFound(me, "return") from None

    async def fail(field: str, message: str) -> Response:
        return await detail_page(request, me, return_id, status_code=400, step="inspect",
                                 error=f"{field}: {message}", error_field=field)  # fmt: skip

    grades: dict[str, Grade] = {}
    notes: dict[str, str] = {}
    chosen: dict[str, Disposition] = {}
    uploads: dict[str, list[bytes]] = {}
    for i, line in enumerate(ret.lines):
        raw = str(form.get(f"grade_{i}", ""))
        if raw not in {g.value for g in Grade}:
            return await fail(f"grade_{i}", "choose a grade")
        grades[line.order_line_id] = Grade(raw)
        note = str(form.get(f"note_{i}", "")).strip()
        if len(note) > 1000:
            return await fail(f"note_{i}", "at most 1000 characters")
        if note:
            notes[line.order_line_id] = note
        disposition = str(form.get(f"disposition_{i}", ""))
        if disposition:
            if disposition not in {d.value for d in Disposition}:
                return await fail(f"disposition_{i}", "restock or dispose")
            chosen[line.order_line_id] = Disposition(disposition)
        files = [f for f in form.getlist(f"photo_{i}") if isinstance(f, UploadFile) and f.filename]
        if len(files) > MAX_INSPECTION_PHOTOS:
            return await fail(f"photo_{i}", f"at most {MAX_INSPECTION_PHOTOS} photos")
        uploads[line.order_line_id] = [await f.read(MAX_PHOTO_BYTES + 1) for f in files]
    location = str(form.get("location", "")).strip() or None
    if location is not None and not LOCATION.fullmatch(location):
        return await fail("location", "a location code: letters, digits, . _ - (1-64)")

    def run() -> None:
        for i, line in enumerate(ret.lines):  # every photo checked before any is stored
            for data in uploads[line.order_line_id]:
                sniff_image(data, MAX_PHOTO_BYTES, field=f"photo_{i}")
        photos: dict[str, tuple[str, ...]] = {}
        for i, line in enumerate(ret.lines):
            ids = []
            for data in uploads[line.order_line_id]:
                ref = svc.add_photo(me.merchant_id, ret.order_id, data, field=f"photo_{i}")
                ids.append(ref.id)
            if ids:
                photos[line.order_line_id] = tuple(ids)
        svc.inspect(
            me.merchant_id, return_id, grades, notes, chosen, photos=photos,
            actor=me.actor, location=location,
        )  # fmt: skip

    return await _step(request, me, return_id, "inspect", run)
