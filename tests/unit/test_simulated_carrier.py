"""The simulated carrier network: realistic, deterministic scan plans and their replay."""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.adapters.carriers.simulated import (
    CARRIER_SERVICES,
    Player,
    RejectedBatch,
    SimParcel,
    Trouble,
    carriers_for,
    http_sink,
    plan,
    quote,
    tracking_number,
    trouble_of,
)
from postpurchase.adapters.carriers.simulated.network import COUNTRY_HUBS, SINGLE_HUBS
from postpurchase.domain.addresses import Address
from postpurchase.domain.carrier_detection import detect
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import Location, TrackingEvent, fold

NEW_YORK = ZoneInfo("America/New_York")
NYC = Address(country="US", postal_code="10001", city="New York", region="NY")
SUBSTATUSES = {v for k, v in vars(Substatus).items() if k.isupper()}
TROUBLE_STATUSES = {ShipmentStatus.EXCEPTION.value, ShipmentStatus.ATTEMPT_FAILED.value}
HUBS = [h for table in COUNTRY_HUBS.values() for h in table.values()] + list(SINGLE_HUBS.values())


def us(zip_code: str, city: str | None = None) -> Address:
    return Address(country="US", postal_code=zip_code, city=city)


def random_address(rng: random.Random) -> Address:
    if rng.random() < 0.85:
        return us(f"{rng.randint(10, 999):03d}{rng.randint(0, 99):02d}")
    hub = rng.choice(HUBS)
    return Address(country=hub.country, postal_code=hub.postal_code, city=hub.city)


def random_parcel(rng: random.Random, i: int) -> SimParcel:
    carrier = rng.choice(sorted(CARRIER_SERVICES))
    return SimParcel(
        tracking_number=f"SIM{i:08d}",
        carrier=carrier,
        service=rng.choice(CARRIER_SERVICES[carrier]),
        origin=random_address(rng),
        destination=random_address(rng),
        shipped_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 525_600)),
    )


@pytest.fixture(scope="module")
def fleet() -> list[tuple[SimParcel, list[dict[str, Any]]]]:
    rng = random.Random(2026)
    parcels = [random_parcel(rng, i) for i in range(2000)]
    return [(p, plan(p, seed=7)) for p in parcels]


def at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def local_day(event: dict[str, Any]) -> date:
    return at(event).date()  # occurred_at carries the offset of the scan's own hub


def ground(shipped: datetime, dest: Address, carrier: str = "ups") -> date:
    return quote(NYC, dest, carrier, "ground", shipped)


# -- plans -----------------------------------------------------------------------------


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


# -- player ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scan(at: datetime, i: int) -> dict[str, Any]:
    return {"id": f"e{i}", "occurred_at": at.isoformat()}


START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_player_backfills_history_then_follows_simulated_time() -> None:
    sent: list[list[dict[str, Any]]] = []
    clock = FakeClock()
    player = Player(sent.append, speed=3600, start=START, clock=clock, batch_size=2)
    offsets = [-50, -3, -1, 0.5, 1.5, 30, 2.5]  # hours from START, out of order
    player.add(scan(START + timedelta(hours=h), i) for i, h in enumerate(offsets))

    assert player.run_once() == 3  # the past, at once, in batches of 2
    assert [len(b) for b in sent] == [2, 1]
    clock.now += 1.0  # one wall second = one simulated hour
    assert player.run_once() == 1
    clock.now += 1.0
    assert player.run_once() == 1
    clock.now += 1.0
    assert player.run_once() == 1
    flat = [e["id"] for batch in sent for e in batch]
    assert flat == ["e0", "e1", "e2", "e3", "e4", "e6"]
    assert len(player) == 1
    clock.now += 100
    assert player.run_once() == 1 and len(player) == 0


def test_player_due_is_in_time_order_across_time_zones() -> None:
    player = Player(lambda _: None, speed=1, start=START, clock=FakeClock())
    tokyo, la = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
    player.add(
        [
            scan((START - timedelta(minutes=1)).astimezone(tokyo), 1),
            scan((START - timedelta(minutes=3)).astimezone(la), 2),
            scan(START - timedelta(minutes=2), 3),
        ]
    )
    assert [e["id"] for e in player.due(START)] == ["e2", "e3", "e1"]


def test_player_keeps_what_the_sink_failed_to_take() -> None:
    calls = 0

    def flaky(batch: list[dict[str, Any]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("down")

    player = Player(flaky, speed=1, start=START, clock=FakeClock(), batch_size=1)
    player.add(scan(START - timedelta(minutes=m), m) for m in (3, 2, 1))
    with pytest.raises(ConnectionError):
        player.run_once()
    assert player.sent == 1
    assert [e["id"] for e in player.due(START)] == ["e2", "e1"]


def test_player_drops_a_batch_the_sink_rejects_for_good() -> None:
    sent: list[str] = []

    def picky(batch: list[dict[str, Any]]) -> None:
        if batch[0]["id"] == "e2":
            raise RejectedBatch("413 too large", status_code=413)
        sent.extend(e["id"] for e in batch)

    player = Player(picky, speed=1, start=START, clock=FakeClock(), batch_size=1)
    player.add(scan(START - timedelta(minutes=m), m) for m in (3, 2, 1))
    assert player.run_once() == 2
    assert (sent, player.rejected, len(player)) == (["e3", "e1"], 1, 0)


def test_player_run_stops_when_asked() -> None:
    sent: list[dict[str, Any]] = []
    player = Player(sent.extend, speed=1, start=START)
    player.add([scan(START - timedelta(days=1), 1)])
    stop = threading.Event()
    worker = threading.Thread(target=player.run, args=(stop, 0.01))
    worker.start()
    stop.set()
    worker.join(timeout=2)
    assert not worker.is_alive()
    assert [e["id"] for e in sent] == ["e1"]


def test_http_sink_signs_and_retries_transient_errors() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503 if len(seen) == 1 else 200, json={"results": []})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sink = http_sink(
        "http://pp.test/webhooks/tracking/simulated", "s3cret", "key1", client=client, backoff=0
    )
    sink([{"id": "e1"}])
    assert len(seen) == 2
    request = seen[-1]
    assert orjson.loads(request.content) == {"events": [{"id": "e1"}]}
    assert request.headers["authorization"] == "Bearer key1"
    parts = dict(p.split("=", 1) for p in request.headers["x-postpurchase-signature"].split(","))
    expected = hmac.new(
        b"s3cret", f"{parts['t']}.".encode() + request.content, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)


def test_http_sink_gives_up_after_its_attempts() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sink = http_sink("http://pp.test/x", client=client, attempts=3, backoff=0)
    with pytest.raises(httpx.ConnectError):
        sink([{"id": "e1"}])
    assert calls == 3


def test_http_sink_does_not_retry_a_rejected_batch() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"title": "bad signature"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sink = http_sink("http://pp.test/webhooks/tracking/simulated", client=client, backoff=0)
    with pytest.raises(RejectedBatch) as raised:
        sink([{"id": "e1"}])
    assert raised.value.status_code == 401
    assert len(seen) == 1
    assert "x-postpurchase-signature" not in seen[0].headers
    assert "authorization" not in seen[0].headers
