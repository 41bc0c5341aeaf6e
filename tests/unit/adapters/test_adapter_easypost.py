from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from postpurchase.adapters.signatures import sign_easypost, verify_easypost
from postpurchase.adapters.tracking_sources.easypost import (
    carrier_estimate,
    parse_tracker,
    parse_webhook,
)
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import Location, fold

PAYLOAD = Path(__file__).parents[2] / "fixtures" / "payloads" / "easypost_tracker_updated.json"
NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
S = ShipmentStatus


def raw() -> bytes:
    return PAYLOAD.read_bytes()


def data() -> dict:
    return orjson.loads(raw())


def test_tracker_updated_event():
    parsed = parse_webhook(raw(), now=NOW)
    assert parsed.source == "easypost"
    assert parsed.kind == "tracker.updated"
    assert parsed.delivery_id == "evt_5ee4e1a4c1d911ef8d3b0b6c9e1a2f3d"
    assert parsed.errors == ()
    [update] = parsed.updates
    assert update.tracking_number == "794621839203"
    assert update.carrier == "fedex"
    assert update.ref == "trk_8d1e5a0d4b1a4f0c9f7a3d2b1c0e9f8a"
    assert [(e.status, e.substatus) for e in update.events] == [
        (S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        (S.IN_TRANSIT, Substatus.PICKED_UP),
        (S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        (S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
        (S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        (S.OUT_FOR_DELIVERY, None),
        (S.DELIVERED, None),
    ]
    delivered = update.events[-1]
    assert delivered.occurred_at == datetime(2026, 11, 21, 18, 1, tzinfo=UTC)
    assert delivered.carrier_code == "DL"
    assert delivered.description == "Delivered"
    assert delivered.location == Location("OAKLAND", "CA", "94610", "US")
    assert delivered.estimated_delivery == date(2026, 11, 21)
    assert update.events[0].location is None
    assert all(e.source == "easypost" and e.source_event_id for e in update.events)
    assert fold(update.events).status is S.DELIVERED


def test_signature_of_the_fixture_round_trips():
    body = raw()
    assert verify_easypost(body, sign_easypost(body, "whsec"), "whsec")


def test_resent_history_is_the_same_events():
    first = parse_webhook(raw(), now=NOW).updates[0]
    again_data = data()
    again_data["id"] = "evt_other"
    again_data["result"]["tracking_details"].reverse()
    again = parse_webhook(again_data, now=NOW).updates[0]
    assert {e.fingerprint for e in first.events} == {e.fingerprint for e in again.events}


def test_unknown_status_is_unrecognised_with_the_missing_code():
    d = data()
    detail = d["result"]["tracking_details"][3]
    detail.update(status="unknown", status_detail="unknown", carrier_code=None)
    [update] = parse_webhook(d, now=NOW).updates
    e = update.events[3]
    assert not e.recognised
    assert e.status is S.IN_TRANSIT
    assert e.substatus == Substatus.UNRECOGNISED
    assert e.carrier_code == "unknown"


def test_exception_details():
    d = data()
    d["result"]["tracking_details"][3]["status_detail"] = "weather_delay"
    d["result"]["tracking_details"][4].update(status="return_to_sender", status_detail="return")
    [update] = parse_webhook(d, now=NOW).updates
    assert (update.events[3].status, update.events[3].substatus) == (S.EXCEPTION, "weather")
    assert update.events[4].substatus == Substatus.RETURNED_TO_SENDER


def test_time_without_offset_is_utc():
    d = data()
    d["result"]["tracking_details"][1]["datetime"] = "2026-11-19T00:31:00"
    [update] = parse_webhook(d, now=NOW).updates
    assert update.events[1].occurred_at == datetime(2026, 11, 19, 0, 31, tzinfo=UTC)


def test_bad_details_are_reported_and_the_rest_kept():
    d = data()
    d["result"]["tracking_details"][0]["datetime"] = "not a time"
    d["result"]["tracking_details"][1]["datetime"] = "1999-01-01T00:00:00Z"
    d["result"]["tracking_details"].append(17)
    parsed = parse_webhook(d, now=NOW)
    assert [e["field"] for e in parsed.errors] == [
        "result.tracking_details[0].datetime",
        "result.tracking_details[1].datetime",
        "result.tracking_details[7]",
    ]
    assert len(parsed.updates[0].events) == 5


def test_events_of_other_objects_are_acknowledged_without_updates():
    batch_event = {
        "id": "evt_1",
        "object": "Event",
        "description": "batch.updated",
        "result": {"object": "Batch", "id": "batch_1"},
    }
    parsed = parse_webhook(batch_event, now=NOW)
    assert parsed.updates == () and parsed.kind == "batch.updated"


def test_bare_tracker_is_accepted():
    parsed = parse_webhook(data()["result"], now=NOW)
    assert parsed.delivery_id is None
    assert len(parsed.updates[0].events) == 7


def test_tracker_without_details_has_no_update():
    d = data()
    d["result"]["tracking_details"] = []
    assert parse_webhook(d, now=NOW).updates == ()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["result"].pop("tracking_code"), "result.tracking_code"),
        (lambda d: d["result"].__setitem__("tracking_details", "x"), "result.tracking_details"),
        (lambda d: d.__setitem__("result", None), "result"),
    ],
)
def test_payload_errors(mutate, field):
    d = data()
    mutate(d)
    with pytest.raises(InvalidInput) as info:
        parse_webhook(d, now=NOW)
    assert info.value.field == field


def test_malformed_json():
    with pytest.raises(InvalidInput):
        parse_webhook(b"[1,", now=NOW)


def test_estimate_prefers_local_date():
    tracker = data()["result"]
    assert carrier_estimate(tracker) == date(2026, 11, 21)
    tracker["carrier_detail"] = None
    tracker["est_delivery_date"] = "2026-11-22T03:00:00Z"
    assert carrier_estimate(tracker) == date(2026, 11, 22)
    tracker["est_delivery_date"] = None
    assert carrier_estimate(tracker) is None


def test_parse_tracker_for_polling():
    update, errors = parse_tracker(data()["result"], now=NOW)
    assert update is not None and errors == ()
