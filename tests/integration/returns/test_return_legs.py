"""The return parcel tracked exactly like an outbound one, over HTTP on both backends: a
tracking number on the return becomes a shipment (a return leg) through the ordinary
pipeline, and scans ingested in the documented format move the return, in any order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.outbox import drain
from tests.factories import normalised_event, ups_number
from tests.integration.returns.conftest import Shop


def _work(shop: Shop) -> None:
    """What the worker does between requests: drain the outbox (at least once)."""
    drain(shop.platform.engine, shop.platform.subscribers, now=shop.clock.now)


def _return_with_label(shop: Shop, number: str) -> tuple[Any, str]:
    c = shop.client
    order = shop.delivered_order()
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}]}
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
    r = c.post(f"/api/v1/returns/{rid}/label", json={"carrier": "ups", "tracking_number": number})
    assert r.status_code == 200 and r.json()["status"] == "label_issued", r.text
    return order, rid


def _ingest(shop: Shop, *events: dict[str, Any]) -> dict[str, Any]:
    """Scans in our documented format, posted once the clock has passed them."""
    latest = max(datetime.fromisoformat(e["occurred_at"]) for e in events)
    if shop.clock.current < latest + timedelta(hours=1):
        shop.clock.current = latest + timedelta(hours=1)
    r = shop.client.post("/webhooks/tracking/postpurchase", json={"events": list(events)})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _status(shop: Shop, rid: str) -> str:
    return str(shop.client.get(f"/api/v1/returns/{rid}").json()["status"])


def test_scans_of_the_return_parcel_move_the_return(shop: Shop, other_shop: Shop) -> None:
    number = ups_number()
    order, rid = _return_with_label(shop, number)
    c = shop.client
    assert c.get(f"/api/v1/returns/{rid}/shipment").json()["field"] == "shipment"  # not yet
    _work(shop)
    leg = c.get(f"/api/v1/returns/{rid}/shipment")
    assert leg.status_code == 200, leg.text
    shipment = leg.json()["shipment"]
    assert (shipment["carrier"], shipment["tracking_number"]) == ("ups", number)
    assert shipment["tracking_valid"] is True and shipment["status"] == "pending"
    # The leg is not a parcel of the order: the order stays delivered, no "shipped" event.
    assert c.get(f"/api/v1/orders/{order.id}").json()["status"] == "delivered"
    with shop.platform.engine.connect() as conn:
        topics = {
            row.topic
            for row in conn.execute(
                select(t.outbox.c.topic).where(t.outbox.c.merchant_id == shop.merchant_id)
            )
        }
    assert "ReturnShipmentCreated" in topics

    # Label paperwork only: the carrier does not hold the parcel yet.
    _ingest(shop, normalised_event(number, 150, "info_received", id="r0"))
    _work(shop)
    assert _status(shop, rid) == "label_issued"
    # First carrier scan: in transit.
    out = _ingest(shop, normalised_event(number, 160, "in_transit", id="r1"))
    assert out["results"][0]["result"] == "accepted" and out["results"][0]["new_events"] == 1
    _work(shop)
    assert _status(shop, rid) == "in_transit"
    # The same scan again changes nothing.
    again = _ingest(shop, normalised_event(number, 160, "in_transit", id="r1"))
    assert again["results"][0]["duplicates"] == 1
    _work(shop)
    assert _status(shop, rid) == "in_transit"
    # Delivered back to the returns address: received.
    _ingest(shop, normalised_event(number, 200, "delivered", id="r2"))
    _work(shop)
    body = c.get(f"/api/v1/returns/{rid}").json()
    assert body["status"] == "received"
    assert [h["status"] for h in body["history"]][-2:] == ["in_transit", "received"]
    detail = c.get(f"/api/v1/orders/{order.id}").json()
    assert detail["status"] == "delivered"
    assert number not in [x["tracking_number"] for x in detail["shipments"]]  # not the order's
    assert c.get(f"/api/v1/returns/{rid}/shipment").json()["shipment"]["status"] == "delivered"
    page = c.get(f"/t/{order.tracking_token}")
    assert page.status_code == 200 and number not in page.text  # nor on the tracking page

    # Another merchant sees neither the return's parcel nor can move it.
    assert other_shop.client.get(f"/api/v1/returns/{rid}/shipment").status_code == 404
    theirs = other_shop.client.post(
        "/webhooks/tracking/postpurchase",
        json={"events": [normalised_event(number, 210, "exception", id="x")]},
    ).json()
    assert theirs["results"][0]["result"] == "unknown_tracking_number"


def test_a_delivery_stored_before_the_pickup_scan_still_ends_received(shop: Shop) -> None:
    """Out of order: the delivery arrives first (the return goes in transit then received,
    each dated by its scan); the late pickup scan moves nothing back."""
    number = ups_number()
    _, rid = _return_with_label(shop, number)
    _work(shop)
    _ingest(shop, normalised_event(number, 200, "delivered", id="d"))
    _work(shop)
    body = shop.client.get(f"/api/v1/returns/{rid}").json()
    assert body["status"] == "received"
    assert [h["status"] for h in body["history"]][-3:] == ["label_issued", "in_transit", "received"]
    _ingest(shop, normalised_event(number, 150, "in_transit", id="p"))
    _work(shop)
    assert _status(shop, rid) == "received"
    leg = shop.client.get(f"/api/v1/returns/{rid}/shipment").json()["shipment"]
    assert leg["status"] == "delivered" and len(leg["events"]) == 2


def test_a_label_made_elsewhere_with_an_unknown_carrier_is_tracked_by_its_number(
    shop: Shop,
) -> None:
    """A self-shipped parcel: the merchant records the number the shopper gave; carrier
    detection from the number decides the carrier, as for an outbound parcel."""
    c = shop.client
    order = shop.delivered_order()
    body = {"lines": [{"order_line_id": order.lines[1].id, "quantity": 1, "reason": "too_small"}]}
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
    number = ups_number()
    r = c.post(
        f"/api/v1/returns/{rid}/label", json={"carrier": "pigeon", "tracking_number": number}
    )
    assert r.status_code == 200, r.text
    _work(shop)
    leg = c.get(f"/api/v1/returns/{rid}/shipment").json()["shipment"]
    assert leg["carrier"] == "ups"
    _ingest(shop, normalised_event(number, 170, "in_transit", id="s1"))
    _work(shop)
    assert _status(shop, rid) == "in_transit"
