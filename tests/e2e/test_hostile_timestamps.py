"""Timestamps at the edge of the calendar, over HTTP: whose conversion to UTC overflows
(``9999-12-31T23:59:59-05:00``, ``0001-01-01T00:00:00+05:00``) or outside 1970-2100. Each
refuses only its own item, naming the field, in every format; nothing is a 500."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postpurchase.domain.carrier_detection import example_number
from tests.e2e.test_api import assert_problem, order_body
from tests.e2e.test_inbound_webhooks import SHOPIFY_KEY, shopify_headers

PAYLOADS = Path(__file__).parent.parent / "fixtures" / "payloads"

HOSTILE = [
    "9999-12-31T23:59:59-05:00",  # past year 9999 in UTC
    "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
    "2150-06-01T00:00:00+02:00",  # converts, but after the window
]


def _scan_times() -> tuple[str, str]:
    now = datetime.now(UTC).replace(microsecond=0)
    return (now - timedelta(hours=5)).isoformat(), (now - timedelta(hours=1)).isoformat()


def _shipment(server, key: str, carrier: str, seed: int) -> tuple[str, str]:
    number = example_number(carrier, random.Random(seed))
    with server.client(key) as c:
        order = c.post("/api/v1/orders", json=order_body()).json()
        r = c.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={"tracking_number": number, "carrier": carrier},
        )
        assert r.status_code == 201, r.text
        return number, r.json()["id"]


def _two_of_three(server, key: str, sid: str, body: dict, source: str, field: str) -> None:
    with server.client(key) as c:
        r = c.post(f"/webhooks/tracking/{source}", json=body)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["accepted"] == 2
        assert answer["rejected"] == 1
        [error] = answer["errors"]
        assert error["index"] == 1 and error["field"] == field, error
        assert "1970-01-01" in error["error"] and "2100-01-01" in error["error"]
        assert len(c.get(f"/api/v1/shipments/{sid}").json()["events"]) == 2


@pytest.mark.parametrize("stamp", HOSTILE)
def test_our_batch_refuses_only_the_item(server, make_tenant, stamp: str) -> None:
    t = make_tenant()
    number, sid = _shipment(server, t.key, "ups", 11)
    first, last = _scan_times()
    body = {"events": [
        {"tracking_number": number, "occurred_at": first, "status": "in_transit"},
        {"tracking_number": number, "occurred_at": stamp, "status": "delivered"},
        {"tracking_number": number, "occurred_at": last, "status": "out_for_delivery"},
    ]}  # fmt: skip
    _two_of_three(server, t.key, sid, body, "postpurchase", "events[1].occurred_at")


@pytest.mark.parametrize("stamp", HOSTILE)
def test_aftership_refuses_only_the_checkpoint(server, make_tenant, stamp: str) -> None:
    t = make_tenant()
    number, sid = _shipment(server, t.key, "usps", 12)
    first, last = _scan_times()
    body = {
        "event": "tracking_update",
        "event_id": str(uuid.uuid4()),
        "msg": {
            "tracking_number": number,
            "slug": "usps",
            "checkpoints": [
                {"checkpoint_time": first, "tag": "InTransit", "message": "Departed"},
                {"checkpoint_time": stamp, "tag": "Delivered", "message": "Delivered"},
                {"checkpoint_time": last, "tag": "OutForDelivery", "message": "Out"},
            ],
        },
    }
    _two_of_three(server, t.key, sid, body, "aftership", "msg.checkpoints[1].checkpoint_time")


@pytest.mark.parametrize("stamp", HOSTILE)
def test_easypost_refuses_only_the_detail(server, make_tenant, stamp: str) -> None:
    t = make_tenant()
    number, sid = _shipment(server, t.key, "fedex", 13)
    first, last = _scan_times()
    body = {
        "object": "Event",
        "id": "evt_" + uuid.uuid4().hex,
        "description": "tracker.updated",
        "result": {
            "object": "Tracker",
            "tracking_code": number,
            "carrier": "FedEx",
            "tracking_details": [
                {"datetime": first, "status": "in_transit", "message": "Departed"},
                {"datetime": stamp, "status": "delivered", "message": "Delivered"},
                {"datetime": last, "status": "out_for_delivery", "message": "Out"},
            ],
        },
    }
    _two_of_three(server, t.key, sid, body, "easypost", "result.tracking_details[1].datetime")


@pytest.mark.parametrize("stamp", HOSTILE)
def test_api_placed_at_is_a_422_naming_the_field(server, make_tenant, stamp: str) -> None:
    t = make_tenant()
    with server.client(t.key) as c:
        assert_problem(c.post("/api/v1/orders", json=order_body(placed_at=stamp)), 422, "placed_at")
        assert c.get("/api/v1/orders").json()["data"] == []
        r = c.get("/api/v1/orders", params={"placed_from": HOSTILE[0]})
        assert_problem(r, 422, "placed_from")


@pytest.mark.parametrize("stamp", HOSTILE)
def test_shopify_order_created_at_is_a_422_naming_the_field(
    server, make_tenant, stamp: str
) -> None:
    t = make_tenant()
    t.set_secrets(shopify_webhook_secret=SHOPIFY_KEY)
    order = json.loads((PAYLOADS / "shopify_order.json").read_bytes())
    order["created_at"] = stamp
    raw = json.dumps(order).encode()
    headers = shopify_headers(raw, SHOPIFY_KEY, "orders/create", "h-" + uuid.uuid4().hex)
    with server.client() as c:
        r = c.post(f"/webhooks/shopify/{t.merchant.slug}", content=raw, headers=headers)
        assert_problem(r, 422, "created_at")
