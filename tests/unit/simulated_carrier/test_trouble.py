"""Trouble in a simulated plan (weather, a failed attempt, an address issue, a lost or
refused parcel), forced on one parcel and on every kind of route."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from postpurchase.adapters.carriers.simulated import SimParcel, Trouble, plan, quote
from postpurchase.domain.addresses import Address
from postpurchase.domain.status import Substatus
from tests.unit.simulated_carrier.parcels import NEW_YORK, NYC, at, local_day, us


def forced(trouble: Trouble, seed: int = 3) -> list[dict[str, Any]]:
    shipped = datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK)
    parcel = SimParcel("1ZFORCED", "ups", "ground", NYC, us("90012", "Los Angeles"), shipped)
    return plan(parcel, seed, trouble=trouble)


def test_weather_delays_then_resumes_and_moves_the_estimate() -> None:
    events = forced(Trouble.WEATHER)
    i = next(i for i, e in enumerate(events) if e.get("substatus") == Substatus.WEATHER)
    assert events[i]["status"] == "exception"
    assert events[i]["estimated_delivery"] > events[i - 1]["estimated_delivery"]
    assert events[i + 1]["status"] == "in_transit"
    assert events[-1]["status"] == "delivered"
    assert local_day(events[-1]).isoformat() == events[i]["estimated_delivery"]


def test_failed_attempt_is_redelivered_the_next_working_day() -> None:
    for seed in range(20):
        events = forced(Trouble.FAILED_ATTEMPT, seed)
        first = next(e for e in events if e["status"] == "attempt_failed")
        assert events[-1]["status"] == "delivered"
        retry = events[events.index(first) + 1]
        assert retry["status"] == "out_for_delivery"
        assert retry["estimated_delivery"] == first["estimated_delivery"]
        assert local_day(retry).isoformat() == first["estimated_delivery"]
        assert (local_day(retry) - local_day(first)).days in (1, 3)  # Friday -> Monday


def test_address_issue_is_resolved_or_returned() -> None:
    endings = set()
    for seed in range(30):
        events = forced(Trouble.ADDRESS_ISSUE, seed)
        assert any(e.get("substatus") == Substatus.ADDRESS_ISSUE for e in events)
        endings.add(events[-1]["status"])
        if events[-1]["status"] == "exception":
            assert events[-1]["substatus"] == Substatus.RETURNED_TO_SENDER
            assert events[-1]["location"]["city"] == "New York"
    assert endings == {"delivered", "exception"}


def test_lost_parcels_go_quiet_then_are_declared_lost() -> None:
    events = forced(Trouble.LOST)
    assert events[-1]["status"] == "exception" and events[-1]["substatus"] == Substatus.LOST
    assert at(events[-1]) - at(events[-2]) >= timedelta(days=6)
    assert not any(e["status"] in ("out_for_delivery", "delivered") for e in events)


def test_refused_parcels_are_returned_to_sender() -> None:
    events = forced(Trouble.RETURNED)
    assert [e["substatus"] for e in events[-2:]] == [Substatus.RETURNED_TO_SENDER] * 2
    assert "estimated_delivery" not in events[-1]


ROUTES = {
    "courier": ("ups", "same_day", us("11201", "Brooklyn")),
    "flight": ("fedex", "same_day", us("60601", "Chicago")),
    "one hub": ("usps", "ground", us("10010", "New York")),
    "air hub": ("ups", "express", us("98101", "Seattle")),
    "overseas": ("dhl", "ground", Address(country="JP", postal_code="100-0001")),
}


@pytest.mark.parametrize("trouble", [None, *Trouble])
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_kind_of_route_copes_with_every_trouble(route: str, trouble: Trouble | None) -> None:
    carrier, service, dest = ROUTES[route]
    for seed in range(8):
        shipped = datetime(2026, 3, 2, 9, 0, tzinfo=NEW_YORK) + timedelta(days=seed, hours=seed)
        parcel = SimParcel("R1", carrier, service, NYC, dest, shipped)
        events = plan(parcel, seed, trouble=trouble, trouble_rate=0.0)
        times = [at(e) for e in events]
        assert times == sorted(times)
        for e in events:
            if e["status"] in ("out_for_delivery", "delivered", "attempt_failed"):
                assert local_day(e).weekday() != 6
                assert 7 <= at(e).hour < 21, (route, e)
        for e in events:  # the van goes out on the day the carrier last promised
            if e["status"] == "out_for_delivery":
                assert local_day(e).isoformat() == e["estimated_delivery"], (route, e)
        if trouble is None:
            promised = quote(NYC, dest, carrier, service, shipped)
            assert local_day(events[-1]) == promised
        elif trouble is not Trouble.LOST:
            assert trouble in (trouble_of_events(events) or set())


def trouble_of_events(events: list[dict[str, Any]]) -> set[Trouble]:
    seen = {(e["status"], e.get("substatus")) for e in events}
    found = set()
    if ("exception", Substatus.WEATHER) in seen:
        found.add(Trouble.WEATHER)
    if any(status == "attempt_failed" for status, _ in seen):
        found.add(Trouble.FAILED_ATTEMPT)
    if ("exception", Substatus.ADDRESS_ISSUE) in seen:
        found.add(Trouble.ADDRESS_ISSUE)
    if ("exception", Substatus.RETURNED_TO_SENDER) in seen:
        found.add(Trouble.RETURNED)
    return found
