"""Business-day maths: the properties every later layer relies on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.domain.edd.calendar import BusinessCalendar, any_of, holiday_set
from postpurchase.domain.errors import InvalidInput

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
holiday_sets = st.frozensets(
    st.dates(min_value=date(2017, 1, 1), max_value=date(2019, 12, 31)), max_size=40
)
weekends = st.frozensets(st.integers(0, 6), max_size=3)
near_days = st.dates(min_value=date(2017, 1, 1), max_value=date(2019, 12, 31))


def calendar(holidays: frozenset[date], weekend: frozenset[int]) -> BusinessCalendar:
    return BusinessCalendar(holiday_set(holidays), weekend)


@given(near_days, st.integers(0, 60), holiday_sets, weekends)
@settings(max_examples=200)
def test_adding_n_business_days_lands_on_a_business_day_n_business_days_later(
    start: date, n: int, holidays: frozenset[date], weekend: frozenset[int]
) -> None:
    cal = calendar(holidays, weekend)
    end = cal.add_business_days(start, n)
    assert cal.is_business_day(end)
    assert end >= start
    assert cal.business_days_between(cal.roll_forward(start), end) == n


@given(near_days, st.integers(0, 30), st.integers(0, 30), holiday_sets)
def test_adding_business_days_composes(
    start: date, a: int, b: int, holidays: frozenset[date]
) -> None:
    cal = calendar(holidays, frozenset({5, 6}))
    assert cal.add_business_days(cal.add_business_days(start, a), b) == cal.add_business_days(
        start, a + b
    )


@given(near_days, st.integers(0, 40), holiday_sets)
def test_adding_business_days_is_monotonic(start: date, n: int, holidays: frozenset[date]) -> None:
    cal = calendar(holidays, frozenset({5, 6}))
    assert cal.add_business_days(start, n) < cal.add_business_days(start, n + 1)
    later = start + timedelta(days=1)
    assert cal.add_business_days(start, n) <= cal.add_business_days(later, n)


@settings(deadline=None)  # a first call builds the calendar: 0.5 s on a busy shared core
@given(near_days, near_days, near_days, holiday_sets)
def test_counting_is_additive_and_antisymmetric(
    a: date, b: date, c: date, holidays: frozenset[date]
) -> None:
    cal = calendar(holidays, frozenset({5, 6}))
    a, b, c = sorted((a, b, c))
    assert cal.business_days_between(a, c) == cal.business_days_between(
        a, b
    ) + cal.business_days_between(b, c)
    assert cal.business_days_between(c, a) == -cal.business_days_between(a, c)


@given(near_days, holiday_sets)
def test_holidays_only_push_dates_later(start: date, holidays: frozenset[date]) -> None:
    plain = BusinessCalendar()
    closed = calendar(holidays, frozenset({5, 6}))
    for n in (0, 1, 5, 20):
        assert closed.add_business_days(start, n) >= plain.add_business_days(start, n)


@given(days)
def test_no_weekend_and_no_holidays_is_plain_calendar_arithmetic(start: date) -> None:
    cal = BusinessCalendar(weekend=frozenset())
    assert cal.add_business_days(start, 10) == start + timedelta(days=10)


def test_friday_after_cut_off_example_skips_the_weekend_and_carnival() -> None:
    carnival = {date(2018, 2, 12), date(2018, 2, 13)}
    cal = BusinessCalendar(holiday_set(carnival))
    assert cal.next_business_day(date(2018, 2, 9)) == date(2018, 2, 14)
    assert cal.add_business_days(date(2018, 2, 10), 0) == date(2018, 2, 14)
    assert cal.business_days_between(date(2018, 2, 9), date(2018, 2, 16)) == 3


def test_any_of_merges_calendars() -> None:
    a = holiday_set({date(2018, 1, 2)})
    b = holiday_set({date(2018, 1, 3)})
    cal = BusinessCalendar(any_of(a, b))
    assert cal.add_business_days(date(2018, 1, 2), 0) == date(2018, 1, 4)


def test_a_calendar_that_never_opens_is_refused_not_looped() -> None:
    with pytest.raises(InvalidInput):
        BusinessCalendar(weekend=frozenset(range(7)))
    always_closed = BusinessCalendar(lambda _: True)
    with pytest.raises(InvalidInput):
        always_closed.roll_forward(date(2018, 1, 1))
    with pytest.raises(InvalidInput):
        BusinessCalendar().add_business_days(date(2018, 1, 1), -1)
