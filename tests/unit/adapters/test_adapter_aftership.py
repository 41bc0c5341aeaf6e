import copy
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from postpurchase.adapters.tracking_sources.aftership import (
    carrier_estimate,
    country_alpha2,
    parse_tracking,
    parse_webhook,
)
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import Location, fold

PAYLOADS = Path(__file__).parents[2] / "fixtures" / "payloads"
NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
S = ShipmentStatus


def load(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def test_legacy_webhook():
    parsed = parse_webhook(load("aftership_tracking_update_legacy.json"), now=NOW)
    assert parsed.source == "aftership"
    assert parsed.kind == "tracking_update"
    assert parsed.delivery_id == "c1f8d2a4-6f3e-4b8a-9d6b-2f1e0a7c5b31"
    assert parsed.errors == ()
    [update] = parsed.updates
    assert update.tracking_number == "1Z0X118A0324011023"
    assert update.carrier == "ups"
    assert [(e.status, e.substatus) for e in update.events] == [
        (S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        (S.IN_TRANSIT, Substatus.PICKED_UP),
        (S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
        (S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        (S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
    ]
    origin = update.events[1]
    assert origin.occurred_at == datetime(2026, 11, 20, 0, 42, tzinfo=UTC)
    assert origin.location == Location("Secaucus", "NJ", "07094", "US")
    assert origin.description == "Origin Scan"
    assert origin.carrier_code == "InTransit_002"
    assert all(e.source == "aftership" and e.source_event_id for e in update.events)
    assert update.events[0].location is None


def test_legacy_expected_delivery_lands_on_the_latest_checkpoint():
    [update] = parse_webhook(load("aftership_tracking_update_legacy.json"), now=NOW).updates
    estimates = [e.estimated_delivery for e in update.events]
    assert estimates == [None, None, None, None, date(2026, 11, 24)]
    assert fold(update.events).carrier_estimate == date(2026, 11, 24)


def test_checkpoint_time_without_offset_is_read_as_utc():
    [update] = parse_webhook(load("aftership_tracking_update_legacy.json"), now=NOW).updates
    assert update.events[-1].occurred_at == datetime(2026, 11, 20, 23, 30, tzinfo=UTC)


def test_naive_time_is_clamped_to_when_aftership_recorded_it():
    data = orjson.loads(load("aftership_tracking_update_legacy.json"))
    cp = data["msg"]["checkpoints"][-1]
    cp["checkpoint_time"] = "2026-11-21T09:00:00"  # local time ahead of UTC
    cp["created_at"] = "2026-11-21T04:41:02+00:00"
    [update] = parse_webhook(data, now=NOW).updates
    assert update.events[-1].occurred_at == datetime(2026, 11, 21, 4, 41, 2, tzinfo=UTC)


def test_2025_webhook():
    parsed = parse_webhook(load("aftership_tracking_update_2025.json"), now=NOW)
    [update] = parsed.updates
    assert update.carrier == "usps"
    assert update.ref == "bff5a3bac79b472991a204172473a635"
    statuses = [(e.status, e.substatus) for e in update.events]
    assert statuses == [
        (S.INFO_RECEIVED, Substatus.LABEL_CREATED),
        (S.IN_TRANSIT, Substatus.PICKED_UP),
        (S.EXCEPTION, Substatus.WEATHER),
        (S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        (S.OUT_FOR_DELIVERY, None),
        (S.DELIVERED, None),
    ]
    delivered = update.events[-1]
    assert delivered.location == Location("Chicago", "IL", "60614", "US")
    assert delivered.estimated_delivery == date(2026, 11, 21)
    state = fold(update.events)
    assert state.status is S.DELIVERED
    assert state.delivered_at == datetime(2026, 11, 21, 17, 58, tzinfo=UTC)


def test_location_text_is_used_when_no_structured_parts():
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    cp = data["msg"]["checkpoints"][2]
    cp.update(city=None, state=None, postal_code=None)
    [update] = parse_webhook(data, now=NOW).updates
    assert update.events[2].location == Location(
        "ALBUQUERQUE, NM DISTRIBUTION CENTER", None, None, "US"
    )


def test_resent_checkpoints_are_the_same_events():
    first = parse_webhook(load("aftership_tracking_update_2025.json"), now=NOW).updates[0]
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    data["event_id"] = "another-delivery"
    data["msg"]["updated_at"] = "2026-11-22T00:00:00+00:00"
    data["msg"]["checkpoints"].reverse()
    again = parse_webhook(data, now=NOW).updates[0]
    assert {e.fingerprint for e in first.events} == {e.fingerprint for e in again.events}
    data["msg"]["checkpoints"][0]["message"] = "Delivered, In/At Mailbox"
    changed = parse_webhook(data, now=NOW).updates[0]
    assert len({e.fingerprint for e in first.events} & {e.fingerprint for e in changed.events}) == 5


def test_unknown_tag_is_kept_unrecognised_and_unknown_subtag_falls_back():
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    cps = data["msg"]["checkpoints"]
    cps[1]["tag"], cps[1]["subtag"] = "Teleported", "Teleported_001"
    cps[3]["subtag"] = "InTransit_042"
    [update] = parse_webhook(data, now=NOW).updates
    assert not update.events[1].recognised
    assert update.events[1].status is S.IN_TRANSIT
    assert update.events[1].substatus == Substatus.UNRECOGNISED
    assert update.events[1].carrier_code == "Teleported_001"
    assert update.events[3].recognised and update.events[3].status is S.IN_TRANSIT


def test_bad_checkpoints_are_reported_and_the_rest_kept():
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    cps = data["msg"]["checkpoints"]
    cps[0]["checkpoint_time"] = "sometime"
    cps[1]["checkpoint_time"] = None
    cps[2]["checkpoint_time"] = "2031-01-01T00:00:00Z"
    cps.append("not an object")
    parsed = parse_webhook(data, now=NOW)
    assert [e["field"] for e in parsed.errors] == [
        "msg.checkpoints[0].checkpoint_time",
        "msg.checkpoints[1].checkpoint_time",
        "msg.checkpoints[2].checkpoint_time",
        "msg.checkpoints[6]",
    ]
    assert len(parsed.updates[0].events) == 3


def test_no_checkpoints_means_no_update():
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    data["msg"]["checkpoints"] = []
    data["msg"]["tag"] = "Pending"
    parsed = parse_webhook(data, now=NOW)
    assert parsed.updates == ()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("msg"), "msg"),
        (lambda d: d["msg"].pop("tracking_number"), "msg.tracking_number"),
        (lambda d: d["msg"].__setitem__("tracking_number", " "), "msg.tracking_number"),
        (lambda d: d["msg"].__setitem__("checkpoints", {}), "msg.checkpoints"),
    ],
)
def test_payload_errors(mutate, field):
    data = orjson.loads(load("aftership_tracking_update_legacy.json"))
    mutate(data)
    with pytest.raises(InvalidInput) as info:
        parse_webhook(data, now=NOW)
    assert info.value.field == field


def test_malformed_json():
    with pytest.raises(InvalidInput) as info:
        parse_webhook(b"{", now=NOW)
    assert info.value.field == "body"


def test_wrapped_data_tracking_variant():
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    data["data"] = {"tracking": data.pop("msg")}
    assert len(parse_webhook(data, now=NOW).updates[0].events) == 6


def test_parse_tracking_for_polling_responses():
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    update, errors = parse_tracking(data["msg"], now=NOW)
    assert update is not None and errors == ()


class TestCarrierEstimate:
    def test_sources_in_order(self):
        assert carrier_estimate({"expected_delivery": "2026-11-24T17:00:00-05:00"}) == date(
            2026, 11, 24
        )
        assert carrier_estimate(
            {
                "courier_estimated_delivery_date": {"estimated_delivery_date_max": "2026-11-25"},
                "expected_delivery": "2026-11-24",
            }
        ) == date(2026, 11, 25)

    def test_aftership_or_custom_estimates_are_not_the_carriers(self):
        tracking = {
            "aftership_estimated_delivery_date": {"estimated_delivery_date": "2026-11-22"},
            "latest_estimated_delivery": {"source": "Custom EDD", "datetime": "2026-11-23"},
        }
        assert carrier_estimate(tracking) is None
        tracking["latest_estimated_delivery"]["source"] = "Carrier EDD"
        assert carrier_estimate(tracking) == date(2026, 11, 23)

    def test_garbage_is_ignored(self):
        assert carrier_estimate({"expected_delivery": "soon"}) is None


def test_country_alpha2():
    assert country_alpha2("USA") == "US"
    assert country_alpha2("gbr") == "GB"
    assert country_alpha2("DE") == "DE"
    assert country_alpha2("Nowhere") is None
    assert country_alpha2(None) is None


def test_fixture_is_not_mutated_between_tests():
    data = orjson.loads(load("aftership_tracking_update_2025.json"))
    snapshot = copy.deepcopy(data)
    parse_webhook(data, now=NOW)
    assert data == snapshot
