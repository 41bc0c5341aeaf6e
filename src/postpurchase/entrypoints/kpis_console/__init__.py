"""The console's KPI pages, ``/console/kpis/{name}``: one report per page, its chart drawn
on the server (SVG, no JavaScript), its table, and links to the JSON and CSV.

One report per page, not all seven: each page then costs one report's queries, which the
benchmark holds within 1 s on 1,000,000 shipments.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.kpis import KpiQuery, default_range
from postpurchase.domain.notification_timing import zone
from postpurchase.entrypoints.api.kpi_reports import REPORTS, Report
from postpurchase.entrypoints.console import (
    NavItem,
    Role,
    Viewer,
    add_template_dir,
    register_nav,
    render,
)

router = APIRouter(prefix="/console/kpis", include_in_schema=False, tags=["console"])
add_template_dir(Path(__file__).parent / "templates")
register_nav(NavItem("kpis", "KPIs", "/console/kpis", Role.VIEWER, order=35))

TITLES = {
    "delivery": "Delivery",
    "carriers": "Carriers",
    "repeat-purchase": "Repeat purchase",
    "contacts": "Support contacts",
    "csat": "Satisfaction",
    "returns": "Returns",
    "promises": "Promise accuracy",
    "messages": "Message versions",
}
FILTERS = ("from", "to", "carrier", "service", "lane", "interval")


def _query(params: dict[str, str], today: date) -> KpiQuery:
    def day(name: str) -> date | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
                return date.fromisoformat(raw)
        except ValueError:
            pass
        raise InvalidInput("a date as YYYY-MM-DD", field=name)

    start, end = default_range(today, day("from"), day("to"))
    text = {k: (params.get(k) or "").strip() or None for k in ("carrier", "service", "lane")}
    return KpiQuery(start, end, **text, interval=params.get("interval") or "day")


def cell(value: Any) -> str:
    """A table cell: rates as percentages, other floats to two places, nothing as a dash."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


@router.get("")
async def first(me: Viewer) -> Response:
    return RedirectResponse("/console/kpis/delivery", status_code=303)


@router.get("/{name}")
async def page(name: str, request: Request, me: Viewer) -> Response:
    """A KPI page. Malformed filters show the form again with the field named (422)."""
    if name not in REPORTS:
        return render(request, me, "kpis/page.html", status_code=404, nav="kpis",
                      titles=TITLES, name=name, error="No such KPI.", report=None,
                      params={}, query_string="")  # fmt: skip
    platform = request.app.state.platform
    params = {k: request.query_params.get(k, "") for k in FILTERS}
    today = platform.clock.now().astimezone(zone(await _zone(request, me))).date()
    try:
        q = _query(params, today)
    except InvalidInput as bad:
        return render(request, me, "kpis/page.html", status_code=422, nav="kpis",
                      titles=TITLES, name=name, error=f"{bad.field}: {bad.message}",
                      report=None, params=params, query_string="")  # fmt: skip

    def build() -> Report:
        with platform.engine.connect() as conn:
            return REPORTS[name](conn, me.merchant_id, q)

    report = await run_in_threadpool(build)
    shown = {k: v for k, v in params.items() if v}
    query_string = "&".join(f"{k}={v}" for k, v in shown.items())
    return render(
        request, me, "kpis/page.html", nav="kpis", titles=TITLES, name=name, report=report,
        chart=Markup(report.chart), params={**params, "from": q.start.isoformat(),
        "to": q.end.isoformat()}, query_string=query_string, cell=cell, error=None,
    )  # fmt: skip


async def _zone(request: Request, me: Any) -> str:
    platform = request.app.state.platform

    def read() -> str:
        with platform.uow() as uow:
            merchant = uow.merchants.get(me.merchant_id)
        return merchant.timezone if merchant is not None else "UTC"

    return await run_in_threadpool(read)
