"""Holiday calendars from the ``holidays`` package, handed to the pure domain as predicates.

Brazil's Carnival is not a national public holiday but closes carriers and sorting centres
for two to three days, so the "optional" category is included by default; state holidays
come from the region (``subdiv``) when the package knows it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

import holidays

from postpurchase.domain.edd.calendar import BusinessCalendar, HolidayPredicate, no_holidays

YEARS = range(2010, 2036)


@lru_cache(maxsize=256)
def holiday_dates(country: str, region: str | None = None) -> frozenset[date]:
    """Public (and optional, e.g. Carnival) holidays; unknown country or region: fewer, not none."""
    country = country.upper()
    subdiv = region.upper() if region else None
    try:
        known = holidays.list_supported_countries().get(country, [])
    except Exception:  # pragma: no cover - very old holidays versions
        known = []
    if subdiv not in known:
        subdiv = None
    try:
        cal = holidays.country_holidays(
            country, subdiv=subdiv, years=YEARS, categories=("public", "optional")
        )
    except (NotImplementedError, KeyError, ValueError):
        try:
            cal = holidays.country_holidays(country, subdiv=subdiv, years=YEARS)
        except (NotImplementedError, KeyError, ValueError):
            return frozenset()
    return frozenset(cal.keys())


def holiday_predicate(country: str | None, region: str | None = None) -> HolidayPredicate:
    if not country:
        return no_holidays
    return holiday_dates(country, region).__contains__


@lru_cache(maxsize=256)
def business_calendar(country: str | None, region: str | None = None) -> BusinessCalendar:
    """The domain calendar for a country/region (cached: calendars are immutable)."""
    return BusinessCalendar(holiday_predicate(country, region))


@lru_cache(maxsize=400_000)
def business_days_between(country: str | None, region: str | None, start: date, end: date) -> int:
    """Business days in ``[start, end)`` at a destination (cached: the replay asks often)."""
    return business_calendar(country, region).business_days_between(start, end)


@lru_cache(maxsize=400_000)
def add_business_days(country: str | None, region: str | None, start: date, n: int) -> date:
    """``start`` rolled forward to a business day, then ``n`` business days on (n >= 0)."""
    return business_calendar(country, region).add_business_days(start, max(0, n))


def business_days_to(
    country: str | None,
    region: str | None,
    ordered_at: datetime,
    delivered_at: datetime,
    tz: tzinfo,
) -> int:
    """Business days from an order to its delivery, both read as local dates in ``tz``.

    Why local dates: a parcel delivered at 23:30 in São Paulo is delivered that day for the
    shopper, although it is the next day in UTC.
    """
    start = ordered_at.astimezone(tz).date()
    end = delivered_at.astimezone(tz).date()
    return business_days_between(country, region, start, end)


def closed_days(country: str, region: str | None, start: date, horizon: int) -> int:
    """Non-business days in ``[start, start + horizon)`` at the destination."""
    return _closed_days(country, region, start, horizon)


_CLOSED_CACHE: dict[tuple[str, str | None, date, int], int] = {}


def _closed_days(country: str, region: str | None, start: date, horizon: int) -> int:
    key = (country, region, start, horizon)
    found = _CLOSED_CACHE.get(key)
    if found is None:
        cal = business_calendar(country, region)
        found = sum(
            0 if cal.is_business_day(start + timedelta(days=k)) else 1 for k in range(horizon)
        )
        if len(_CLOSED_CACHE) > 200_000:
            _CLOSED_CACHE.clear()
        _CLOSED_CACHE[key] = found
    return found
