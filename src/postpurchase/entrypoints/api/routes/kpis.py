"""KPIs over the merchant's own orders: /api/v1/kpis/{name} (JSON), .csv and .svg.

Each KPI is one report (entrypoints.api.kpi_reports); the three formats render the same
one. Dates are the merchant's calendar days of purchase, both ends inclusive.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BeforeValidator

from postpurchase.domain.kpis import LANE, KpiQuery, default_range
from postpurchase.domain.notification_timing import zone
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.kpi_reports import REPORTS, Report
from postpurchase.entrypoints.api.problems import Problem

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"])

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _text_date(value: Any) -> Any:
    """A calendar date written YYYY-MM-DD, never a count of days or seconds since 1970."""
    if isinstance(value, str) and not re.match(ISO_DATE, value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


DayParam = Annotated[date, BeforeValidator(_text_date)]
From = Annotated[
    DayParam | None,
    Query(alias="from", description="First day of purchase (YYYY-MM-DD); default 90 days ago."),
]
To = Annotated[
    DayParam | None, Query(alias="to", description="Last day (inclusive); default today.")
]
Carrier = Annotated[str | None, Query(max_length=48, pattern=r"^[A-Za-z0-9_.\-]+$")]
Service = Annotated[str | None, Query(max_length=48, pattern=r"^[A-Za-z0-9_.\-]+$")]
Lane = Annotated[
    str | None,
    Query(
        max_length=80,
        pattern=LANE.pattern,
        description="ORIGIN>DESTINATION regions, e.g. US-CA>US-NY",
    ),
]
Interval = Annotated[str, Query(pattern="^(day|week|month)$", description="day, week or month")]


def _query(
    merchant: Any,
    platform: Any,
    start: date | None,
    end: date | None,
    carrier: str | None,
    service: str | None,
    lane: str | None,
    interval: str,
) -> KpiQuery:
    today = platform.clock.now().astimezone(zone(merchant.timezone)).date()
    first, last = default_range(today, start, end)
    return KpiQuery(first, last, carrier, service, lane, interval)


async def _report(name: str, merchant: Any, platform: Any, q: KpiQuery) -> Report:
    build = REPORTS.get(name)
    if build is None:
        raise Problem(
            404, "Not found", f"no KPI {name!r}; one of {', '.join(REPORTS)}", field="name"
        )

    def run() -> Report:
        with platform.engine.connect() as conn:
            return build(conn, merchant.id, q)

    return await run_in_threadpool(run)


def _csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=report.columns, lineterminator="\r\n")
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _endpoint(name: str, doc: str) -> None:
    async def kpi(
        merchant: MerchantDep,
        platform: PlatformDep,
        start: From = None,
        end: To = None,
        carrier: Carrier = None,
        service: Service = None,
        lane: Lane = None,
        interval: Interval = "day",
    ) -> dict[str, Any]:
        q = _query(merchant, platform, start, end, carrier, service, lane, interval)
        return (await _report(name, merchant, platform, q)).as_json(q)

    kpi.__doc__ = doc
    kpi.__name__ = "kpi_" + name.replace("-", "_")
    router.add_api_route(f"/{name}", kpi, methods=["GET"], summary=doc.splitlines()[0])


for _name, _build in REPORTS.items():
    _endpoint(_name, (_build.__doc__ or _name).strip() + "\n\nDefinitions: docs/kpis.md.")


@router.get("/{name}.csv", response_class=Response)
async def kpi_csv(
    name: str,
    merchant: MerchantDep,
    platform: PlatformDep,
    start: From = None,
    end: To = None,
    carrier: Carrier = None,
    service: Service = None,
    lane: Lane = None,
    interval: Interval = "day",
) -> Response:
    """The KPI's rows as CSV (the same rows as its JSON ``rows``)."""
    q = _query(merchant, platform, start, end, carrier, service, lane, interval)
    report = await _report(name, merchant, platform, q)
    filename = f"{name}_{q.start.isoformat()}_{q.end.isoformat()}.csv"
    return Response(
        _csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{name}.svg", response_class=Response)
async def kpi_svg(
    name: str,
    merchant: MerchantDep,
    platform: PlatformDep,
    start: From = None,
    end: To = None,
    carrier: Carrier = None,
    service: Service = None,
    lane: Lane = None,
    interval: Interval = "day",
) -> Response:
    """The KPI's chart as an accessible SVG image (no JavaScript)."""
    q = _query(merchant, platform, start, end, carrier, service, lane, interval)
    report = await _report(name, merchant, platform, q)
    return Response(report.chart, media_type="image/svg+xml")
