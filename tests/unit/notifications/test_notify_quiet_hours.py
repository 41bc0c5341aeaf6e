"""Quiet hours as properties: across DST gaps and folds, in many zones, for any window.

For any instant ``at`` and any window, ``next_send_time`` returns ``r`` with:
  * ``r >= at``, and ``r == at`` when ``at`` is outside quiet hours;
  * ``r`` itself outside quiet hours;
  * minimal: no instant in ``[at, r)`` is outside quiet hours (checked minute by minute and at
    the second before ``r``), so nothing waits longer than it must;
  * never more than a day and a bit away (two when a clock change swallows a day's whole
    open window, as Lord Howe's 30-minute spring-forward does to 02:00-02:15).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from postpurchase.domain.notifications import (
    QuietHours,
    first_instant_at_wall,
    in_quiet_hours,
    next_send_time,
)

ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Santiago",
    "Europe/Dublin",  # negative DST in tzdata
    "UTC",
]

instants = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
wall_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59]))
windows = st.builds(QuietHours, wall_times, wall_times)


def _check(at: datetime, zone_name: str, quiet: QuietHours) -> None:
    tz = ZoneInfo(zone_name)
    r = next_send_time(at, tz, quiet)
    assert r.tzinfo is not None
    assert r >= at
    assert not in_quiet_hours(r, tz, quiet), (at, r, zone_name, quiet)
    if not in_quiet_hours(at, tz, quiet):
        assert r == at
        return
    assert r - at <= timedelta(hours=50)
    step = at
    while step < r:
        assert in_quiet_hours(step, tz, quiet), f"{step} is outside quiet hours but before {r}"
        step += timedelta(minutes=1)
    assert in_quiet_hours(r - timedelta(seconds=1), tz, quiet)


@settings(max_examples=300, deadline=None)
@given(at=instants, zone_name=st.sampled_from(ZONES), quiet=windows)
# Clocks go forward inside the window (New York, 2026-03-08 02:00 -> 03:00)
@example(datetime(2026, 3, 8, 4, 30, tzinfo=UTC), "America/New_York", QuietHours(time(21), time(8)))
# The window ends inside the gap: 02:30 does not exist that night
@example(
    datetime(2026, 3, 8, 6, 0, tzinfo=UTC), "America/New_York", QuietHours(time(0), time(2, 30))
)
# Clocks go back: the window ends inside the repeated hour, we are in its second pass
@example(
    datetime(2026, 11, 1, 6, 15, tzinfo=UTC), "America/New_York", QuietHours(time(0), time(1, 30))
)
# A 30-minute DST shift
@example(
    datetime(2026, 10, 3, 15, 10, tzinfo=UTC),
    "Australia/Lord_Howe",
    QuietHours(time(1), time(2, 15)),
)
# The day's only open quarter hour (02:00-02:15) falls in Lord Howe's spring-forward gap
@example(
    datetime(2015, 10, 2, 16, 0, tzinfo=UTC),
    "Australia/Lord_Howe",
    QuietHours(time(2, 15), time(2, 0)),
)
# A window of almost a whole day around a gap
@example(
    datetime(2026, 3, 8, 6, 40, tzinfo=UTC),
    "America/New_York",
    QuietHours(time(2, 45), time(2, 30)),
)
def test_quiet_hours_are_respected_and_minimal(
    at: datetime, zone_name: str, quiet: QuietHours
) -> None:
    _check(at, zone_name, quiet)


def test_a_night_across_spring_forward_is_an_hour_shorter() -> None:
    ny = ZoneInfo("America/New_York")
    quiet = QuietHours(time(21), time(8))
    evening = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)  # 21:00 EST on the 7th
    r = next_send_time(evening, ny, quiet)
    assert r.astimezone(ny).hour == 8 and r - evening == timedelta(hours=10)


def test_the_end_of_a_window_inside_a_gap_is_the_end_of_the_gap() -> None:
    ny = ZoneInfo("America/New_York")
    instant = first_instant_at_wall(datetime(2026, 3, 8, 2, 30), ny)
    assert instant == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    both = [
        first_instant_at_wall(datetime(2026, 11, 1, 1, 30), ny),
        first_instant_at_wall(
            datetime(2026, 11, 1, 1, 30), ny, not_before=datetime(2026, 11, 1, 6, tzinfo=UTC)
        ),
    ]
    assert both == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    ]
