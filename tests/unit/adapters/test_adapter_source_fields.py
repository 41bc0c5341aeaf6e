"""What the parsers keep beyond the scans: who signed, the service level, the public tracking
page; and how a scan without a carrier is read once its shipment's carrier is known."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postpurchase.adapters.tracking_sources import aftership, easypost, normalised
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import fold

PAYLOADS = Path(__file__).parent.parent.parent / "fixtures" / "payloads"
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def _payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def test_easypost_keeps_signed_by_on_the_delivered_scan_and_the_tracker_facts() -> None:
    body = _payload("easypost_tracker_updated.json")
    (update,) = easypost.parse_webhook(body, now=NOW).updates
    assert update.service == "FEDEX_GROUND"
    assert update.tracking_url == body["result"]["public_url"]
    signed = [e for e in update.events if e.signed_by]
    assert len(signed) == 1
    assert signed[0].signed_by == "J. PATEL"
    assert signed[0].status is ShipmentStatus.DELIVERED
    assert signed[0] is max(update.events, key=lambda e: e.sort_key)


def test_signed_by_does_not_change_a_scans_identity() -> None:
    body = _payload("easypost_tracker_updated.json")
    unsigned = json.loads(json.dumps(body))
    unsigned["result"]["signed_by"] = None
    (with_sig,) = easypost.parse_webhook(body, now=NOW).updates
    (without,) = easypost.parse_webhook(unsigned, now=NOW).updates
    assert [e.fingerprint for e in with_sig.events] == [e.fingerprint for e in without.events]
    delivered = with_sig.events[-1]
    assert delivered.signed_by is not None
    # also for a scan without a source id, whose fingerprint is its content
    plain = replace(delivered, source_event_id=None, fingerprint="")
    assert replace(plain, signed_by=None, fingerprint="").fingerprint == plain.fingerprint
    assert fold(with_sig.events) == fold(without.events)


def test_easypost_without_the_optional_fields_gives_none() -> None:
    body = _payload("easypost_tracker_updated.json")
    for key in ("signed_by", "public_url", "carrier_detail"):
        body["result"].pop(key)
    (update,) = easypost.parse_webhook(body, now=NOW).updates
    assert (update.service, update.tracking_url) == (None, None)
    assert all(e.signed_by is None for e in update.events)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.com/x", "https://x.example/" + "a" * 2100, 42, ""],
)
def test_a_tracking_url_must_be_a_web_page(url: object) -> None:
    body = _payload("easypost_tracker_updated.json")
    body["result"]["public_url"] = url
    (update,) = easypost.parse_webhook(body, now=NOW).updates
    assert update.tracking_url is None


def test_aftership_keeps_service_tracking_link_and_signature() -> None:
    body = _payload("aftership_tracking_update_2025.json")
    (update,) = aftership.parse_webhook(body, now=NOW).updates
    assert update.service == "USPS Ground Advantage"
    assert update.tracking_url == body["msg"]["courier_tracking_link"]
    assert all(e.signed_by is None for e in update.events)  # the fixture has none

    body["msg"]["signed_by"] = "JORDAN P"
    body["msg"]["courier_tracking_link"] = None
    body["msg"]["aftership_tracking_url"] = "https://northwind.aftership.com/9400111899223817576123"
    (update,) = aftership.parse_webhook(body, now=NOW).updates
    assert update.tracking_url == body["msg"]["aftership_tracking_url"]
    assert [(e.status, e.signed_by) for e in update.events if e.signed_by] == [
        (ShipmentStatus.DELIVERED, "JORDAN P")
    ]


def test_legacy_aftership_payload_has_service_and_link_too() -> None:
    body = _payload("aftership_tracking_update_legacy.json")
    (update,) = aftership.parse_webhook(body, now=NOW).updates
    assert update.service == "UPS Ground"
    assert update.tracking_url is not None and update.tracking_url.startswith("https://www.ups")


def _batch(*events: dict) -> normalised.BatchResult:
    return normalised.parse_batch({"events": list(events)}, now=NOW)


def _scan(code: str, hour: int, **kw: object) -> dict:
    return {
        "tracking_number": "1Z999AA10123456784",
        "occurred_at": f"2026-11-20T{hour:02d}:00:00Z",
        "code": code,
        **kw,
    }


def test_a_code_without_carrier_is_also_read_as_each_carriers_code() -> None:
    (update,) = _batch(_scan("OR", 8), _scan("AR", 9), _scan("OT", 10)).updates
    generic = [(e.status, e.substatus, e.recognised) for e in update.events]
    assert generic == [
        (ShipmentStatus.IN_TRANSIT, Substatus.UNRECOGNISED, False),
        (ShipmentStatus.IN_TRANSIT, Substatus.HUB_ARRIVAL, True),
        (ShipmentStatus.IN_TRANSIT, Substatus.UNRECOGNISED, False),
    ]
    ups = update.for_carrier("ups")
    assert ups.readings == ()
    assert [(e.status, e.substatus, e.recognised) for e in ups.events] == [
        (ShipmentStatus.IN_TRANSIT, Substatus.PICKED_UP, True),
        (ShipmentStatus.IN_TRANSIT, Substatus.HUB_ARRIVAL, True),
        (ShipmentStatus.OUT_FOR_DELIVERY, None, True),
    ]
    assert ups.events[1] is update.events[1]  # read the same: the same event
    # a reading is a scan of its own: the fingerprint follows the status it was read as
    assert ups.events[0].fingerprint != update.events[0].fingerprint
    assert (
        ups.events[0].fingerprint
        == _batch(_scan("OR", 8, carrier="ups")).updates[0].events[0].fingerprint
    )
    # carriers without a table of their own, or that read it the same, keep the generic one
    assert update.for_carrier("canada_post") is update
    assert update.for_carrier(None) is update


def test_a_named_carrier_or_a_generic_code_needs_no_readings() -> None:
    named, generic = _batch(_scan("OR", 8, carrier="ups"), _scan("DELIVERED", 9)).updates
    assert named.readings == () and generic.readings == ()
    assert named.for_carrier("fedex") is named  # the sender's carrier stands


def test_a_status_with_a_code_takes_the_substatus_of_the_shipments_carrier() -> None:
    (update,) = _batch(_scan("OR", 8, status="in_transit")).updates
    assert (update.events[0].substatus, update.events[0].recognised) == (None, True)
    ups = update.for_carrier("ups").events[0]
    assert (ups.status, ups.substatus) == (ShipmentStatus.IN_TRANSIT, Substatus.PICKED_UP)
