"""Business-day arithmetic for delivery dates.

Carriers move parcels on business days, so every rule in the EDD engine counts in them. The
holiday calendar is passed in as a plain predicate (``Callable[[date], bool]``) because the
domain must not import the ``holidays`` package: an adapter builds the calendar (from
``holidays``, a merchant's own closure days, a test's fixed set) and hands it over.

Conventions, chosen to match ``numpy.busday_offset(roll="forward")`` / ``busday_count``
so that adapters can vectorise the same maths and get the same answer:

* ``add_business_days(d, n)`` first rolls ``d`` forward to a business day, then steps ``n``
  business days further. ``n = 0`` therefore means "the first business day on or after d".
* ``business_days_between(a, b)`` counts business days in the half-open range ``[a, b)``
  and is negative when ``b < a``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from postpurchase.domain.errors import InvalidInput

HolidayPredicate = Callable[[date], bool]

# A calendar that has gone this long without a business day is misconfigured (e.g. every
# weekday declared a holiday); refusing beats looping forever.
MAX_CLOSED_RUN = 370
_ONE_DAY = timedelta(days=1)


def no_holidays(_: date) -> bool:
    """The empty calendar: weekends only."""
    return False


def holiday_set(days: Collection[date]) -> HolidayPredicate:
    """Turn a set of dates into a predicate (frozen, so later edits to ``days`` do not leak in)."""
    frozen = frozenset(days)
    return frozen.__contains__


def any_of(*predicates: HolidayPredicate) -> HolidayPredicate:
    """A day closed in any of the calendars, e.g. origin and destination country together."""

    def closed(day: date) -> bool:
        return any(p(day) for p in predicates)

    return closed


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Which days carriers work: weekdays not in ``weekend`` and not holidays.

    ``weekend`` uses ``date.weekday()`` numbers (Monday = 0). Saturday deliveries exist but
    are the exception, so the default weekend is Saturday and Sunday.
    """

    is_holiday: HolidayPredicate = no_holidays
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))

    def __post_init__(self) -> None:
        if not self.weekend <= frozenset(range(7)):
            raise InvalidInput("weekend days must be numbers 0 (Mon) to 6 (Sun)", field="weekend")
        if len(self.weekend) == 7:
            raise InvalidInput("a calendar needs at least one working weekday", field="weekend")

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and not self.is_holiday(day)

    def roll_forward(self, day: date) -> date:
        """The first business day on or after ``day``."""
        for _ in range(MAX_CLOSED_RUN):
            if self.is_business_day(day):
                return day
            day += _ONE_DAY
        raise InvalidInput(f"no business day within {MAX_CLOSED_RUN} days", field="calendar")

    def roll_back(self, day: date, not_before: date) -> date:
        """The last business day on or before ``day``, but never before ``not_before``.

        Why: a promise that falls on a closed day is, for the shopper, a promise for the last
        working day before it (few parcels arrive on a Sunday or a holiday), so the earlier
        date costs almost no kept promises and is a day or two tighter. ``not_before`` (the
        most likely date) is returned when no business day lies in between.
        """
        current = day
        while current > not_before:
            if self.is_business_day(current):
                return current
            current -= _ONE_DAY
        return not_before

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        return self.roll_forward(day + _ONE_DAY)

    def add_business_days(self, day: date, n: int) -> date:
        """Roll ``day`` forward to a business day, then move ``n`` business days (n >= 0)."""
        if n < 0:
            raise InvalidInput("cannot add a negative number of business days", field="n")
        current = self.roll_forward(day)
        for _ in range(n):
            current = self.next_business_day(current)
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in ``[start, end)``; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.business_days_between(end, start)
        count = 0
        day = start
        while day < end:
            if self.is_business_day(day):
                count += 1
            day += _ONE_DAY
        return count
