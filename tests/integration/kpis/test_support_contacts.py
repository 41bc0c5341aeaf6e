"""Support contacts on both backends: recorded through the API and the signed helpdesk
webhook (our signature, Zendesk's, Gorgias's header), recognised, linked to the order,
judged at the moment they were made, counted per 100 orders; tenants apart."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from tests.factories import T0
from tests.integration.kpis.shop import Shop

from postpurchase.adapters import signatures
from postpurchase.service_layer import merchant_secrets

PROMISE = date(2026, 11, 4)


def helpdesk_secret(shop: Shop) -> str:
    return merchant_secrets.rotate_helpdesk_secret(
        shop.platform.uow(), shop.clock, shop.merchant_id
    )


def post_signed(shop: Shop, body: dict[str, Any], secret: str, **params: str) -> Any:
    raw = json.dumps(body).encode()
    header = signatures.sign_postpurchase(raw, secret, shop.clock.now())
    return shop.client.post(
        f"/webhooks/helpdesk/{shop.slug}", content=raw, params=params,
        headers={"Authorization": "", signatures.POSTPURCHASE_HEADER: header,
                 "Content-Type": "application/json"},
    )  # fmt: skip


def test_an_api_contact_is_recognised_linked_and_judged(shop: Shop) -> None:
    order_id, _ = shop.parcel(promise=PROMISE, email="ada@example.com")
    shop.clock.current = T0 + timedelta(days=1)  # in transit, promise not yet passed
    body = {
        "ticket_id": "101",
        "customer_email": "ADA@example.com",
        "subject": "Where is my order?",
    }
    got = shop.client.post("/api/v1/support/contacts", json=body)
    assert got.status_code == 201, got.text
    c = got.json()
    assert c["order_status_contact"] and c["recognised_by"] == "subject"
    assert c["order_id"] == order_id and c["carrier"] == "ups"
    assert c["state_when_made"] == "on_time" and c["preventable"] == "messaging_gap"
    again = shop.client.post("/api/v1/support/contacts", json={**body, "subject": "changed"})
    assert again.status_code == 200 and again.json()["id"] == c["id"]  # first recorded wins


def test_a_contact_after_the_promise_passed_is_after_an_exception(shop: Shop) -> None:
    order_id, _ = shop.parcel(promise=PROMISE, number="#55012")
    shop.parcel(promise=PROMISE, number="#55013")
    shop.clock.current = T0 + timedelta(days=6)  # promised 4 Nov, not delivered on the 7th
    got = shop.client.post(
        "/api/v1/support/contacts",
        json={"ticket_id": "z-9", "subject": "Bestellung Nr. 55012 fehlt",
              "tags": ["wismo", "vip"]},
    )  # fmt: skip
    c = got.json()
    assert got.status_code == 201, got.text
    assert c["order_id"] == order_id and c["recognised_by"] == "tag"
    assert c["state_when_made"] == "late" and c["preventable"] == "after_exception"


def test_contacts_per_100_orders_by_preventability(shop: Shop) -> None:
    for i in range(4):
        shop.parcel(promise=PROMISE, email=f"p{i}@example.com")
    shop.clock.current = T0 + timedelta(days=1)
    for i, subject in enumerate(["where is my order", "Où est ma commande ?", "Invoice please"]):
        shop.client.post(
            "/api/v1/support/contacts",
            json={"ticket_id": f"t{i}", "customer_email": f"p{i}@example.com", "subject": subject},
        )
    params = {"from": "2026-11-01", "to": "2026-11-02"}
    s = shop.client.get("/api/v1/kpis/contacts", params=params).json()["summary"]
    assert s["orders"] == 4 and s["contacts"] == 3 and s["order_status_contacts"] == 2
    assert s["order_status_contacts_per_100_orders"] == 50.0
    assert s["messaging_gap_per_100_orders"] == 50.0
    listed = shop.client.get("/api/v1/support/contacts", params={**params, "order_status": "true"})
    assert {c["ticket_id"] for c in listed.json()} == {"t0", "t1"}
    text = shop.client.get("/api/v1/support/contacts.csv", params=params).text
    assert len(list(csv.DictReader(io.StringIO(text)))) == 3


def test_the_webhook_accepts_our_signature_zendesks_and_a_gorgias_token(shop: Shop) -> None:
    secret = helpdesk_secret(shop)
    body = {"ticket_id": 1, "subject": "Where is my parcel", "tags": "shipping, vip",
            "customer_email": "",  # a helpdesk placeholder with nothing behind it
            "via": {"channel": "email"}}  # fmt: skip
    ours = post_signed(shop, body, secret, source="helpdesk")
    assert ours.status_code == 201, ours.text
    assert ours.json()["source"] == "helpdesk"

    assert ours.json()["ticket_id"] == "1"  # a helpdesk's numeric id, kept as text
    assert ours.json()["tags"] == ["shipping", "vip"] and ours.json()["recognised_by"] == "tag"
    raw = json.dumps({**body, "ticket_id": "2"}).encode()
    stamp = shop.clock.now().isoformat().replace("+00:00", "Z")
    zendesk = shop.client.post(
        f"/webhooks/helpdesk/{shop.slug}?source=zendesk", content=raw,
        headers={"Authorization": "", signatures.ZENDESK_HEADER:
                 signatures.sign_zendesk(raw, secret, stamp),
                 signatures.ZENDESK_TIMESTAMP_HEADER: stamp},
    )  # fmt: skip
    assert zendesk.status_code == 201, zendesk.text
    assert zendesk.json()["source"] == "zendesk"

    gorgias = shop.client.post(
        f"/webhooks/helpdesk/{shop.slug}?source=gorgias",
        content=json.dumps({**body, "ticket_id": "3"}),
        headers={"Authorization": "", signatures.TOKEN_HEADER: secret},
    )
    assert gorgias.status_code == 201, gorgias.text


def test_the_webhook_refuses_what_is_not_signed_by_this_merchant(
    shop: Shop, other_shop: Shop
) -> None:
    mine, theirs = helpdesk_secret(shop), helpdesk_secret(other_shop)
    body = {"ticket_id": "x", "subject": "where is my order"}
    assert post_signed(shop, body, theirs).status_code == 401
    raw = json.dumps(body).encode()
    assert shop.client.post(
        f"/webhooks/helpdesk/{shop.slug}", content=raw, headers={"Authorization": ""}
    ).status_code == 401  # fmt: skip
    stale = signatures.sign_postpurchase(raw, mine, shop.clock.now() - timedelta(hours=1))
    assert shop.client.post(
        f"/webhooks/helpdesk/{shop.slug}", content=raw,
        headers={"Authorization": "", signatures.POSTPURCHASE_HEADER: stale},
    ).status_code == 401  # fmt: skip
    assert post_signed(shop, {"subject": "no ticket id"}, mine).json()["field"] == "ticket_id"
    assert post_signed(shop, {"ticket_id": "y", "tags": 5}, mine).status_code == 422
    # Nothing reached the other merchant, and each sees only its own.
    assert post_signed(shop, body, mine).status_code == 201
    assert other_shop.client.get("/api/v1/support/contacts").json() == []
    assert len(shop.client.get("/api/v1/support/contacts").json()) == 1


def test_an_order_of_another_merchant_is_never_linked(shop: Shop, other_shop: Shop) -> None:
    theirs, _ = other_shop.parcel(promise=PROMISE, email="same@example.com")
    got = shop.client.post(
        "/api/v1/support/contacts",
        json={"ticket_id": "q", "customer_email": "same@example.com", "subject": "wismo?"},
    )
    assert got.status_code == 201 and got.json()["order_id"] is None
    refused = shop.client.post(
        "/api/v1/support/contacts", json={"ticket_id": "r", "order_id": theirs}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "order_id"


def test_bad_contacts_are_refused_naming_the_field(shop: Shop) -> None:
    for body, field in [
        ({}, "ticket_id"),
        ({"ticket_id": "a", "customer_email": "not-an-email"}, "customer_email"),
        ({"ticket_id": "a", "contacted_at": "2099-01-01T00:00:00Z"}, "contacted_at"),
        ({"ticket_id": "a", "tags": ["x"] * 51}, "tags"),
        ({"ticket_id": "a", "colour": "red"}, "colour"),
    ]:
        got = shop.client.post("/api/v1/support/contacts", json=body)
        assert got.status_code == 422, (body, got.text)
        assert got.json()["field"] == field
    assert shop.client.get("/api/v1/support/contacts", params={"from": "x"}).status_code == 422
