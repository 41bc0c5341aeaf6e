"""The simulated network's scan plans: deterministic per seed, in our webhook format, in
time order, ending delivered or in trouble, and at the days and hours real carriers scan;
checked over a fleet of 2,000 random parcels and as a property."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.adapters.carriers.simulated import (
    CARRIER_SERVICES,
    SimParcel,
    Trouble,
    plan,
    quote,
    trouble_of,
)
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import Location, TrackingEvent, fold
from tests.unit.simulated_carrier.parcels import at, local_day, random_address, random_parcel

SUBSTATUSES = {v for k, v in vars(Substatus).items() if k.isupper()}
TROUBLE_STATUSES = {ShipmentStatus.EXCEPTION.value, ShipmentStatus.ATTEMPT_FAILED.value}


@pytest.fixture(scope="module")
def fleet() -> list[tuple[SimParcel, list[dict[str, Any]]]]:
    rng = random.Random(2026)
    parcels = [random_parcel(rng, i) for i in range(2000)]
    return [(p, plan(p, seed=7)) for p in parcels]


def test_same_seed_same_plan_and_another_seed_another() -> None:
    parcel = random_parcel(random.Random(1), 1)
    assert plan(parcel, 42) == plan(parcel, 42)
    assert plan(parcel, 42) != plan(parcel, 43)


def test_scans_are_in_our_webhook_format(
    fleet: list[tuple[SimParcel, list[dict[str, Any]]]],
) -> None:
    ids: set[str] = set()
    for parcel, events in fleet[:300]:
        for e in events:
            assert e["tracking_number"] == parcel.tracking_number
            assert e["carrier"] == parcel.carrier
            ShipmentStatus(e["status"])
            assert e.get("substatus") is None or e["substatus"] in SUBSTATUSES
            assert e["code"] and e["description"]
            assert at(e).utcoffset() is not None
            assert e["location"].get("country")
            if "estimated_delivery" in e:
                date.fromisoformat(e["estimated_delivery"])
            ids.add(e["id"])
    assert len(ids) == sum(len(events) for _, events in fleet[:300])


def test_times_strictly_increase(fleet: list[tuple[SimParcel, list[dict[str, Any]]]]) -> None:
    for parcel, events in fleet:
        times = [at(e) for e in events]
        assert times == sorted(times) and len(set(times)) == len(times), parcel
        assert times[0] == parcel.shipped_at


def test_every_plan_ends_delivered_or_in_trouble(
    fleet: list[tuple[SimParcel, list[dict[str, Any]]]],
) -> None:
    endings = Counter((events[-1]["status"], events[-1].get("substatus")) for _, events in fleet)
    for status, substatus in endings:
        assert status == "delivered" or (
            status == "exception" and substatus in (Substatus.LOST, Substatus.RETURNED_TO_SENDER)
        )


def test_the_domain_fold_reaches_the_same_end(
    fleet: list[tuple[SimParcel, list[dict[str, Any]]]],
) -> None:
    for _, events in fleet[:200]:
        tracking = [
            TrackingEvent(
                occurred_at=at(e),
                status=ShipmentStatus(e["status"]),
                substatus=e.get("substatus"),
                carrier_code=e["code"],
                location=Location(**e["location"]),
                source="simulated",
                source_event_id=e["id"],
            )
            for e in events
        ]
        state = fold(reversed(tracking))
        assert state.status.value == events[-1]["status"]
        assert state.handed_over_at == at(events[1])  # the pickup scan


def test_no_pickups_or_deliveries_on_sunday_nor_saturday_for_ground(
    fleet: list[tuple[SimParcel, list[dict[str, Any]]]],
) -> None:
    for parcel, events in fleet:
        for e in events:
            if e.get("substatus") == Substatus.PICKED_UP or e["status"] in (
                "out_for_delivery",
                "delivered",
            ):
                weekday = local_day(e).weekday()
                assert weekday != 6, e
                if parcel.service == "ground" and e.get("substatus") != "picked_up_by_customer":
                    assert weekday != 5, e


def test_delivery_times_of_day_look_real(
    fleet: list[tuple[SimParcel, list[dict[str, Any]]]],
) -> None:
    for parcel, events in fleet:
        if parcel.service == "same_day":
            continue
        for e in events:
            hour = at(e).hour + at(e).minute / 60
            if e["status"] == "out_for_delivery":
                assert 7 <= hour <= 11, e
            if e["status"] == "delivered" and e["substatus"] != "picked_up_by_customer":
                assert 9 <= hour <= 20.5, e


def test_a_trouble_free_plan_keeps_its_promise(
    fleet: list[tuple[SimParcel, list[dict[str, Any]]]],
) -> None:
    for parcel, _ in fleet[:400]:
        events = plan(parcel, 7, trouble_rate=0.0)
        promised = quote(
            parcel.origin, parcel.destination, parcel.carrier, parcel.service, parcel.shipped_at
        )
        assert events[-1]["status"] == "delivered"
        assert local_day(events[-1]) == promised
        assert {e["estimated_delivery"] for e in events[:-1]} == {promised.isoformat()}
        assert not TROUBLE_STATUSES & {e["status"] for e in events}


def test_about_five_percent_of_parcels_meet_trouble(
    fleet: list[tuple[SimParcel, list[dict[str, Any]]]],
) -> None:
    troubled = [p for p, events in fleet if TROUBLE_STATUSES & {e["status"] for e in events}]
    assert 0.02 <= len(troubled) / len(fleet) <= 0.09
    kinds = Counter(trouble_of(p, 7) for p, _ in fleet)
    assert set(kinds) == {None, *Trouble}
    assert sum(kinds[t] for t in Trouble) == len(troubled)


MILESTONES = {"label_created": 0, "picked_up": 1}


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    pick=st.randoms(use_true_random=False),
    shipped=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    trouble=st.sampled_from([None, *Trouble]),
)
def test_plans_follow_the_life_of_a_parcel(
    seed: int, pick: random.Random, shipped: datetime, trouble: Trouble | None
) -> None:
    carrier = pick.choice(sorted(CARRIER_SERVICES))
    parcel = SimParcel(
        "PROP1",
        carrier,
        pick.choice(CARRIER_SERVICES[carrier]),
        random_address(pick),
        random_address(pick),
        shipped,
    )
    events = plan(parcel, seed, trouble=trouble)
    kinds = [(e["status"], e.get("substatus")) for e in events]
    times = [at(e) for e in events]
    assert times == sorted(times)
    assert kinds[0] == ("info_received", "label_created")
    assert kinds[1] == ("in_transit", "picked_up")
    assert all(status != "info_received" for status, _ in kinds[1:])
    hub_scans = [i for i, (_, sub) in enumerate(kinds) if sub in ("hub_arrival", "hub_departure")]
    ofd = [i for i, (status, _) in enumerate(kinds) if status == "out_for_delivery"]
    delivered = [i for i, (status, _) in enumerate(kinds) if status == "delivered"]
    assert all(i > 1 for i in hub_scans + ofd)
    if ofd and hub_scans:
        assert ofd[0] > hub_scans[-1]  # no hub scans once on the van
    if delivered:
        assert delivered == [len(events) - 1]  # delivered once, and last
        assert kinds[delivered[0] - 1][0] in ("out_for_delivery", "available_for_pickup")
    for status, _ in kinds:
        if status == "attempt_failed":
            assert ofd
    assert events[-1]["status"] in ("delivered", "exception")
