"""Return flows through the notification engine, both backends: approved, label ready,
received, refunded each become one message per return (two returns, two messages), rendered
with the return's link and amount; a gift return tells the giver nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from postpurchase.entrypoints.api.app import create_app
from tests.factories import place_order, scan, ups_number
from tests.integration.notifications.conftest import Notify


@pytest.fixture
def api(notify: Notify) -> Iterator[TestClient]:
    with TestClient(create_app(notify.platform)) as c:
        c.headers["Authorization"] = f"Bearer {notify.api_key}"
        yield c


def delivered(notify: Notify) -> str:
    bus = notify.platform.bus()
    order = bus.handle(place_order(notify.merchant.id))
    bus.handle(
        commands.CreateShipment(
            notify.merchant.id, order.id, ups_number(),
            events=(scan(1, ShipmentStatus.IN_TRANSIT), scan(2, ShipmentStatus.DELIVERED)),
        )
    )  # fmt: skip
    return str(order.id)


def return_one(api: TestClient, order_id: str, **kw: object) -> str:
    line = api.get(f"/api/v1/orders/{order_id}").json()["lines"][0]["id"]
    body = {"lines": [{"order_line_id": line, "quantity": 1, "reason": "too_small"}], **kw}
    r = api.post(f"/api/v1/orders/{order_id}/returns", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_each_step_of_a_return_is_one_message(notify: Notify, api: TestClient) -> None:
    order_id = delivered(notify)
    rid = return_one(api, order_id)
    label = {"carrier": "ups", "tracking_number": "1Z999AA10123456784"}
    assert api.post(f"/api/v1/returns/{rid}/label", json=label).status_code == 200
    api.post(f"/api/v1/returns/{rid}/receive")
    line = api.get(f"/api/v1/returns/{rid}").json()["lines"][0]["order_line_id"]
    api.post(f"/api/v1/returns/{rid}/inspect",
             json={"lines": [{"order_line_id": line, "grade": "resellable"}]})  # fmt: skip
    assert api.post(f"/api/v1/returns/{rid}/resolve").status_code == 200
    notify.drain()
    mine = [m for m in notify.messages(order_id=order_id) if m["flow"].startswith("return_")]
    assert [m["flow"] for m in mine] == [
        "return_approved", "return_label_ready", "return_received", "return_refunded",
    ]  # fmt: skip
    assert {m["subject_id"] for m in mine} == {rid}
    assert all(m["status"] in ("queued", "sending", "sent") for m in mine), mine
    refunded = mine[-1]
    assert "12.50" in refunded["body_text"] and "/returns/o/" in refunded["body_text"]
    assert "1Z999AA10123456784" in mine[1]["body_text"]

    second = return_one(api, order_id)  # the other mug: its own messages
    notify.drain()
    approved = notify.messages(order_id=order_id, flow="return_approved")
    assert sorted(m["subject_id"] for m in approved) == sorted([rid, second])


def test_a_gift_return_tells_the_giver_nothing(notify: Notify, api: TestClient) -> None:
    order_id = delivered(notify)
    return_one(api, order_id, gift=True, resolution="store_credit")
    notify.drain()
    assert [m for m in notify.messages(order_id=order_id) if m["flow"].startswith("return_")] == []
