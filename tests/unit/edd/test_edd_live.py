"""Live layer: re-estimating from scan state."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.adapters.edd.engine_parts import EngineConfig
from postpurchase.domain.edd.calendar import BusinessCalendar
from postpurchase.domain.edd.live import LiveInputs, TransitQuantiles, live_estimate
from postpurchase.domain.edd.types import Estimate, Layer
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import Location, TrackingState

SP = ZoneInfo("America/Sao_Paulo")
TRANSIT = TransitQuantiles.from_values([0.0, 0.1, 0.5, 0.9, 0.95, 1.0], [1, 3, 6, 12, 16, 30], "m1")
INPUTS = LiveInputs(TRANSIT, 0.95, BusinessCalendar(), destination_region="RJ")
HANDED = datetime(2018, 2, 5, 15, 0, tzinfo=SP)  # Monday


def in_transit(**kw: object) -> TrackingState:
    base: dict[str, object] = {
        "status": ShipmentStatus.IN_TRANSIT,
        "handed_over_at": HANDED,
        "last_event_at": HANDED,
    }
    base.update(kw)
    return TrackingState(**base)  # type: ignore[arg-type]


def test_at_hand_over_dates_are_the_transit_quantiles() -> None:
    est = live_estimate(in_transit(), HANDED, INPUTS)
    assert est.layer is Layer.LIVE and est.model == "live/m1"
    assert est.p50 == date(2018, 2, 11)
    assert est.promise == date(2018, 2, 21)
    assert est.reason is None


def test_a_parcel_running_late_gets_a_later_date_but_never_one_in_the_past() -> None:
    now = HANDED + timedelta(days=10)
    est = live_estimate(in_transit(), now, INPUTS)
    fresh = live_estimate(in_transit(), HANDED, INPUTS)
    assert est.p50 > fresh.p50
    assert est.p10 >= now.date()
    assert est.promise >= est.p90 >= est.p50


@given(st.floats(0, 40))
def test_conditioning_on_elapsed_time_only_moves_quantiles_later(elapsed: float) -> None:
    cond = TRANSIT.conditional(elapsed)
    for p in (0.1, 0.5, 0.9, 0.95):
        assert cond.quantile(p) >= TRANSIT.quantile(p) - 1e-9
        assert cond.quantile(p) >= min(elapsed, TRANSIT.quantile(1.0)) - 1e-9


@given(st.floats(0, 1), st.floats(0, 1))
def test_quantile_function_is_monotonic_and_inverts_the_cdf(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert TRANSIT.quantile(lo) <= TRANSIT.quantile(hi)
    assert abs(TRANSIT.cdf(TRANSIT.quantile(0.5)) - 0.5) < 1e-9


def test_crossing_quantiles_from_a_model_are_repaired() -> None:
    q = TransitQuantiles.from_values([0.9, 0.1, 0.5], [7.0, 3.0, 2.0], "m")
    assert [d for _, d in q.points] == [3.0, 3.0, 7.0]


def test_final_and_near_final_statuses() -> None:
    now = datetime(2018, 2, 9, 9, 0, tzinfo=SP)  # Friday
    delivered = TrackingState(
        status=ShipmentStatus.DELIVERED, delivered_at=now, handed_over_at=HANDED
    )
    assert live_estimate(delivered, now + timedelta(days=3), INPUTS).promise == date(2018, 2, 9)
    ofd = live_estimate(in_transit(status=ShipmentStatus.OUT_FOR_DELIVERY), now, INPUTS)
    assert (ofd.p50, ofd.promise) == (date(2018, 2, 9), date(2018, 2, 12))
    failed = live_estimate(in_transit(status=ShipmentStatus.ATTEMPT_FAILED), now, INPUTS)
    assert (failed.p50, failed.promise) == (date(2018, 2, 12), date(2018, 2, 13))


def test_before_hand_over_the_purchase_estimate_is_a_floor() -> None:
    d = date(2018, 3, 1)
    purchase = Estimate(d, d, d, date(2018, 3, 5), 0.95, Layer.LEARNED, "gbm")
    est = live_estimate(TrackingState(), HANDED, INPUTS, purchase)
    assert est.p50 >= d and est.promise >= date(2018, 3, 5)
    assert est.reason == "not handed to the carrier yet"


def test_a_scan_in_the_destination_region_caps_the_dates_with_the_last_leg() -> None:
    leg = TransitQuantiles.from_values([0.0, 0.5, 0.95], [0, 1, 3], "leg")
    inputs = LiveInputs(TRANSIT, 0.95, BusinessCalendar(), "RJ", local_leg=leg)
    scan = HANDED + timedelta(days=1)
    state = in_transit(last_location=Location(region="RJ"), last_event_at=scan)
    est = live_estimate(state, scan, inputs)
    assert est.promise <= date(2018, 2, 9)
    assert est.model.endswith("+last-leg")


def test_exceptions_carry_a_reason() -> None:
    lost = live_estimate(
        in_transit(status=ShipmentStatus.EXCEPTION, substatus=Substatus.LOST), HANDED, INPUTS
    )
    assert lost.reason is not None and "not expected" in lost.reason
    weather = live_estimate(
        in_transit(status=ShipmentStatus.EXCEPTION, substatus=Substatus.WEATHER), HANDED, INPUTS
    )
    assert weather.reason is not None and "weather" in weather.reason


@given(
    st.lists(st.floats(0, 60), min_size=5, max_size=5).map(sorted),
    st.floats(0, 30),
)
def test_a_rounded_p50_is_the_nearest_day_and_moves_nothing_else(
    days: list[float], elapsed: float
) -> None:
    """``round_p50`` only moves the P50, by at most a day earlier than rounding up, and
    the dates stay ordered (p10 <= p50 <= p90 <= promise) and never before today."""
    transit = TransitQuantiles.from_values([0.0, 0.1, 0.5, 0.9, 0.95, 1.0], [0, *days], "m")
    up = LiveInputs(transit, 0.95, BusinessCalendar())
    near = LiveInputs(transit, 0.95, BusinessCalendar(), round_p50=True)
    now = HANDED + timedelta(days=elapsed)
    a = live_estimate(in_transit(), now, up)
    b = live_estimate(in_transit(), now, near)
    assert (b.p90, b.promise) == (a.p90, a.promise)
    assert a.p50 - timedelta(days=1) <= b.p50 <= a.p50
    assert b.p10 <= b.p50 <= b.p90 <= b.promise
    assert b.p50 >= now.date()


def test_a_rounded_p50_at_hand_over() -> None:
    """6.0 days is 6 days either way; 5.4 days is 6 rounded up and 5 to the nearest day."""
    near = LiveInputs(TRANSIT, 0.95, BusinessCalendar(), round_p50=True)
    assert live_estimate(in_transit(), HANDED, near).p50 == date(2018, 2, 11)
    skewed = TransitQuantiles.from_values([0.0, 0.5, 1.0], [0, 5.4, 30], "m")
    midnight = HANDED.replace(hour=0)  # nothing elapsed yet: the unconditioned median
    state = in_transit(handed_over_at=midnight)
    up = live_estimate(state, midnight, LiveInputs(skewed, 0.95, BusinessCalendar()))
    down = live_estimate(
        state, midnight, LiveInputs(skewed, 0.95, BusinessCalendar(), round_p50=True)
    )
    assert (up.p50, down.p50) == (date(2018, 2, 11), date(2018, 2, 10))


def test_models_saved_before_the_rounded_live_p50_keep_rounding_it_up() -> None:
    old = EngineConfig().to_dict()
    del old["live_p50_rounding"]
    assert EngineConfig.from_dict(old).live_p50_rounding == "ceil"
    assert EngineConfig().live_p50_rounding == "round"
    assert EngineConfig.from_dict(EngineConfig().to_dict()) == EngineConfig()
