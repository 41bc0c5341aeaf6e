"""The per-shipment facts, the histogram percentile, query checks and promise accuracy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.kpis import (
    Cohort,
    DeliveryCounts,
    KpiQuery,
    ShipmentRecord,
    ShownPromise,
    accuracy,
    bucket_start,
    default_range,
    per_hundred,
    quantile,
    quantile_from_histogram,
    shipment_facts,
)

BERLIN = ZoneInfo("Europe/Berlin")
PLACED = datetime(2026, 3, 27, 10, tzinfo=UTC)


def record(**kw: object) -> ShipmentRecord:
    base: dict[str, object] = {
        "placed_at": PLACED,
        "created_at": PLACED + timedelta(hours=20),
        "handed_over_at": PLACED + timedelta(hours=26),
        "first_scan_at": PLACED + timedelta(hours=26),
        "status": "delivered",
        "zone": BERLIN,
        "store_promise": date(2026, 3, 31),
        "carrier": "dhl",
        "service": "paket",
        "origin_region": "DE-BE",
        "destination_region": "DE-BY",
    }
    base.update(kw)
    return ShipmentRecord(**base)  # type: ignore[arg-type]


def test_the_split_adds_up_to_click_to_door() -> None:
    delivered = PLACED + timedelta(hours=80)
    f = shipment_facts(record(delivered_at=delivered))
    assert (f.processing_hours, f.pickup_wait_hours, f.transit_hours) == (20, 6, 54)
    assert f.click_to_door_hours == 80 == f.processing_hours + f.pickup_wait_hours + f.transit_hours
    assert f.first_scan_hours == 6
    assert f.lane == "DE-BE>DE-BY" and f.cohort is Cohort.ON_TIME and f.final


def test_on_time_is_judged_by_the_local_calendar() -> None:
    # 23:30 in Berlin on the promised day is 21:30 UTC (summer time began 29 March).
    last_minute = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)
    assert shipment_facts(record(delivered_at=last_minute)).on_time_promise
    past_midnight = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 April in Berlin
    late = shipment_facts(record(delivered_at=past_midnight))
    assert late.promise_judged and not late.on_time_promise and late.days_late == 1
    assert late.cohort is Cohort.LATE


def test_the_original_promise_is_the_stores_else_ours() -> None:
    at = datetime(2026, 4, 2, 9, tzinfo=UTC)
    f = shipment_facts(record(delivered_at=at, store_promise=None, our_promise=date(2026, 4, 3)))
    assert f.promise_judged and f.on_time_promise and f.ours_judged and f.on_time_ours
    both = shipment_facts(record(delivered_at=at, our_promise=date(2026, 4, 3)))
    assert not both.on_time_promise and both.on_time_ours  # store said 31 March


def test_exceptions_trump_punctuality_and_undelivered_has_no_cohort() -> None:
    at = PLACED + timedelta(hours=40)
    assert (
        shipment_facts(record(delivered_at=at, had_failed_attempt=True)).cohort is Cohort.EXCEPTION
    )
    moving = shipment_facts(record(status="in_transit", delivered_at=None))
    assert moving.cohort is None and not moving.delivered and not moving.final
    assert moving.click_to_door_hours is None and moving.transit_hours is None
    assert not moving.promise_judged


def test_time_running_backwards_is_unknown_not_negative() -> None:
    f = shipment_facts(record(created_at=PLACED - timedelta(hours=1), delivered_at=None))
    assert f.processing_hours is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        record(placed_at=datetime(2026, 3, 27, 10))
    assert err.value.field == "placed_at"


def test_counts_add_and_rates_are_none_with_nothing_to_measure() -> None:
    empty = DeliveryCounts().kpis()
    assert empty["on_time_rate"] is None and empty["mean_transit_days"] is None
    a = DeliveryCounts(shipments=2, delivered=1, promise_judged=1, on_time_promise=1)
    b = DeliveryCounts(shipments=1, delivered=1, promise_judged=1)
    assert (a + b).kpis()["on_time_rate"] == 0.5 and (a + b).shipments == 3
    assert per_hundred(3, 200) == 1.5 and per_hundred(0, 0) is None


@given(st.lists(st.floats(min_value=0, max_value=2000, allow_nan=False), min_size=1, max_size=300),
       st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))  # fmt: skip
def test_histogram_percentile_is_within_one_bucket_of_the_exact_one(
    values: list[float], q: float
) -> None:
    buckets: dict[int, int] = {}
    for v in values:
        buckets[int(v)] = buckets.get(int(v), 0) + 1
    approx = quantile_from_histogram(buckets, q, 1.0)
    exact = quantile(values, q)
    assert approx is not None and exact is not None
    assert abs(approx - exact) <= 1.0 + 1e-9


def test_histogram_percentile_edges() -> None:
    assert quantile_from_histogram({}, 0.5, 1.0) is None
    assert quantile_from_histogram({10: 4}, 0.5, 1.0) == 10.5
    assert quantile_from_histogram({0: 1, 10: 1}, 0.5, 1.0) == 5.5  # between the two
    with pytest.raises(ValueError):
        quantile_from_histogram({1: 1}, 1.5, 1.0)


def test_queries_are_checked_before_any_sql() -> None:
    KpiQuery(date(2026, 1, 1), date(2026, 12, 31), "ups", "ground", "US-CA>US-NY", "week")
    bad = [
        ({"start": date(2026, 2, 1), "end": date(2026, 1, 1)}, "to"),
        ({"start": date(2020, 1, 1), "end": date(2026, 1, 1)}, "to"),
        ({"carrier": "u p s"}, "carrier"),
        ({"lane": "California to NY"}, "lane"),
        ({"interval": "hour"}, "interval"),
    ]
    for kw, field in bad:
        args: dict[str, object] = {"start": date(2026, 1, 1), "end": date(2026, 1, 31), **kw}
        with pytest.raises(InvalidInput) as err:
            KpiQuery(**args)  # type: ignore[arg-type]
        assert err.value.field == field


def test_default_ranges_and_buckets() -> None:
    today = date(2026, 12, 7)
    assert default_range(today, None, None) == (date(2026, 9, 9), today)
    assert default_range(today, date(2026, 12, 1), None) == (date(2026, 12, 1), today)
    assert default_range(today, None, date(2026, 3, 31))[0] == date(2026, 1, 1)
    assert bucket_start(date(2026, 12, 10), "week") == date(2026, 12, 7)
    assert bucket_start(date(2026, 12, 10), "month") == date(2026, 12, 1)


def test_promise_accuracy_within_bias_and_drift() -> None:
    shown = [
        ShownPromise(latest=date(2026, 5, 10), delivered_on=date(2026, 5, 9),
                     final_latest=date(2026, 5, 10)),
        ShownPromise(latest=date(2026, 5, 10), delivered_on=date(2026, 5, 13),
                     final_latest=date(2026, 5, 12)),
        ShownPromise(latest=date(2026, 5, 10), earliest=date(2026, 5, 8),
                     delivered_on=date(2026, 5, 6)),
        ShownPromise(latest=date(2026, 5, 10), delivered_on=None),
    ]  # fmt: skip
    a = accuracy(shown)
    assert (a.shown, a.delivered, a.within, a.late, a.early) == (4, 3, 1, 1, 1)
    assert a.within_rate == pytest.approx(1 / 3)
    assert a.mean_bias_days == pytest.approx((-1 + 3 - 4) / 3)
    assert a.mean_drift_days == 1.0 and a.moved_rate == 0.5
