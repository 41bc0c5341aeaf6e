"""Promises counted in business days (``EngineConfig.day_count = "business"``).

The engine learns business days from order to delivery at the destination and turns a
count back into a date with ``add_business_days``. What must hold for the promise to be
honest: a count at least the one a delivery took lands on or after that delivery (so the
on-time rule is the same in both units), the date is a working day at the destination,
and dates are the shopper's local dates, not UTC's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.adapters.edd.calendars import (
    add_business_days,
    business_calendar,
    business_days_between,
    business_days_to,
)
from postpurchase.adapters.edd.engine_parts import EngineConfig
from postpurchase.domain.edd.calendar import BusinessCalendar, holiday_set

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
near_days = st.dates(min_value=date(2016, 1, 1), max_value=date(2019, 12, 31))
holiday_sets = st.frozensets(
    st.dates(min_value=date(2016, 1, 1), max_value=date(2020, 3, 31)), max_size=40
)
regions = st.sampled_from([None, "SP", "RJ", "BA", "RS", "CE"])


@settings(deadline=None)
@given(near_days, st.integers(0, 60), holiday_sets)
def test_a_count_at_least_the_business_days_taken_is_kept(
    ordered: date, took: int, holidays: frozenset[date]
) -> None:
    cal = BusinessCalendar(holiday_set(holidays))
    delivered = ordered + timedelta(days=took)
    needed = cal.business_days_between(ordered, delivered)
    promised = cal.add_business_days(ordered, needed)
    # The promise for exactly the count taken is the first working day on or after the
    # delivery: kept, and never more than a closed stretch later.
    assert promised == cal.roll_forward(delivered)
    assert promised >= delivered
    # One business day fewer breaks it whenever the delivery came on a working day.
    if needed > 0 and cal.is_business_day(delivered):
        assert cal.add_business_days(ordered, needed - 1) < delivered


@settings(deadline=None)
@given(near_days, st.integers(0, 45), regions)
def test_brazilian_business_dates_are_working_days_at_the_destination(
    ordered: date, n: int, region: str | None
) -> None:
    promised = add_business_days("BR", region, ordered, n)
    cal = business_calendar("BR", region)
    assert cal.is_business_day(promised)
    assert promised.weekday() < 5
    assert business_days_between("BR", region, cal.roll_forward(ordered), promised) == n


def test_carnival_and_state_holidays_are_skipped() -> None:
    # Friday 9 Feb 2018, then Carnival Monday 12, Tuesday 13 and Ash Wednesday 14 (optional
    # holidays that close carriers): the next business day is Thursday 15 Feb, not Monday.
    assert add_business_days("BR", "SP", date(2018, 2, 9), 1) == date(2018, 2, 15)
    # 9 July is a São Paulo state holiday (Revolução Constitucionalista), not Rio's.
    assert add_business_days("BR", "SP", date(2018, 7, 6), 1) == date(2018, 7, 10)
    assert add_business_days("BR", "RJ", date(2018, 7, 6), 1) == date(2018, 7, 9)
    # Christmas week 2017: Monday 25 Dec closed everywhere.
    assert business_days_between("BR", "BA", date(2017, 12, 22), date(2017, 12, 27)) == 2


def test_dates_are_local_not_utc() -> None:
    # Ordered Friday 23:30 in São Paulo = Saturday 02:30 UTC; delivered Monday 00:30 local
    # = Monday 03:30 UTC. Locally that is Friday -> Monday: one business day (Friday).
    ordered = datetime(2018, 3, 2, 23, 30, tzinfo=SAO_PAULO)
    delivered = datetime(2018, 3, 5, 0, 30, tzinfo=SAO_PAULO)
    assert business_days_to("BR", "SP", ordered, delivered, SAO_PAULO) == 1
    assert business_days_to("BR", "SP", ordered.astimezone(UTC), delivered, SAO_PAULO) == 1
    # Read in UTC the order would be a Saturday one: zero business days.
    assert business_days_to("BR", "SP", ordered, delivered, UTC) == 0


@settings(deadline=None)
@given(
    near_days,
    st.times(),
    st.integers(0, 40),
    st.times(),
    st.sampled_from(["America/Sao_Paulo", "UTC", "America/Manaus", "Asia/Tokyo"]),
)
def test_the_count_does_not_depend_on_the_zone_the_times_are_written_in(
    day: date, at: time, took: int, then: time, zone: str
) -> None:
    ordered = datetime.combine(day, at, SAO_PAULO)
    delivered = datetime.combine(day + timedelta(days=took), then, SAO_PAULO)
    if delivered < ordered:
        delivered = ordered
    written = ZoneInfo(zone)
    assert business_days_to(
        "BR", "RJ", ordered.astimezone(written), delivered.astimezone(written), SAO_PAULO
    ) == business_days_to("BR", "RJ", ordered, delivered, SAO_PAULO)


def test_models_written_before_these_options_keep_the_behaviour_they_were_trained_with() -> None:
    old = EngineConfig().to_dict()
    for key in ("day_count", "closed_day_promise", "live_closed_day_promise"):
        del old[key]
    loaded = EngineConfig.from_dict(old)
    assert loaded.day_count == "calendar"
    assert loaded.closed_day_promise == "keep" and loaded.live_closed_day_promise is False
    assert EngineConfig.from_dict(EngineConfig(day_count="business").to_dict()).day_count == (
        "business"
    )


@given(near_days, st.integers(0, 20), holiday_sets)
def test_rolling_a_promise_back_stays_between_the_p50_and_the_promise(
    p50: date, gap: int, holidays: frozenset[date]
) -> None:
    cal = BusinessCalendar(holiday_set(holidays))
    promise = p50 + timedelta(days=gap)
    moved = cal.roll_back(promise, p50)
    assert p50 <= moved <= promise
    # It is the last business day in (p50, promise], or the P50 itself when none is.
    later = [promise - timedelta(days=k) for k in range((promise - moved).days)]
    assert not any(cal.is_business_day(d) for d in later if d > p50)
    assert cal.is_business_day(moved) or moved == p50
    if cal.is_business_day(promise):
        assert moved == promise


def test_a_sunday_promise_moves_to_friday_and_a_carnival_one_before_carnival() -> None:
    cal = business_calendar("BR", "SP")
    assert cal.roll_back(date(2018, 3, 4), date(2018, 2, 20)) == date(2018, 3, 2)
    # Ash Wednesday 14 Feb 2018 -> Friday 9 Feb (Carnival Monday and Tuesday closed too).
    assert cal.roll_back(date(2018, 2, 14), date(2018, 2, 1)) == date(2018, 2, 9)
    # Never before the most likely date.
    assert cal.roll_back(date(2018, 2, 14), date(2018, 2, 12)) == date(2018, 2, 12)
