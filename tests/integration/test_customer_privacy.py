"""A shopper's data: exported whole, erased so nothing identifies them while the merchant's
KPIs (orders, money, statuses, dates, a coarse destination) still add up; per merchant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.ids import new_id
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.fakes import FakeClock

PAYLOADS = Path(__file__).parent.parent / "fixtures" / "payloads"
SHOP_KEY = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    clock.advance(days=20)
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    with TestClient(create_app(platform)) as client:
        yield platform, client


def tenant(platform, client):  # type: ignore[no-untyped-def]
    merchant, key, _ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    auth = {"Authorization": f"Bearer {key}"}
    client.put("/api/v1/merchant/secrets", json={"shopify_webhook_secret": SHOP_KEY}, headers=auth)
    return merchant, auth


def place(client, auth, email: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {
        "external_id": ref("ext-"), "currency": "USD", "email": email, "phone": "+15025550100",
        "customer_name": "Avery Lee",
        "lines": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "20.00",
                   "properties": {"engraving": "For Avery, love Sam"}}],
        "shipping_address": {"country": "US", "postal_code": "40202", "region": "KY",
                             "city": "Louisville", "line1": "500 W Main St", "name": "Avery Lee",
                             "phone": "+15025550100"},
        "billing_address": {"country": "US", "postal_code": "40202", "name": "Avery Lee"},
        "note": "Gate code 4411", "shipping_fee": "5.00", "tax": "1.50",
        "placed_at": "2026-11-20T10:00:00-05:00",
    }  # fmt: skip
    r = client.post("/api/v1/orders", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return dict(r.json())


def shopify(client, merchant, topic: str, payload: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    raw = json.dumps(payload).encode()
    sig = base64.b64encode(hmac.new(SHOP_KEY.encode(), raw, hashlib.sha256).digest()).decode()
    webhook_id = ref()
    r = client.post(
        f"/webhooks/shopify/{merchant.slug}", content=raw,
        headers={"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": topic,
                 "X-Shopify-Webhook-Id": webhook_id},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return webhook_id


def message(engine, merchant_id: str, order_id: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """A confirmation e-mail as the notification store records it once sent."""
    from datetime import UTC, datetime

    now = datetime(2026, 11, 20, 16, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(t.notification_messages).values(
            id=new_id(), merchant_id=merchant_id, dedupe_key=ref(), flow="order_confirmed",
            channel="email", status="sent", reason="sent", locale="en", subject_id=order_id,
            order_id=order_id, recipient=email, event_topic="OrderPlaced", urgent=False,
            created_at=now, send_after=now, attempts=1, sent_at=now, updated_at=now,
            subject="Your order", body_text="Hi Avery Lee, thanks!", body_html="<p>Hi Avery</p>",
        ))  # fmt: skip


def test_export_then_erase_keeps_the_kpis_and_nothing_that_identifies(world, engine) -> None:
    platform, client = world
    merchant, auth = tenant(platform, client)
    email = f"avery.{ref()}@example.com"
    order = place(client, auth, email)
    message(engine, merchant.id, order["id"], email)
    other_merchant, other_auth = tenant(platform, client)
    kept_elsewhere = place(client, other_auth, email)  # same shopper at another shop

    exported = client.get("/api/v1/customers/export", params={"email": email}, headers=auth)
    assert exported.status_code == 200
    data = exported.json()
    assert [o["id"] for o in data["orders"]] == [order["id"]]
    assert data["customers"][0]["email"] == email
    assert data["messages"][0]["body_text"] == "Hi Avery Lee, thanks!"

    r = client.post("/api/v1/customers/erase", json={"email": email.upper()}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"customers": 1, "orders": 1, "shipments": 0, "messages": 1,
                        "store_payloads": 0}  # fmt: skip
    after = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert after["email"] is None and after["phone"] is None
    assert after["shipping_address"] == {
        "country": "US", "postal_code": "402", "region": "KY", "city": None, "line1": None,
        "line2": None, "name": None, "phone": None,
    }  # fmt: skip
    assert after["details"]["billing_address"] is None and after["details"]["note"] is None
    assert after["lines"][0]["properties"] == []
    assert after["totals"] == order["totals"] and after["status"] == order["status"]
    exported_after = client.get("/api/v1/customers/export", params={"email": email}, headers=auth)
    assert exported_after.json().pop("email") == email  # the query, echoed
    dump = json.dumps(after) + json.dumps({**exported_after.json(), "email": None})
    for clue in (email, "Avery", "500 W Main", "4411", "+1502", "Louisville"):
        assert clue not in dump, clue
    with engine.connect() as conn:
        sent = (
            conn.execute(
                select(t.notification_messages).where(
                    t.notification_messages.c.order_id == order["id"]
                )
            )
            .mappings()
            .one()
        )
    assert sent["recipient"] is None and sent["body_text"] is None and sent["status"] == "sent"
    untouched = client.get(f"/api/v1/orders/{kept_elsewhere['id']}", headers=other_auth).json()
    assert untouched["email"] == email  # another merchant's shopper record is theirs
    again = client.post("/api/v1/customers/erase", json={"email": email}, headers=auth).json()
    assert again["customers"] == 0 and again["messages"] == 0
    del other_merchant


def test_shopify_customers_redact_erases_orders_and_the_raw_deliveries(world, engine) -> None:
    platform, client = world
    merchant, auth = tenant(platform, client)
    order = json.loads((PAYLOADS / "shopify_order.json").read_bytes())
    email = order["email"]
    shopify(client, merchant, "orders/create", order)
    redact = {"shop_id": 954889, "shop_domain": "north-wind.myshopify.com",
              "customer": {"id": 191167, "email": email, "phone": "555-625-1199"},
              "orders_to_redact": [order["id"]]}  # fmt: skip
    webhook_id = shopify(client, merchant, "customers/redact", redact)
    outcome = client.get(
        f"/api/v1/merchant/webhook-deliveries/shopify/{webhook_id}", headers=auth
    ).json()["outcome"]
    assert outcome["result"] == "processed" and outcome["erased"]["orders"] == 1
    assert outcome["erased"]["store_payloads"] == 2  # the order's delivery and the redact's
    with engine.connect() as conn:
        bodies = (
            conn.execute(
                select(t.webhook_inbox.c.body).where(t.webhook_inbox.c.merchant_id == merchant.id)
            )
            .scalars()
            .all()
        )
    assert all(email.encode() not in bytes(b) for b in bodies)


runner = CliRunner()


def test_the_cli_exports_and_erases(world, engine, backend_url, tmp_path, monkeypatch) -> None:
    platform, client = world
    merchant, auth = tenant(platform, client)
    email = f"cli.{ref()}@example.com"
    place(client, auth, email)
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    args = ["--data-dir", str(tmp_path)]
    out = runner.invoke(cli, ["customers", "export", merchant.slug, email, *args])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["orders"][0]["email"] == email
    assert (
        runner.invoke(
            cli, ["customers", "erase", merchant.slug, email, *args], input="n\n"
        ).exit_code
        == 1
    )
    done = runner.invoke(cli, ["customers", "erase", merchant.slug, email, "--yes", *args])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["erased"]["orders"] == 1
    bad = runner.invoke(cli, ["customers", "erase", merchant.slug, "not-an-email", "--yes", *args])
    assert bad.exit_code == 2 and "email" in bad.stderr
