"""Tracking webhooks on SQLite and PostgreSQL, inline and deferred: a scan without a carrier
is read with the shipment's carrier, and EasyPost's signed_by, service and public_url are
kept (on the delivered scan, and on the shipment when it has none)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.worker import fold_tracking
from postpurchase.service_layer import handlers
from tests.factories import place_order, ref, ups_number
from tests.fakes import FakeClock

PAYLOADS = Path(__file__).parent.parent / "fixtures" / "payloads"
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(params=["inline", "deferred"])
def platform(request: pytest.FixtureRequest, engine) -> Platform:
    settings = Settings(tracking_ingest=request.param)
    return bootstrap(settings, engine=engine, clock=FakeClock(NOW), notifications=False)


def _tenant(platform: Platform, **shipment: object) -> tuple[str, str, str]:
    merchant, key, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Reads " + ref())
    order = platform.bus().handle(place_order(merchant.id))
    sid = platform.bus().handle(commands.CreateShipment(merchant.id, order.id, **shipment)).id
    return merchant.id, key, sid


def _post(client: TestClient, key: str, source: str, body: object) -> dict:
    r = client.post(
        f"/webhooks/tracking/{source}",
        content=orjson.dumps(body),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _settle(platform: Platform) -> None:
    if platform.settings.tracking_ingest == "deferred":
        fold_tracking(platform)


def test_a_scan_without_carrier_is_read_as_the_shipments_carrier(platform, engine) -> None:
    number = ups_number()
    merchant_id, key, sid = _tenant(platform, tracking_number=number, carrier="ups")
    events = [
        {"id": "s1", "tracking_number": number, "occurred_at": "2026-11-24T08:00:00-05:00",
         "code": "OR", "description": "Origin scan"},
        {"id": "s2", "tracking_number": number, "occurred_at": "2026-11-25T06:30:00-05:00",
         "code": "OT", "description": "Out for delivery today"},
    ]  # fmt: skip
    with TestClient(create_app(platform)) as client:
        answer = _post(client, key, "postpurchase", {"events": events})
        assert (answer["accepted"], answer["rejected"]) == (2, 0)
        assert [(r["result"], r["new_events"]) for r in answer["results"]] == [("accepted", 2)]
        _settle(platform)
        shipment = client.get(
            f"/api/v1/shipments/{sid}", headers={"Authorization": f"Bearer {key}"}
        ).json()
        again = _post(client, key, "postpurchase", {"events": events})
        assert again["results"][0]["duplicates"] == 2
    assert shipment["status"] == "out_for_delivery"
    assert [(e["carrier_code"], e["status"], e["substatus"], e["recognised"])
            for e in shipment["events"]] == [
        ("OT", "out_for_delivery", None, True),
        ("OR", "in_transit", "picked_up", True),
    ]  # fmt: skip
    with engine.connect() as c:
        counted = c.execute(
            select(t.unrecognised_codes).where(t.unrecognised_codes.c.merchant_id == merchant_id)
        ).all()
    assert counted == []


def test_a_delivered_easypost_update_keeps_signature_service_and_page(platform, engine) -> None:
    body = json.loads((PAYLOADS / "easypost_tracker_updated.json").read_text())
    tracker = body["result"]
    _, key, sid = _tenant(platform, tracking_number=tracker["tracking_code"], carrier="fedex")
    with TestClient(create_app(platform)) as client:
        answer = _post(client, key, "easypost", body)
        assert answer["results"][0]["new_events"] == len(tracker["tracking_details"])
        _settle(platform)
        shipment = client.get(
            f"/api/v1/shipments/{sid}", headers={"Authorization": f"Bearer {key}"}
        ).json()
    assert shipment["status"] == "delivered"
    assert shipment["tracking_url"] == tracker["public_url"]
    assert shipment["service"] == "FEDEX_GROUND"
    newest, *older = shipment["events"]
    assert (newest["status"], newest["signed_by"]) == ("delivered", "J. PATEL")
    assert all(e["signed_by"] is None for e in older)
    with engine.connect() as c:
        row = c.execute(
            select(t.shipments.c.tracking_url, t.shipments.c.service).where(t.shipments.c.id == sid)
        ).one()
        signed = (
            c.execute(
                select(t.tracking_events.c.signed_by).where(
                    t.tracking_events.c.shipment_id == sid,
                    t.tracking_events.c.signed_by.is_not(None),
                )
            )
            .scalars()
            .all()
        )
    assert tuple(row) == (tracker["public_url"], "FEDEX_GROUND")
    assert signed == ["J. PATEL"]


def test_a_source_never_overwrites_what_the_store_said(platform) -> None:
    body = json.loads((PAYLOADS / "easypost_tracker_updated.json").read_text())
    tracker = body["result"]
    page = "https://shop.example/pages/track?n=" + tracker["tracking_code"]
    _, key, sid = _tenant(
        platform,
        tracking_number=tracker["tracking_code"],
        carrier="fedex",
        service="express",
        tracking_url=page,
    )
    with TestClient(create_app(platform)) as client:
        _post(client, key, "easypost", body)
        _settle(platform)
        shipment = client.get(
            f"/api/v1/shipments/{sid}", headers={"Authorization": f"Bearer {key}"}
        ).json()
    assert (shipment["service"], shipment["tracking_url"]) == ("express", page)
    assert shipment["status"] == "delivered"


def test_aftership_service_and_tracking_link_reach_the_shipment(platform) -> None:
    body = json.loads((PAYLOADS / "aftership_tracking_update_2025.json").read_text())
    msg = body["msg"]
    _, key, sid = _tenant(platform, tracking_number=msg["tracking_number"], carrier="usps")
    with TestClient(create_app(platform)) as client:
        _post(client, key, "aftership", body)
        _settle(platform)
        shipment = client.get(
            f"/api/v1/shipments/{sid}", headers={"Authorization": f"Bearer {key}"}
        ).json()
    assert shipment["status"] == "delivered"
    assert shipment["service"] == "USPS Ground Advantage"
    assert shipment["tracking_url"] == msg["courier_tracking_link"]
