from datetime import UTC, date, datetime

import orjson
import pytest

from postpurchase.adapters.tracking_sources.normalised import (
    MAX_EVENTS,
    normalise_tracking_number,
    parse_batch,
)
from postpurchase.domain.carrier_detection import normalise
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import Location

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def event(**overrides):
    base = {
        "id": "evt_1",
        "tracking_number": "1Z999AA10123456784",
        "carrier": "ups",
        "occurred_at": "2026-11-20T10:15:00-05:00",
        "status": "in_transit",
        "substatus": "hub_arrival",
        "code": "AR",
        "description": "Arrived at facility",
        "location": {"city": "Louisville", "region": "KY", "postal_code": "40209", "country": "US"},
        "estimated_delivery": "2026-11-24",
        "correction": False,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def body(*events):
    return orjson.dumps({"events": list(events)})


def test_full_event_translates_to_one_update():
    result = parse_batch(body(event()), now=NOW)
    assert result.errors == ()
    assert (result.received, result.accepted, result.unrecognised) == (1, 1, 0)
    [update] = result.updates
    assert update.tracking_number == "1Z999AA10123456784"
    assert update.carrier == "ups"
    assert update.ref == "0"
    [e] = update.events
    assert e.occurred_at == datetime(2026, 11, 20, 15, 15, tzinfo=UTC)
    assert e.occurred_at.tzinfo is UTC
    assert e.status is ShipmentStatus.IN_TRANSIT
    assert e.substatus == "hub_arrival"
    assert e.carrier_code == "AR"
    assert e.description == "Arrived at facility"
    assert e.location == Location("Louisville", "KY", "40209", "US")
    assert e.estimated_delivery == date(2026, 11, 24)
    assert e.source == "postpurchase"
    assert e.source_event_id == "evt_1"
    assert e.recognised
    assert not e.correction


def test_minimal_event():
    minimal = {
        "tracking_number": "9400111899223817576123",
        "occurred_at": "2026-11-20T08:00:00Z",
        "status": "delivered",
    }
    [update] = parse_batch(body(minimal), now=NOW).updates
    assert update.carrier is None
    [e] = update.events
    assert e.status is ShipmentStatus.DELIVERED
    assert e.source_event_id is None
    assert e.location is None
    assert e.fingerprint  # content fingerprint when there is no id


def test_events_are_grouped_by_tracking_number_and_carrier():
    events = [
        event(id="a", tracking_number="1Z1", occurred_at="2026-11-20T01:00:00Z"),
        event(id="b", tracking_number="9400", carrier="usps", code="07"),
        event(id="c", tracking_number="1z 1", occurred_at="2026-11-20T02:00:00Z"),
        event(id="d", tracking_number="1Z1", carrier=None),
    ]
    result = parse_batch(body(*events), now=NOW)
    assert result.errors == ()
    groups = {(u.tracking_number, u.carrier): u for u in result.updates}
    assert set(groups) == {("1Z1", "ups"), ("9400", "usps"), ("1Z1", None)}
    assert [e.source_event_id for e in groups[("1Z1", "ups")].events] == ["a", "c"]
    assert groups[("1Z1", "ups")].ref == "0,2"


def test_code_without_status_is_mapped():
    e = event(status=None, substatus=None, code="OT", carrier="ups")
    [update] = parse_batch(body(e), now=NOW).updates
    assert update.events[0].status is ShipmentStatus.OUT_FOR_DELIVERY
    assert update.events[0].recognised


def test_status_with_matching_code_borrows_substatus():
    e = event(status="in_transit", substatus=None, code="DP")
    [update] = parse_batch(body(e), now=NOW).updates
    assert update.events[0].substatus == Substatus.HUB_DEPARTURE


def test_unmappable_code_without_status_is_kept_as_unrecognised():
    e = event(status=None, substatus=None, code="Q7", carrier="ontrac")
    result = parse_batch(body(e), now=NOW)
    assert result.errors == ()
    assert result.unrecognised == 1
    [update] = result.updates
    [kept] = update.events
    assert not kept.recognised
    assert kept.status is ShipmentStatus.IN_TRANSIT
    assert kept.substatus == Substatus.UNRECOGNISED
    assert kept.carrier_code == "Q7"


def test_correction_flag():
    [update] = parse_batch(body(event(correction=True, status="in_transit")), now=NOW).updates
    assert update.events[0].correction


def test_estimated_delivery_accepts_a_timestamp():
    e = event(estimated_delivery="2026-11-24T20:00:00-08:00")
    [update] = parse_batch(body(e), now=NOW).updates
    assert update.events[0].estimated_delivery == date(2026, 11, 24)


def test_accepts_str_and_mapping_bodies():
    raw = body(event())
    assert parse_batch(raw.decode(), now=NOW).accepted == 1
    assert parse_batch(orjson.loads(raw), now=NOW).accepted == 1


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"occurred_at": "2026-11-20T10:15:00"}, "events[0].occurred_at", "time zone"),
        ({"occurred_at": "2026-11-20"}, "events[0].occurred_at", "time zone"),
        ({"occurred_at": "yesterday"}, "events[0].occurred_at", "ISO 8601"),
        ({"occurred_at": 1763650000}, "events[0].occurred_at", "string"),
        ({"occurred_at": ...}, "events[0].occurred_at", "required"),
        ({"occurred_at": "2026-11-22T12:00:01Z"}, "events[0].occurred_at", "future"),
        ({"occurred_at": "1999-12-31T23:59:59Z"}, "events[0].occurred_at", "2000"),
        ({"status": "teleported"}, "events[0].status", "not a status"),
        ({"status": 3}, "events[0].status", "string"),
        ({"status": None, "code": None}, "events[0].status", "status or code"),
        ({"tracking_number": ...}, "events[0].tracking_number", "required"),
        ({"tracking_number": 12345}, "events[0].tracking_number", "string"),
        ({"tracking_number": "  "}, "events[0].tracking_number", "empty"),
        ({"tracking_number": "9" * 65}, "events[0].tracking_number", "64"),
        ({"carrier": 7}, "events[0].carrier", "string"),
        ({"location": "Louisville"}, "events[0].location", "object"),
        ({"location": {"city": 5}}, "events[0].location.city", "string"),
        ({"estimated_delivery": "soon"}, "events[0].estimated_delivery", "date"),
        ({"correction": "yes"}, "events[0].correction", "true or false"),
        ({"description": ["a"]}, "events[0].description", "string"),
        ({"id": 17}, "events[0].id", "string"),
        ({"id": ""}, "events[0].id", "non-empty"),
        ({"occured_at": "2026-11-20T10:15:00Z"}, "events[0].occured_at", "unknown field"),
    ],
)
def test_item_errors_name_the_field(overrides, field, fragment):
    result = parse_batch(body(event(**overrides)), now=NOW)
    assert result.updates == ()
    [error] = result.errors
    assert error["index"] == 0
    assert error["field"] == field
    assert fragment in error["error"]


