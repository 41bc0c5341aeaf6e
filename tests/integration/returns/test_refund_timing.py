"""Refund timing as a policy choice, over HTTP on both backends: paid at the return parcel's
first carrier scan, on arrival, or after inspection (the default); receiving without
refunding; the store paid once whichever moment pays; the statutory deadline in one line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from postpurchase.adapters.outbox import drain
from tests.factories import T0, normalised_event, ups_number
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_returns_store_exchange import (
    Store,
    connect,
    mug_ask,
    put_policy,
    shop_order,
)
from tests.integration.returns.test_returns_store_exchange import (
    store as store,  # the fixture
)


def _work(shop: Shop) -> None:
    drain(shop.platform.engine, shop.platform.subscribers, now=shop.clock.now)


def _labelled(shop: Shop, order: Any, number: str, **kw: Any) -> str:
    c = shop.client
    r = c.post(f"/api/v1/orders/{order.id}/returns", json=mug_ask(order, **kw))
    assert r.status_code == 201, r.text
    rid = str(r.json()["id"])
    label = {"carrier": "ups", "tracking_number": number}
    assert c.post(f"/api/v1/returns/{rid}/label", json=label).status_code == 200
    _work(shop)  # the return leg is created
    return rid


def _scan(shop: Shop, number: str, hours: float, status: str, eid: str) -> None:
    body = {"events": [normalised_event(number, hours, status, id=eid)]}
    latest = T0 + timedelta(hours=hours + 1)
    if shop.clock.current < latest:
        shop.clock.current = latest
    r = shop.client.post("/webhooks/tracking/postpurchase", json=body)
    assert r.status_code == 200, r.text
    _work(shop)


def _put_away(shop: Shop, order: Any, rid: str) -> dict[str, Any]:
    lines = [{"order_line_id": order.lines[0].id, "grade": "resellable"}]
    r = shop.client.post(f"/api/v1/returns/{rid}/inspect", json={"lines": lines})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_first_scan_pays_through_the_store_once_and_resolve_closes_it(
    shop: Shop, store: Store
) -> None:
    connect(shop)
    put_policy(shop, {"refund_timing": "first_scan"})
    order = shop_order(shop)
    number = ups_number()
    rid = _labelled(shop, order, number)
    c = shop.client
    assert c.get(f"/api/v1/returns/{rid}/refund-terms").json()["paid"] is False
    _scan(shop, number, 150, "in_transit", "a")
    body = c.get(f"/api/v1/returns/{rid}").json()
    assert body["status"] == "in_transit"  # paid, and still on its way back
    assert [(e["kind"], e["reference"]) for e in body["ledger"]] == [
        ("refund", f"shopify:rf-return-{rid}")
    ]
    (asked,) = store.paid
    assert asked.idempotency_key == f"return-{rid}"
    terms = c.get(f"/api/v1/returns/{rid}/refund-terms").json()
    assert terms["paid"] is True and terms["refund_timing"] == "first_scan"
    # The same scan replayed, then the delivery: nothing is paid again.
    _scan(shop, number, 150, "in_transit", "a")
    _scan(shop, number, 190, "delivered", "b")
    assert c.get(f"/api/v1/returns/{rid}").json()["status"] == "received"
    assert _put_away(shop, order, rid)["status"] == "restocked"
    done = c.post(f"/api/v1/returns/{rid}/resolve")
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["status"] == "refunded"
    assert out["resolution_reference"] == f"shopify:rf-return-{rid}"
    assert [e["kind"] for e in out["ledger"]] == ["refund"]
    assert len(store.paid) == 1


def test_arrival_pays_when_the_parcel_is_delivered_back_not_at_the_first_scan(
    shop: Shop,
) -> None:
    put_policy(shop, {"refund_timing": "arrival"})
    order = shop.delivered_order()
    number = ups_number()
    rid = _labelled(shop, order, number)
    c = shop.client
    _scan(shop, number, 150, "in_transit", "a")
    body = c.get(f"/api/v1/returns/{rid}").json()
    assert body["status"] == "in_transit" and body["ledger"] == []
    _scan(shop, number, 190, "delivered", "b")
    body = c.get(f"/api/v1/returns/{rid}").json()
    assert body["status"] == "received"
    assert [(e["kind"], e["amount"]["amount"]) for e in body["ledger"]] == [
        ("refund", body["refund"]["amount"])
    ]


def test_arrival_at_the_counter_pays_and_receive_without_refund_holds_it(shop: Shop) -> None:
    put_policy(shop, {"refund_timing": "arrival"})
    c = shop.client
    order = shop.delivered_order()
    first = c.post(f"/api/v1/orders/{order.id}/returns", json=mug_ask(order)).json()["id"]
    got = c.post(f"/api/v1/returns/{first}/receive").json()
    assert got["status"] == "received" and [e["kind"] for e in got["ledger"]] == ["refund"]

    other = shop.delivered_order()
    held = c.post(f"/api/v1/orders/{other.id}/returns", json=mug_ask(other)).json()["id"]
    r = c.post(f"/api/v1/returns/{held}/receive-without-refund")
    assert r.status_code == 200 and r.json()["status"] == "received"
    assert c.get(f"/api/v1/returns/{held}").json()["ledger"] == []
    assert _put_away(shop, other, held)["status"] == "restocked"
    done = c.post(f"/api/v1/returns/{held}/resolve").json()
    assert done["status"] == "refunded" and [e["kind"] for e in done["ledger"]] == ["refund"]


def test_inspection_is_the_default_and_nothing_is_paid_before(shop: Shop) -> None:
    order = shop.delivered_order()
    number = ups_number()
    rid = _labelled(shop, order, number)
    _scan(shop, number, 150, "in_transit", "a")
    _scan(shop, number, 190, "delivered", "b")
    body = shop.client.get(f"/api/v1/returns/{rid}").json()
    assert body["status"] == "received" and body["ledger"] == []
    terms = shop.client.get(f"/api/v1/returns/{rid}/refund-terms").json()
    assert terms["refund_timing"] == "inspection" and terms["paid"] is False


def test_store_credit_is_credited_early_with_its_bonus(shop: Shop) -> None:
    put_policy(shop, {"refund_timing": "first_scan", "store_credit_bonus_rate": "0.10"})
    order = shop.delivered_order()
    number = ups_number()
    rid = _labelled(shop, order, number, resolution="store_credit")
    _scan(shop, number, 150, "in_transit", "a")
    body = shop.client.get(f"/api/v1/returns/{rid}").json()
    assert [e["kind"] for e in body["ledger"]] == ["store_credit"]


def test_the_eu_refund_deadline_is_explained_in_one_line(shop: Shop) -> None:
    c = shop.client
    order = shop.delivered_order(country="DE", currency="EUR")
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=mug_ask(order)).json()["id"]
    waiting = c.get(f"/api/v1/returns/{rid}/refund-terms").json()
    assert waiting["rule"] == "statutory.refund_withheld" and waiting["statutory_due_by"] is None
    c.post(f"/api/v1/returns/{rid}/receive")
    terms = c.get(f"/api/v1/returns/{rid}/refund-terms").json()
    assert terms["rule"] == "statutory.refund_deadline"
    assert terms["statutory_due_by"].startswith("2026-11-20")  # asked on Nov 6, + 14 days
    assert "\n" not in terms["explanation"]
    us = shop.delivered_order()
    rid_us = c.post(f"/api/v1/orders/{us.id}/returns", json=mug_ask(us)).json()["id"]
    assert c.get(f"/api/v1/returns/{rid_us}/refund-terms").json()["rule"] == "refund.merchant"


def test_a_bad_refund_timing_is_refused_naming_it(shop: Shop, other_shop: Shop) -> None:
    r = shop.client.put("/api/v1/returns/policy", json={"refund_timing": "whenever"})
    assert r.status_code == 422 and "refund_timing" in r.json()["field"], r.text
    order = shop.delivered_order()
    rid = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=mug_ask(order)).json()["id"]
    assert other_shop.client.get(f"/api/v1/returns/{rid}/refund-terms").status_code == 404
    no = other_shop.client.post(f"/api/v1/returns/{rid}/receive-without-refund")
    assert no.status_code == 404
