"""US ZIP codes tell a lane apart: the prefix gives the state, the state its capital, so the
rules layer's zone and the model's distance are known for US orders, not "unknown"."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.edd.geo import Precision, locate, normalise_postal_code, region_of
from postpurchase.domain.edd.geo_us import US_STATE_CAPITALS, US_ZIP3_RANGES, us_state_of
from postpurchase.domain.edd.rules import Zone, lane_of

MILITARY = {"AA", "AE", "AP"}


def test_the_prefix_ranges_are_sorted_apart_and_every_place_has_a_capital() -> None:
    for (_, high, _), (low, _, _) in pairwise(US_ZIP3_RANGES):
        assert high < low
    assert {s for _, _, s in US_ZIP3_RANGES} - MILITARY <= set(US_STATE_CAPITALS)
    assert len(set(US_STATE_CAPITALS) - {"DC", "PR", "VI", "GU"}) == 50


@given(st.integers(0, 99_999))
def test_a_zip_code_lies_in_the_range_of_its_state_or_in_none(number: int) -> None:
    code = f"{number:05d}"
    state = us_state_of(code)
    covering = [s for low, high, s in US_ZIP3_RANGES if low <= number // 100 <= high]
    assert covering == ([state] if state is not None else [])


def test_known_zip_codes_and_the_leading_zero_spreadsheets_drop() -> None:
    assert us_state_of("43215") == "OH"
    assert us_state_of("90210") == "CA"
    assert us_state_of("10001") == "NY"
    assert us_state_of("99501") == "AK"
    assert us_state_of("432151234") == "OH"  # ZIP+4
    assert normalise_postal_code("US", "2134") == "02134"
    assert normalise_postal_code("US", "43215-1234") == "432151234"
    assert normalise_postal_code("US", "432") is None  # too short to be a ZIP code
    assert region_of("US", "2134", None) == "MA"
    assert region_of("US", "21301", "md") == "MD"  # 213 unassigned: the given region stands
    assert region_of("US", "43215", "CA") == "OH"  # the ZIP code decides, as a CEP does


def test_a_zip_code_is_located_at_its_state_capital_and_says_so() -> None:
    point = locate("US", "94105", None)
    assert point is not None and point.precision is Precision.REGION
    assert (point.lat, point.lon) == US_STATE_CAPITALS["CA"]
    assert locate("US", "09001", None) is None  # military mail: a code, no place


def test_lanes_from_ohio_get_zones_by_distance() -> None:
    columbus = Address(country="US", postal_code="43215")

    def zone(to: str) -> Zone:
        return lane_of(columbus, Address(country="US", postal_code=to)).zone

    assert zone("43230") is Zone.LOCAL  # same sectional centre
    assert zone("44114") is Zone.REGIONAL  # Cleveland, same state
    assert zone("46204") is Zone.NEAR  # Indianapolis
    assert zone("33101") is Zone.MID  # Miami (Tallahassee, as the state's point)
    assert zone("94105") is Zone.FAR  # San Francisco
    far = lane_of(columbus, Address(country="US", postal_code="09001"))
    assert far.zone is Zone.NATIONAL and far.reason == "postal code not located"
