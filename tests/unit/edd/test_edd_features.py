"""Order-time facts and history features: reasons for unknowns, decay, no future leakage."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from postpurchase.adapters.edd.features import EXTRA_KEYS, FeatureSpace, facts_of, local_day_number
from postpurchase.adapters.edd.history import History, Outcome, outcome_of
from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.domain.addresses import Address
from postpurchase.domain.edd.types import EstimateRequest

T0 = datetime(2018, 1, 8, 10, 0, tzinfo=SAO_PAULO)


def request(**kw: object) -> EstimateRequest:
    base: dict[str, object] = {
        "destination": Address("BR", "20231", "RJ"),
        "origin": Address("BR", "13023", "SP"),
        "origin_id": "seller-1",
        "ordered_at": T0,
        "weight_grams": 500.0,
        "extras": {"freight_value": 12.5},
    }
    base.update(kw)
    return EstimateRequest(**base)  # type: ignore[arg-type]


def test_facts_capture_lane_distance_and_extras() -> None:
    f = facts_of(request())
    assert (f.origin_region, f.dest_region, f.lane) == ("SP", "RJ", "SP>RJ")
    assert 300 < f.distance_km < 400
    assert f.dest_capital == 1.0 and f.origin_capital == 0.0
    assert f.extras[EXTRA_KEYS.index("freight_value")] == 12.5
    assert math.isnan(f.extras[EXTRA_KEYS.index("order_value")])
    assert f.reasons == ()


def test_unknowns_become_nan_with_reasons_never_guesses() -> None:
    f = facts_of(
        request(
            destination=Address("BR", "??", None),
            origin=None,
            weight_grams=None,
            ordered_at=datetime(2018, 1, 8, 10, 0),
        )
    )
    assert math.isnan(f.distance_km) and math.isnan(f.weight_grams)
    assert f.dest_zip3 is None
    joined = "; ".join(f.reasons)
    for words in ("postal code unknown", "origin unknown", "weight unknown", "time zone"):
        assert words in joined
    row = FeatureSpace().order_row(f)
    assert len(row) == len(FeatureSpace().purchase_names) - 20


def test_unknown_region_gets_no_category_code() -> None:
    space = FeatureSpace(("RJ", "SP"))
    f = facts_of(request(destination=Address("PT", "1000", "LX")))
    row = space.order_row(f)
    assert math.isnan(row[space.purchase_names.index("dest_region")])
    assert row[space.purchase_names.index("origin_region")] == 1.0


def record(
    delivered_days: float, handed_days: float = 1.0, **kw: object
) -> DeliveredShipmentRecord:
    base: dict[str, object] = {
        "record_id": "r1",
        "ordered_at": T0,
        "delivered_at": T0 + timedelta(days=delivered_days),
        "handed_over_at": T0 + timedelta(days=handed_days),
        "destination_country": "BR",
        "destination_postal_code": "20231",
        "destination_region": "RJ",
        "origin_country": "BR",
        "origin_postal_code": "13023",
        "origin_region": "SP",
        "origin_id": "seller-1",
    }
    base.update(kw)
    return DeliveredShipmentRecord(**base)  # type: ignore[arg-type]


def test_outcomes_are_calendar_days_in_sao_paulo_time() -> None:
    o = outcome_of(record(10.6, 2.5))
    assert o.total_days == 11.0  # 10:00 + 10.6 days = the 11th day after
    assert abs(o.handling_days - 2.5) < 1e-9
    assert o.transit_days == 9.0
    assert math.isnan(outcome_of(record(5, handed_days=1, handed_over_at=None)).transit_days)


def test_history_features_move_with_observed_deliveries_and_decay() -> None:
    h = History()
    f = facts_of(request())
    now = local_day_number(T0)
    empty = h.features(f, now)
    for i in range(30):
        h.observe(f, Outcome(25.0, 3.0, 22.0), T0 + timedelta(days=i / 10))
    later = local_day_number(T0 + timedelta(days=3))
    full = h.features(f, later)
    lane_days = full[10]
    assert lane_days > empty[10] + 5  # the lane looks slow now
    far_future = h.features(f, later + 2000)
    assert abs(far_future[10] - lane_days) < 1e-9 or far_future[10] < lane_days
    # a group without data falls back to its parent instead of inventing a number
    other = facts_of(request(destination=Address("BR", "69005", "AM")))
    assert not math.isnan(h.features(other, later)[10])


def test_transit_means_ignore_deliveries_without_hand_over() -> None:
    h = History()
    f = facts_of(request())
    h.observe(f, Outcome(10.0, math.nan, math.nan), T0)
    h.observe(f, Outcome(10.0, 2.0, 8.0), T0)
    feats = h.features(f, local_day_number(T0) + 1)
    names = [
        "all_days",
        "all_days_recent",
        "all_transit_recent",
        "all_handling_recent",
    ]
    transit_recent = feats[names.index("all_transit_recent")]
    assert 8.0 <= transit_recent <= 9.0  # pulled towards 8 (the one known), not towards 0


def test_network_backlog_counts_open_orders_and_stops_when_nobody_feeds_it() -> None:
    h = History()
    # 40 orders a day for 40 days; those placed in the last 20 days are delivered on day 8
    # only for half of them: a slowdown the delivered-only means cannot see yet.
    start = T0 - timedelta(days=40)
    for day in range(40):
        placed = start + timedelta(days=day)
        for i in range(40):
            f = facts_of(request(ordered_at=placed))
            h.note_order(f)
            delivered = placed + timedelta(days=8)
            if delivered < T0 and (day < 20 or i % 2 == 0):
                h.observe(f, Outcome(8.0, 1.0, 7.0), delivered)
    now = local_day_number(T0)
    open_5_14, open_15_30, volume, days_week, transit_week = h.network_features(now)
    assert 0.55 < open_5_14 <= 1.0  # half never delivered, the youngest not due yet
    assert 0.0 < open_15_30 < 0.5
    assert abs(volume - 1.0) < 1e-9  # as many orders last week as the four before
    assert days_week == 8.0 and transit_week == 7.0
    # a month later with nothing observed since: as of the day after the last delivery
    assert h.network_features(now + 30) == h.network_features(now)
    empty = History().network_features(now)
    assert all(math.isnan(v) for v in empty)  # too few orders: no number invented
    space = FeatureSpace(network=True)
    assert len(space.purchase_row(facts_of(request()), h, now)) == len(space.purchase_names)
