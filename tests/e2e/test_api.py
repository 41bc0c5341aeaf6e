"""The REST API over HTTP: intake, reads, errors as problem+json, and tenant isolation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from postpurchase.adapters.signatures import sign_postpurchase
from postpurchase.domain.carrier_detection import example_number
from tests.factories import ref


def order_body(**kw):
    body = {
        "external_id": ref("ext-"),
        "number": "#" + ref(),
        "email": f"{ref()}@example.com",
        "currency": "EUR",
        "locale": "de",
        "lines": [
            {"sku": "MUG", "name": "Mug", "quantity": 2, "unit_price": "12.50"},
            {"sku": "TEE", "name": "Tee", "quantity": 1, "unit_price": "20.00"},
        ],
        "shipping_address": {"country": "DE", "postal_code": "10115", "city": "Berlin"},
        "shipping_fee": "4.90",
        "placed_at": "2026-11-01T10:00:00+01:00",
    }
    body.update(kw)
    return body


def assert_problem(resp, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field, body
    return body


def test_order_lifecycle(server, make_tenant) -> None:
    t = make_tenant()
    with server.client(t.key) as c:
        r = c.post("/api/v1/orders", json=order_body(external_id="A-1"))
        assert r.status_code == 201, r.text
        order = r.json()
        assert order["total"] == {"amount": "49.90", "currency": "EUR"}
        assert order["status"] == "unfulfilled"
        assert order["tracking_url"].startswith(server.url + "/t/")
        assert order["placed_at"].startswith("2026-11-01T09:00:00")  # stored in UTC
        again = c.post("/api/v1/orders", json=order_body(external_id="A-1"))
        assert again.status_code == 200 and again.json()["id"] == order["id"]

        number = example_number("ups", random.Random(1))
        r = c.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={"tracking_number": number, "lines": [{"sku": "MUG", "quantity": 2}]},
        )
        assert r.status_code == 201, r.text
        shipment = r.json()
        assert (shipment["carrier"], shipment["tracking_valid"]) == ("ups", True)
        assert c.get(f"/api/v1/orders/{order['id']}").json()["status"] == "partially_shipped"

        events = {"events": [
            {"id": "e1", "tracking_number": number, "occurred_at": "2026-11-02T08:00:00Z",
             "status": "in_transit", "location": {"city": "Leipzig", "country": "DE"}},
            {"id": "e2", "tracking_number": number, "occurred_at": "2026-11-03T12:00:00Z",
             "status": "delivered"},
        ]}  # fmt: skip
        r = c.post("/webhooks/tracking/postpurchase", json=events)
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["new_events"] == 2
        s = c.get(f"/api/v1/shipments/{shipment['id']}").json()
        assert s["status"] == "delivered"
        assert [e["status"] for e in s["events"]] == ["delivered", "in_transit"]
        assert c.get(f"/api/v1/orders/{order['id']}").json()["status"] == "partially_delivered"

        r = c.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "too late"})
        assert_problem(r, 409, "status")
        r = c.post(
            f"/api/v1/orders/{order['id']}/shipments",
            json={"tracking_number": "1Z999AA10123456784", "carrier": "pigeon_post"},
        )
        assert_problem(r, 422, "carrier")
        before = c.get(f"/api/v1/orders/{order['id']}").json()
        assert len(before["shipments"]) == 1  # nothing stored by the refused request


def test_list_filters_and_cursor_pagination(server, make_tenant) -> None:
    t = make_tenant()
    with server.client(t.key) as c:
        base = datetime(2026, 10, 1, tzinfo=UTC)
        ids = []
        for i in range(7):
            body = order_body(placed_at=(base + timedelta(days=i)).isoformat(), email="x@y.com")
            ids.append(c.post("/api/v1/orders", json=body).json()["id"])
        c.post(f"/api/v1/orders/{ids[0]}/cancel")
        seen, cursor = [], None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = c.get("/api/v1/orders", params=params).json()
            seen += [o["id"] for o in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == list(reversed(ids))
        cancelled = c.get("/api/v1/orders", params={"status": "cancelled"}).json()["data"]
        assert [o["id"] for o in cancelled] == [ids[0]]
        window = c.get(
            "/api/v1/orders",
            params={"placed_from": "2026-10-03T00:00:00Z", "placed_to": "2026-10-05T00:00:00Z"},
        ).json()["data"]
        assert [o["id"] for o in window] == [ids[3], ids[2]]
        customer = c.get(f"/api/v1/orders/{ids[1]}").json()["customer_id"]
        by_customer = c.get("/api/v1/orders", params={"customer_id": customer}).json()["data"]
        assert len(by_customer) == 7
        assert_problem(c.get("/api/v1/orders", params={"cursor": "garbage!"}), 422, "cursor")
        assert_problem(c.get("/api/v1/orders", params={"status": "lost"}), 422, "status")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("currency"), "currency"),
        (lambda b: b.update(lines=[]), "lines"),
        (lambda b: b["lines"][0].update(quantity=0), "lines[0].quantity"),
        (lambda b: b["lines"][0].update(unit_price="abc"), "lines[0].unit_price"),
        (lambda b: b.update(placed_at="2026-11-01T10:00:00"), "placed_at"),
        (lambda b: b["shipping_address"].update(country="Germany"), "shipping_address.country"),
        (lambda b: b.update(email="not-an-email"), "email"),
        (lambda b: b.update(unknown_field=1), "unknown_field"),
        (lambda b: b.update(placed_at="2099-01-01T00:00:00Z"), "placed_at"),
        (lambda b: b.update(placed_at="1990-01-01T00:00:00Z"), "placed_at"),
        (lambda b: b.update(shipping_fee=-1), "shipping_fee"),
    ],
)
def test_bad_order_input_names_the_field(server, make_tenant, mutate, field) -> None:
    t = make_tenant()
    body = order_body()
    mutate(body)
    with server.client(t.key) as c:
        assert_problem(c.post("/api/v1/orders", json=body), 422, field)
        assert c.get("/api/v1/orders").json()["data"] == []


def test_malformed_json_and_auth_errors(server, make_tenant) -> None:
    t = make_tenant()
    with server.client(t.key) as c:
        r = c.post(
            "/api/v1/orders", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert_problem(r, 422)
    with server.client() as anon:
        assert_problem(anon.get("/api/v1/orders"), 401, "Authorization")
    with server.client("pp_wrong") as bad:
        assert_problem(bad.get("/api/v1/orders"), 401, "Authorization")


def test_tenants_never_see_each_other(server, make_tenant) -> None:
    a, b = make_tenant(), make_tenant()
    number = example_number("fedex", random.Random(2))
    with server.client(a.key) as ca, server.client(b.key) as cb:
        order = ca.post("/api/v1/orders", json=order_body()).json()
        shipment = ca.post(
            f"/api/v1/orders/{order['id']}/shipments", json={"tracking_number": number}
        ).json()
        assert cb.get("/api/v1/orders").json()["data"] == []
        assert_problem(cb.get(f"/api/v1/orders/{order['id']}"), 404)
        assert_problem(cb.post(f"/api/v1/orders/{order['id']}/cancel"), 404)
        assert_problem(
            cb.post(f"/api/v1/orders/{order['id']}/shipments", json={"tracking_number": number}),
            404,
        )
        assert_problem(cb.get(f"/api/v1/shipments/{shipment['id']}"), 404)
        scan = {"events": [{"tracking_number": number, "occurred_at": "2026-11-02T08:00:00Z",
                            "status": "delivered"}]}  # fmt: skip
        r = cb.post("/webhooks/tracking/postpurchase", json=scan)
        assert r.json()["results"][0]["result"] == "unknown_tracking_number"
        assert ca.get(f"/api/v1/shipments/{shipment['id']}").json()["status"] == "pending"
        assert ca.get(f"/api/v1/orders/{order['id']}").json()["status"] == "shipped"


def test_signed_tracking_webhook(server, make_tenant) -> None:
    t = make_tenant()
    number = example_number("usps", random.Random(3))
    with server.client(t.key) as c:
        order = c.post("/api/v1/orders", json=order_body()).json()
        c.post(f"/api/v1/orders/{order['id']}/shipments", json={"tracking_number": number})
    body = orjson.dumps({"events": [
        {"id": "s1", "tracking_number": number, "occurred_at": "2026-11-02T08:00:00Z",
         "status": "out_for_delivery"},
    ]})  # fmt: skip
    url = f"/webhooks/tracking/postpurchase?merchant={t.merchant.slug}"
    now = datetime.now(UTC)
    with server.client() as anon:
        good = {"X-Postpurchase-Signature": sign_postpurchase(body, t.tracking_secret, now)}
        assert anon.post(url, content=body, headers=good).status_code == 200
        replay = anon.post(url, content=body, headers=good).json()
        assert replay["results"][0]["duplicates"] == 1  # idempotent
        stale = sign_postpurchase(body, t.tracking_secret, now - timedelta(hours=1))
        r = anon.post(url, content=body, headers={"X-Postpurchase-Signature": stale})
        assert_problem(r, 401, "X-Postpurchase-Signature")
        wrong = sign_postpurchase(body, "not-the-secret", now)
        r = anon.post(url, content=body, headers={"X-Postpurchase-Signature": wrong})
        assert_problem(r, 401, "X-Postpurchase-Signature")
        assert_problem(anon.post(url, content=body), 401, "X-Postpurchase-Signature")
        r = anon.post(
            "/webhooks/tracking/postpurchase?merchant=no-such-shop", content=body, headers=good
        )
        # the same answer as a bad signature: the endpoint does not reveal which slugs exist
        assert_problem(r, 401, "X-Postpurchase-Signature")


def test_bad_scans_are_rejected_per_item_and_good_ones_kept(server, make_tenant) -> None:
    t = make_tenant()
    number = example_number("dhl", random.Random(4))
    with server.client(t.key) as c:
        order = c.post("/api/v1/orders", json=order_body()).json()
        sid = c.post(
            f"/api/v1/orders/{order['id']}/shipments", json={"tracking_number": number}
        ).json()["id"]
        far = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        batch = {"events": [
            {"id": "a", "tracking_number": number, "occurred_at": "2026-11-02T08:00:00Z",
             "status": "in_transit"},
            {"id": "a", "tracking_number": number, "occurred_at": "2026-11-02T09:00:00Z",
             "status": "in_transit"},
            {"id": "b", "tracking_number": number, "occurred_at": far, "status": "delivered"},
            {"id": "c", "tracking_number": number, "occurred_at": "1999-01-01T00:00:00Z",
             "status": "delivered"},
            {"id": "d", "tracking_number": number, "occurred_at": "2026-11-02T10:00:00Z",
             "status": "teleported"},
            {"id": "e", "tracking_number": 42, "occurred_at": "2026-11-02T10:00:00Z",
             "status": "in_transit"},
        ]}  # fmt: skip
        r = c.post("/webhooks/tracking/postpurchase", json=batch)
        assert r.status_code == 200
        body = r.json()
        assert body["accepted"] == 1
        fields = sorted(e["field"] for e in body["errors"])
        assert fields == [
            "events[1].id", "events[2].occurred_at", "events[3].occurred_at",
            "events[4].status", "events[5].tracking_number",
        ]  # fmt: skip
        assert c.get(f"/api/v1/shipments/{sid}").json()["status"] == "in_transit"
        too_many = {"events": [batch["events"][0]] * 1001}
        assert_problem(c.post("/webhooks/tracking/postpurchase", json=too_many), 422, "events")
        only_bad = {"events": batch["events"][4:5]}
        assert_problem(c.post("/webhooks/tracking/postpurchase", json=only_bad), 422)
        assert len(c.get(f"/api/v1/shipments/{sid}").json()["events"]) == 1
        assert_problem(c.post("/webhooks/tracking/nowhere", json={"events": []}), 404, "source")


def test_openapi_documents_the_api(server) -> None:
    with server.client() as c:
        spec = c.get("/openapi.json").json()
        assert c.get("/docs").status_code == 200
    assert "/api/v1/orders" in spec["paths"]
    assert "/api/v1/orders/{order_id}/shipments" in spec["paths"]
