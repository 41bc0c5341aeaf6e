"""The next cut-off and the countdown to it.

The cut-off is a local time of day in the merchant's zone on the origin's business days.
An order placed before it is handed over that day (plus handling days), so every order
between two cut-offs gets the same dates: the next cut-off instant identifies the answer,
which is what lets the service cache it and never serve it past that instant.

Times are computed as instants (UTC) so a countdown across a daylight-saving change counts
real hours: on the night clocks spring forward, 01:00 to a 14:00 cut-off is 12 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from postpurchase.domain.edd.calendar import BusinessCalendar
from postpurchase.domain.errors import InvalidInput

MAX_SEARCH_DAYS = 400


def local_cutoff(day: date, cutoff: time, tz: ZoneInfo) -> datetime:
    """The cut-off instant (UTC) on a local day. A wall time the clock skips (a 02:30 cut-off
    on the night clocks spring forward) or shows twice (falling back) is read as the earlier
    of its two readings: a cut-off a little early never promises a day we cannot keep."""
    wall = datetime.combine(day, cutoff)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return min(first, second)


def next_cutoff(now: datetime, cutoff: time, tz: ZoneInfo, calendar: BusinessCalendar) -> datetime:
    """The first cut-off instant after ``now`` (aware) on a business day of ``calendar``."""
    if now.tzinfo is None:
        raise InvalidInput("now must be time-zone aware", field="now")
    day = now.astimezone(tz).date()
    for _ in range(MAX_SEARCH_DAYS):
        if calendar.is_business_day(day):
            at = local_cutoff(day, cutoff, tz)
            if at > now:
                return at
        day += timedelta(days=1)
    raise InvalidInput(f"no business day within {MAX_SEARCH_DAYS} days", field="calendar")


@dataclass(frozen=True, slots=True)
class Countdown:
    """Time left to the cut-off, as people say it: whole hours and minutes, rounded down
    (never promise a minute the shopper does not have); under a minute says 0 min."""

    seconds: int

    @property
    def hours(self) -> int:
        return self.seconds // 3600

    @property
    def minutes(self) -> int:
        return (self.seconds % 3600) // 60


def countdown(now: datetime, cutoff_at: datetime) -> Countdown:
    return Countdown(max(0, int((cutoff_at - now).total_seconds())))
