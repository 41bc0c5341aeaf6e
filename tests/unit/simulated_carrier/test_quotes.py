"""The simulated carriers' promises and rules: transit time by distance, holidays, the
pickup cut-off, customs, which carriers pick up in a country, and their tracking numbers."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from postpurchase.adapters.carriers.simulated import (
    CARRIER_SERVICES,
    SimParcel,
    carriers_for,
    plan,
    quote,
    tracking_number,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.carrier_detection import detect
from postpurchase.domain.status import Substatus
from tests.unit.simulated_carrier.parcels import NEW_YORK, NYC, at, local_day, us


def ground(shipped: datetime, dest: Address, carrier: str = "ups") -> date:
    return quote(NYC, dest, carrier, "ground", shipped)


def test_transit_time_grows_with_distance() -> None:
    shipped = datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK)  # a Monday
    by_distance = [
        us("10010"),  # New York
        us("19104"),  # Philadelphia
        us("60601"),  # Chicago
        us("80202"),  # Denver
        us("90012"),  # Los Angeles
    ]
    days = [(ground(shipped, d) - shipped.date()).days for d in by_distance]
    assert days == sorted(days)
    assert days[0] == 1 and days[-1] >= 5
    overnight = quote(NYC, us("90012"), "ups", "express", shipped)
    assert overnight == date(2026, 3, 3)


def test_a_public_holiday_shifts_delivery() -> None:
    before_thanksgiving = datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)
    a_week_earlier = before_thanksgiving - timedelta(days=7)
    assert ground(a_week_earlier, us("10010")) == date(2026, 11, 19)
    assert ground(before_thanksgiving, us("10010")) == date(2026, 11, 27)
    # Veterans Day closes the postal service only
    veterans_eve = datetime(2026, 11, 10, 10, 0, tzinfo=NEW_YORK)
    assert ground(veterans_eve, us("10010"), "ups") == date(2026, 11, 11)
    assert ground(veterans_eve, us("10010"), "usps") == date(2026, 11, 12)
    # holidays of the destination country count
    boxing = datetime(2026, 12, 24, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    london = Address(country="GB", postal_code="EC1A 1BB", city="London")
    assert quote(london, london, "royal_mail", "ground", boxing) == date(2026, 12, 29)


def test_labels_after_the_cutoff_are_picked_up_the_next_working_day() -> None:
    friday_evening = datetime(2026, 3, 6, 17, 0, tzinfo=NEW_YORK)
    pickup = plan(SimParcel("T1", "ups", "ground", NYC, us("10010"), friday_evening), 1)[1]
    assert pickup["substatus"] == Substatus.PICKED_UP
    assert local_day(pickup) == date(2026, 3, 9)
    assert quote(NYC, us("10010"), "ups", "ground", friday_evening) == date(2026, 3, 10)
    assert quote(NYC, us("10010"), "ups", "express", friday_evening) == date(2026, 3, 9)


def test_international_parcels_clear_customs() -> None:
    shipped = datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK)
    munich = Address(country="DE", postal_code="80331", city="München")
    events = plan(SimParcel("JJD1", "dhl", "express", NYC, munich, shipped), 1, trouble_rate=0)
    countries = [e["location"]["country"] for e in events]
    assert countries[0] == "US" and countries[-1] == "DE"
    assert any("clearance" in e["description"].lower() for e in events)
    assert at(events[-1]).utcoffset() == timedelta(hours=1)  # delivered in Munich time


def test_bad_input_is_refused() -> None:
    shipped = datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK)
    with pytest.raises(ValueError, match="unknown simulated carrier"):
        quote(NYC, NYC, "pigeon", "ground", shipped)
    with pytest.raises(ValueError, match="same_day"):
        quote(NYC, NYC, "usps", "same_day", shipped)
    with pytest.raises(ValueError, match="timezone"):
        quote(NYC, NYC, "ups", "ground", shipped.replace(tzinfo=None))


def test_national_posts_only_pick_up_at_home() -> None:
    assert carriers_for("US") == ("ups", "usps", "fedex", "dhl")
    assert "canada_post" in carriers_for("CA") and "royal_mail" in carriers_for("gb")
    assert set(carriers_for("JP")) <= set(CARRIER_SERVICES) - {"usps", "canada_post"}


@pytest.mark.parametrize("carrier", sorted(CARRIER_SERVICES))
def test_tracking_numbers_are_valid_for_their_carrier(carrier: str) -> None:
    rng = random.Random(carrier)
    for _ in range(5):
        result = detect(tracking_number(carrier, rng))
        assert (result.carrier, result.valid) == (carrier, True)
