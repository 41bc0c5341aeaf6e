"""``/console/returns``: the returns queue with its filters, and bulk approve or reject.

Everyone of the store sees the queue; agents and owners act. A malformed filter is a 400
naming the parameter (the form shows it again); the bulk actions take each return on its own,
so one that cannot be approved (already rejected, another store's) never stops the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.db.returns import QueueFilter, returns_queue
from postpurchase.domain.console import Principal, parse_page
from postpurchase.domain.console.queries import Paged, parse_day
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.returns import Resolution, ReturnStatus
from postpurchase.entrypoints.console.auth import Agent, Viewer
from postpurchase.entrypoints.console.reading import read
from postpurchase.entrypoints.console.rendering import render
from postpurchase.entrypoints.console.returns.common import RETURN_ID, service, words

router = APIRouter(prefix="/console/returns", include_in_schema=False, tags=["console"])

REASON = re.compile(r"[A-Za-z0-9_.-]{1,64}")
FILTERS = ("status", "reason", "resolution", "from", "to", "q", "review")
MAX_BULK = 100


def parse_filter(params: Mapping[str, str]) -> QueueFilter:
    """The queue's filters from the query string; a bad one raises naming it."""

    def one(name: str) -> str | None:
        return (params.get(name) or "").strip() or None

    status, reason, resolution = one("status"), one("reason"), one("resolution")
    if status and status not in {s.value for s in ReturnStatus}:
        raise InvalidInput("one of " + ", ".join(s.value for s in ReturnStatus), field="status")
    if resolution and resolution not in {r.value for r in Resolution}:
        raise InvalidInput("one of " + ", ".join(r.value for r in Resolution), field="resolution")
    if reason and not REASON.fullmatch(reason):
        raise InvalidInput("a reason code", field="reason")
    start, end = parse_day(one("from"), "from"), parse_day(one("to"), "to")
    if start and end and start > end:
        raise InvalidInput("must not be after to", field="from")
    search = one("q")
    if search and len(search) > 320:
        raise InvalidInput("at most 320 characters", field="q")
    review = one("review")
    if review not in (None, "1"):
        raise InvalidInput("1 or nothing", field="review")
    return QueueFilter(
        status=status, reason=reason, resolution=resolution,
        created_from=datetime.combine(start, time(0), UTC) if start else None,
        created_to=datetime.combine(end, time(0), UTC) + timedelta(days=1) if end else None,
        search=search, needs_review=review == "1",
    )  # fmt: skip


def _reasons(request: Request, merchant_id: str) -> list[tuple[str, str]]:
    policy = service(request).policy(merchant_id)
    return [(r.code, r.label) for r in policy.leaf_reasons()]


async def queue_page(
    request: Request, me: Principal, *, status_code: int = 200, **extra: Any
) -> Response:
    params = {k: request.query_params.get(k, "") for k in FILTERS}
    common: dict[str, Any] = {
        "nav": "returns", "params": params, "statuses": list(ReturnStatus),
        "resolutions": list(Resolution),
        "reasons": await run_in_threadpool(_reasons, request, me.merchant_id),
        "back": "/console/returns" + (("?" + urlencode({k: v for k, v in params.items() if v}))
                                      if any(params.values()) else ""),
        **words(request), **extra,
    }  # fmt: skip
    try:
        f = parse_filter(params)
        page = parse_page(request.query_params.get("page"))
    except InvalidInput as exc:
        return render(
            request, me, "console/returns/queue.html", status_code=400, rows=[], page=None,
            error=f"{exc.field}: {exc.message}", error_field=exc.field, **common,
        )  # fmt: skip
    rows = await read(
        request, returns_queue, me.merchant_id, f, limit=page.per_page + 1, offset=page.offset
    )
    shown = min(len(rows), page.per_page)
    paged = Paged(page.number, page.per_page, shown, len(rows) > page.per_page)
    return render(
        request, me, "console/returns/queue.html", status_code=status_code,
        rows=rows[: page.per_page], page=paged, **common,
    )  # fmt: skip


@router.get("")
async def queue(request: Request, me: Viewer) -> Response:
    return await queue_page(request, me)


@router.post("/bulk")
async def bulk(request: Request, me: Agent) -> Response:
    """Approve or reject the ticked returns (``ids``), each on its own."""
    form = await request.form()
    ids = [str(v) for v in form.getlist("ids")][: MAX_BULK + 1]
    action = str(form.get("action", ""))
    reason = str(form.get("reason", "")).strip()[:500]
    back = str(form.get("back", ""))
    back = back if back.startswith("/console/returns") and "//" not in back else "/console/returns"
    t = words(request)["t"]
    if action not in ("approve", "reject"):
        return await queue_page(request, me, status_code=400, error_field="action",
                                error="action: " + t("console.returns.bulk.action"))  # fmt: skip
    if not ids or len(ids) > MAX_BULK:
        return await queue_page(
            request,
            me,
            status_code=400,
            error_field="ids",
            error="ids: " + t("console.returns.bulk.none", n=MAX_BULK),
        )
    if action == "reject" and not reason:
        return await queue_page(
            request,
            me,
            status_code=400,
            error_field="reason",
            error="reason: " + t("console.returns.reject.why"),
        )
    svc = service(request)
    valid = [rid for rid in ids if RETURN_ID.fullmatch(rid)]
    if action == "approve":
        done = await run_in_threadpool(svc.bulk_approve, me.merchant_id, valid, actor=me.actor)
    else:
        done = await run_in_threadpool(
            svc.bulk_reject, me.merchant_id, valid, reason, actor=me.actor
        )
    ok = sum(1 for _, ret, _ in done if ret is not None)
    sep = "&" if "?" in back else "?"
    summary = urlencode({"done": action, "ok": ok, "refused": len(ids) - ok})
    return RedirectResponse(f"{back}{sep}{summary}", status_code=303)
