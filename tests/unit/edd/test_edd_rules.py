"""Rules layer: lanes, cut-off and handling, transit tables, fallbacks with reasons."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.edd import geo
from postpurchase.domain.edd.calendar import BusinessCalendar, holiday_set
from postpurchase.domain.edd.rules import (
    DEFAULT_TABLE,
    TransitDays,
    TransitTable,
    Zone,
    lane_of,
    rules_estimate,
)
from postpurchase.domain.edd.types import Estimate, EstimateRequest, Layer
from postpurchase.domain.errors import InvalidInput

SP = ZoneInfo("America/Sao_Paulo")
SAO_PAULO = Address("BR", "01310-100")
CAMPINAS = Address("BR", "13023")
RIO = Address("BR", "20231")
MANAUS = Address("BR", "69005")


def request(**kw: object) -> EstimateRequest:
    base: dict[str, object] = {
        "destination": RIO,
        "origin": SAO_PAULO,
        "ordered_at": datetime(2018, 2, 7, 10, 0, tzinfo=SP),  # a Wednesday
        "handling_days": 1,
    }
    base.update(kw)
    return EstimateRequest(**base)  # type: ignore[arg-type]


def test_cep_ranges_cover_states_and_capitals() -> None:
    assert geo.br_state_of("01310-100") == "SP"
    assert geo.br_state_of("1310") == "SP"  # leading zero lost by a spreadsheet
    assert geo.br_state_of("69301") == "RR"
    assert geo.br_state_of("70040") == "DF"
    assert geo.br_state_of("abc") is None
    assert geo.br_is_capital("20231") is True
    assert geo.br_is_capital("13023") is False
    assert geo.br_is_capital(None) is None


def test_lanes_get_zones_from_postal_codes_and_distance() -> None:
    assert lane_of(SAO_PAULO, Address("BR", "01452")).zone is Zone.REGIONAL
    assert lane_of(SAO_PAULO, Address("BR", "01399")).zone is Zone.LOCAL
    near = lane_of(SAO_PAULO, RIO)
    assert near.zone is Zone.NEAR and near.distance_km is not None
    assert 300 < near.distance_km < 400
    assert lane_of(SAO_PAULO, MANAUS).zone is Zone.FAR
    assert lane_of(SAO_PAULO, Address("PT", "1000-001")).zone is Zone.INTERNATIONAL


def test_unknown_ends_fall_back_to_a_wider_zone_with_a_reason() -> None:
    unknown = lane_of(Address("DE", "10115"), Address("DE", "80331"))
    assert unknown.zone is Zone.NATIONAL and unknown.reason == "postal code not located"
    no_origin = lane_of(None, RIO)
    assert no_origin.zone is Zone.NATIONAL and no_origin.reason == "origin unknown"


def test_before_cut_off_ships_after_handling_days_and_transit_counts_business_days() -> None:
    est = rules_estimate(request())
    # Wed 7 Feb + 1 handling day = Thu 8 Feb; NEAR transit (3, 6, 12) business days.
    assert est.p10 == date(2018, 2, 13)
    assert est.p50 == date(2018, 2, 16)
    assert est.p90 == date(2018, 2, 26)
    assert est.promise >= est.p90
    assert est.layer is Layer.RULES and est.model == "rules/default"
    assert est.reason is None


def test_after_cut_off_and_holidays_push_everything_later() -> None:
    before = rules_estimate(request())
    late = rules_estimate(request(ordered_at=datetime(2018, 2, 7, 18, 0, tzinfo=SP)))
    assert late.p50 > before.p50
    carnival = BusinessCalendar(holiday_set({date(2018, 2, 12), date(2018, 2, 13)}))
    closed = rules_estimate(request(), destination_calendar=carnival)
    assert closed.p50 == date(2018, 2, 20)


def test_a_naive_order_time_is_treated_as_late_and_says_so() -> None:
    est = rules_estimate(request(ordered_at=datetime(2018, 2, 7, 10, 0)))
    assert est.reason is not None and "time zone" in est.reason
    assert est.p50 == rules_estimate(request(ordered_at=datetime(2018, 2, 7, 18, 0, tzinfo=SP))).p50


def test_unknown_postal_code_is_a_stated_fallback_not_a_crash() -> None:
    est = rules_estimate(request(destination=Address("BR", "XXXXX")), reason="no history")
    assert est.reason is not None
    assert "no history" in est.reason and "not located" in est.reason


def test_carrier_specific_entries_win_over_wildcards() -> None:
    table = TransitTable(
        {
            ("correios", "sedex", Zone.NEAR): TransitDays(1, 1, 2),
            ("*", "*", Zone.NEAR): TransitDays(5, 9, 20),
        },
        name="test",
    )
    assert table.lookup("Correios", "SEDEX", Zone.NEAR) == TransitDays(1, 1, 2)
    assert table.lookup("other", None, Zone.NEAR) == TransitDays(5, 9, 20)
    assert table.lookup("other", None, Zone.FAR) == DEFAULT_TABLE.lookup(None, None, Zone.FAR)
    assert (
        DEFAULT_TABLE.lookup(None, "express", Zone.FAR).typical
        < DEFAULT_TABLE.lookup(None, None, Zone.FAR).typical
    )


@given(st.floats(0.5, 0.999))
def test_the_promise_grows_with_confidence_and_never_precedes_the_p50(conf: float) -> None:
    t = TransitDays(3, 6, 12)
    assert t.at(conf) >= t.typical
    assert t.at(min(0.999, conf + 0.05)) >= t.at(conf)
    assert t.at(0.9) == 12


def test_types_refuse_nonsense() -> None:
    with pytest.raises(InvalidInput):
        request(confidence=1.2)
    with pytest.raises(InvalidInput):
        request(weight_grams=float("nan"))
    with pytest.raises(InvalidInput):
        TransitDays(5, 3, 9)
    d = date(2018, 1, 10)
    with pytest.raises(InvalidInput):
        Estimate(d, d, d, date(2018, 1, 9), 0.95, Layer.RULES, "x")
    est = Estimate(d, d, d, d, 0.95, Layer.RULES, "x").with_reason("a").with_reason("b")
    assert est.reason == "a; b" and est.is_fallback
    assert est.as_dict()["promise"] == "2018-01-10"


def test_cut_off_respects_configured_time() -> None:
    early_cut = rules_estimate(request(cutoff=time(9, 0)))
    assert early_cut.p50 > rules_estimate(request()).p50