def test_non_object_item():
    result = parse_batch(body("nope", event()), now=NOW)
    assert result.errors == (
        {"index": 0, "id": None, "field": "events[0]", "error": "must be an object"},
    )
    assert result.accepted == 1


def test_one_bad_event_never_loses_the_good_ones():
    events = [
        event(id="ok1"),
        event(id="bad", occurred_at="2026-11-20T10:15:00"),
        event(id="ok2", occurred_at="2026-11-20T11:00:00Z"),
        event(id="bad2", status="lost_in_space"),
    ]
    result = parse_batch(body(*events), now=NOW)
    assert [(e["index"], e["id"]) for e in result.errors] == [(1, "bad"), (3, "bad2")]
    assert result.accepted == 2
    [update] = result.updates
    assert [e.source_event_id for e in update.events] == ["ok1", "ok2"]
    assert update.ref == "0,2"


def test_duplicate_id_in_batch_is_an_error_on_the_second():
    result = parse_batch(body(event(id="x"), event(id="y"), event(id="x")), now=NOW)
    [error] = result.errors
    assert error == {
        "index": 2,
        "id": "x",
        "field": "events[2].id",
        "error": "duplicate id in this batch (first at index 0)",
    }
    assert result.accepted == 2


def test_unknown_carrier_is_an_item_error_when_carriers_are_known():
    result = parse_batch(
        body(event(carrier="acme"), event(id="2", carrier="UPS")),
        now=NOW,
        known_carriers={"ups", "usps"},
    )
    [error] = result.errors
    assert error["field"] == "events[0].carrier"
    assert result.updates[0].carrier == "ups"


def test_batch_limit():
    ok = [event(id=f"e{i}") for i in range(MAX_EVENTS)]
    assert parse_batch(body(*ok), now=NOW).accepted == MAX_EVENTS
    with pytest.raises(InvalidInput) as info:
        parse_batch(body(*ok, event(id="one-too-many")), now=NOW)
    assert info.value.field == "events"
    assert "1001" in info.value.message


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"", "body"),
        (b"[]", "body"),
        (b'{"events": {}}', "events"),
        (b'{"evts": []}', "events"),
    ],
)
def test_request_level_errors(raw, field):
    with pytest.raises(InvalidInput) as info:
        parse_batch(raw, now=NOW)
    assert info.value.field == field


def test_empty_batch_is_fine():
    result = parse_batch(b'{"events": []}', now=NOW)
    assert result.updates == () and result.errors == () and result.received == 0


def test_same_event_twice_in_two_batches_has_the_same_fingerprint():
    first = parse_batch(body(event()), now=NOW).updates[0].events[0]
    again = parse_batch(body(event()), now=NOW).updates[0].events[0]
    assert first.fingerprint == again.fingerprint
    anonymous = event(id=None)
    a = parse_batch(body(anonymous), now=NOW).updates[0].events[0]
    b = parse_batch(body(anonymous), now=NOW).updates[0].events[0]
    assert a.fingerprint == b.fingerprint


@pytest.mark.parametrize(
    "raw", [" 1z 999-aa1\n", "9400 1118 9922 3817 5761 23", "1z\u2013999\u00a0aa1", "ab\x1fc"]
)
def test_normalise_tracking_number_agrees_with_carrier_detection(raw):
    assert normalise_tracking_number(raw) == normalise(raw)
    assert normalise_tracking_number(" 1z 999-aa1\n") == "1Z999AA1"


def test_a_full_batch_groups_per_parcel():
    """A full batch of 1,000 (its speed is measured in benchmarks/ingest.py, not here)."""
    events = [
        event(id=f"e{i}", tracking_number=f"1Z{i % 50:04d}", occurred_at="2026-11-20T10:15:00Z")
        for i in range(MAX_EVENTS)
    ]
    result = parse_batch(body(*events), now=NOW)
    assert result.accepted == MAX_EVENTS and len(result.updates) == 50
