"""Shared by the KPI endpoints of the storefront contexts: the period query parameters and
the CSV rendering (every KPI is JSON by default and CSV with ``?format=csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from postpurchase.domain.errors import InvalidInput
from postpurchase.entrypoints.api.edge_types import QueryDay

MAX_DAYS = 366

Since = Annotated[
    QueryDay | None,
    Query(description="First day counted (UTC), default 30 days before `until`; a period "
          "of at most 366 days."),
]  # fmt: skip
Until = Annotated[QueryDay | None, Query(description="Last day counted (UTC), default today.")]
Format = Annotated[Literal["json", "csv"], Query(description="`json` (default) or `csv`.")]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The KPI"}
}


def period(since: date | None, until: date | None, today: date) -> tuple[datetime, datetime]:
    """[since 00:00 UTC, the day after until 00:00 UTC); at most ``MAX_DAYS`` days."""
    last = until or today
    first = since or last - timedelta(days=29)
    if first > last:
        raise InvalidInput("must not be after until", field="since")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"a period of at most {MAX_DAYS} days", field="since")
    start = datetime.combine(first, time(), tzinfo=UTC)
    return start, datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
