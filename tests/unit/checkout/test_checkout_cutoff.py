"""The cut-off, the countdown and the hand-over they decide: across daylight-saving
changes, weekends and public holidays (the ``holidays`` package, as the engine uses it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from postpurchase.adapters.edd.calendars import business_calendar
from postpurchase.domain.addresses import Address
from postpurchase.domain.checkout.cutoff import countdown, local_cutoff, next_cutoff
from postpurchase.domain.edd.calendar import BusinessCalendar, holiday_set
from postpurchase.domain.edd.rules import hand_over_date
from postpurchase.domain.edd.types import EstimateRequest
from postpurchase.entrypoints.api.checkout_text import Texts, babel_locale, countdown_text
from postpurchase.service_layer.checkout.estimates import JUST_BEFORE

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
WEEKDAYS = BusinessCalendar()


def test_before_the_cut_off_it_is_today_after_it_the_next_business_day() -> None:
    wed_morning = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # 10:00 in New York
    assert next_cutoff(wed_morning, time(14), NY, WEEKDAYS) == datetime(2026, 12, 9, 19, tzinfo=UTC)
    wed_evening = datetime(2026, 12, 9, 19, 0, tzinfo=UTC)  # 14:00 sharp: missed
    assert next_cutoff(wed_evening, time(14), NY, WEEKDAYS) == datetime(
        2026, 12, 10, 19, tzinfo=UTC
    )
    fri_evening = datetime(2026, 12, 11, 22, 0, tzinfo=UTC)
    assert next_cutoff(fri_evening, time(14), NY, WEEKDAYS) == datetime(
        2026, 12, 14, 19, tzinfo=UTC
    )


def test_a_public_holiday_is_not_a_cut_off_day() -> None:
    us = business_calendar("US")
    christmas_eve = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)  # Thu 15:00 in New York
    # Fri 25 Dec is Christmas: the next cut-off is Monday 28th.
    assert next_cutoff(christmas_eve, time(14), NY, us) == datetime(2026, 12, 28, 19, tzinfo=UTC)


def test_countdown_across_spring_forward_counts_real_hours() -> None:
    # 8 March 2026, clocks in New York jump from 02:00 to 03:00. From 01:00 EST (06:00 UTC)
    # a Monday 14:00 cut-off... Sunday is no business day, so use a calendar with Sundays.
    all_days = BusinessCalendar(weekend=frozenset({5}))
    now = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST
    at = next_cutoff(now, time(14), NY, all_days)
    assert at.astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 8, 14, 0)
    left = countdown(now, at)
    assert (left.hours, left.minutes) == (12, 0)  # not 13: an hour of the night vanished
    assert countdown_text(babel_locale("en"), left) == "12 hr"


def test_countdown_across_fall_back_counts_the_repeated_hour() -> None:
    all_days = BusinessCalendar(weekend=frozenset())
    now = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST in London
    at = next_cutoff(now, time(14), LONDON, all_days)
    assert at == datetime(2026, 10, 25, 14, 0, tzinfo=UTC)  # 14:00 GMT
    assert countdown(now, at).hours == 13  # 01:30 -> 14:00 on the wall, plus the extra hour


def test_a_cut_off_in_the_skipped_hour_is_read_early() -> None:
    gap = local_cutoff(date(2026, 3, 8), time(2, 30), NY)
    assert gap <= datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # no later than 03:00 EDT


def test_texts_in_the_shoppers_locale_and_clock() -> None:
    cutoff_at = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)
    now = cutoff_at - timedelta(hours=3, minutes=12)
    fields = Texts("en-GB", babel_locale("en-GB")).fields(
        promise=date(2026, 12, 10), earliest=date(2026, 12, 9), latest=date(2026, 12, 11),
        p50=date(2026, 12, 10), cutoff_at=cutoff_at, left=countdown(now, cutoff_at), tz=LONDON,
    )  # fmt: skip
    assert fields["countdown"] == "Order within 3 hrs, 12 mins to get it by Thu 10 Dec"
    assert fields["cutoff_time"] == "19:00"
    de = Texts("de-DE", babel_locale("de-DE")).fields(
        promise=date(2026, 12, 10), earliest=date(2026, 12, 9), latest=date(2026, 12, 11),
        p50=date(2026, 12, 10), cutoff_at=cutoff_at, left=countdown(now, cutoff_at),
        tz=ZoneInfo("Europe/Berlin"),
    )  # fmt: skip
    assert (
        de["countdown"]
        == "Bestellen Sie innerhalb von 3 Std., 12 Min., Lieferung bis Do., 10. Dez."
    )
    assert de["cutoff_time"] == "20:00"
    # A weekend countdown counts days; a language we have no messages for keeps its dates.
    left = countdown(now, cutoff_at + timedelta(days=2))
    assert countdown_text(babel_locale("en"), left) == "2 days, 3 hr"
    assert Texts("ja", babel_locale("ja")).fields(
        promise=date(2026, 12, 10), earliest=date(2026, 12, 10), latest=date(2026, 12, 10),
        p50=date(2026, 12, 10), cutoff_at=cutoff_at, left=left, tz=ZoneInfo("Asia/Tokyo"),
    )["promise_day"] == "12月10日(木)"  # fmt: skip


ZONES = st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe",
                         "America/Sao_Paulo", "Asia/Kolkata", "Pacific/Chatham"])  # fmt: skip
HOLIDAYS = st.sets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=30)


@given(
    now=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 1), timezones=st.just(UTC)),
    zone=ZONES,
    cutoff=st.times(),
    closed=HOLIDAYS,
    handling=st.integers(0, 5),
)
@example(now=datetime(2026, 3, 8, 6, 30, tzinfo=UTC), zone="America/New_York",
         cutoff=time(2, 30), closed=set(), handling=1)  # fmt: skip
def test_the_next_cut_off_decides_the_hand_over(
    now: datetime, zone: str, cutoff: time, closed: set[date], handling: int
) -> None:
    """Properties: the cut-off is in the future, on a business day, and no business day's
    cut-off comes before it; the rules layer hands over on the cut-off's day (plus handling
    days) for an order placed now, so every order until the cut-off shares its dates."""
    tz = ZoneInfo(zone)
    cal = BusinessCalendar(holiday_set(closed))
    at = next_cutoff(now, cutoff, tz, cal)
    assert at > now
    day = at.astimezone(tz).date()
    assert cal.is_business_day(day)
    assert local_cutoff(day, cutoff, tz) == at
    d = now.astimezone(tz).date()
    while d < day:
        assert not (cal.is_business_day(d) and local_cutoff(d, cutoff, tz) > now)
        d += timedelta(days=1)
    # The service dates every order of the window as placed just before the cut-off.
    request = EstimateRequest(
        destination=Address("US"), ordered_at=(at - JUST_BEFORE).astimezone(tz), cutoff=cutoff,
        handling_days=handling,
    )  # fmt: skip
    hand_over, _ = hand_over_date(request.ordered_at, request, cal)
    assert hand_over == cal.add_business_days(day, handling)
