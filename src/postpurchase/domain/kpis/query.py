"""What a dashboard may be asked: a date range and filters, checked before any SQL runs.

Why domain: "which orders does this page count" must be the same rule for the JSON, the CSV
and the chart, and a refused range must name its field the same way everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from postpurchase.domain.errors import InvalidInput

MAX_SPAN_DAYS = 731  # two years: enough for a year-on-year look, bounded work per request
DEFAULT_SPAN_DAYS = 90
NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,48}$")
LANE = re.compile(r"^[A-Z?]{1,2}(-[A-Z0-9]{1,3})?>[A-Z?]{1,2}(-[A-Z0-9]{1,3})?$")
GROUPS = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class KpiQuery:
    """Orders placed from ``start`` to ``end`` (both inclusive, the merchant's calendar)."""

    start: date
    end: date
    carrier: str | None = None
    service: str | None = None
    lane: str | None = None
    interval: str = "day"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("'to' is before 'from'", field="to")
        if (self.end - self.start).days + 1 > MAX_SPAN_DAYS:
            raise InvalidInput(f"a range spans at most {MAX_SPAN_DAYS} days", field="to")
        for name in ("carrier", "service"):
            value = getattr(self, name)
            if value is not None and not NAME.match(value):
                raise InvalidInput("letters, digits, '_', '.', '-' (at most 48)", field=name)
        if self.lane is not None and not LANE.match(self.lane):
            raise InvalidInput("a lane is ORIGIN>DESTINATION, e.g. US-CA>US-NY", field="lane")
        if self.interval not in GROUPS:
            raise InvalidInput(f"one of {', '.join(GROUPS)}", field="interval")


def default_range(today: date, start: date | None, end: date | None) -> tuple[date, date]:
    """The last 90 days to ``today`` when neither end is given; one end fills the other."""
    span = timedelta(days=DEFAULT_SPAN_DAYS - 1)
    if start is None and end is None:
        return today - span, today
    if start is None:
        assert end is not None
        return end - span, end
    if end is None:
        return start, min(start + span, max(today, start))
    return start, end


def bucket_start(day: date, interval: str) -> date:
    """The first day of the ``interval`` (ISO week: Monday) ``day`` falls in."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day
