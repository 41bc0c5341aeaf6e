"""Connecting a WooCommerce store, importing its history and refunding through it, against
a local server that answers as WooCommerce's REST API v3 documents (woo_server.py)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.net_guard import OutboundPolicy
from postpurchase.adapters.storefronts.woocommerce import connect as wc
from postpurchase.adapters.storefronts.woocommerce.backfill import OrderPages
from postpurchase.adapters.storefronts.woocommerce.client import AccessRefused, WooClient
from postpurchase.adapters.storefronts.woocommerce.topics import SUBSCRIBED
from postpurchase.adapters.storefronts.woocommerce.wiring import (
    client_for_connection,
    client_for_credentials,
    refunds,
)
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.secrets import SecretKind
from postpurchase.domain.storefronts import RefundRequest, RefundRequestLine, StorePlatform
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from postpurchase.service_layer.storefronts import backfill as runner
from postpurchase.service_layer.storefronts.refunds import refund_order
from tests.factories import ref
from tests.fakes import FakeClock
from tests.integration.woocommerce.support import NOW, Store, load
from tests.integration.woocommerce.woo_server import KEY, SECRET, WooStore

LOOPBACK = OutboundPolicy.parse("127.0.0.1")
BASE_URL = "https://track.example.com"


@pytest.fixture
def woo(httpserver) -> WooStore:  # type: ignore[no-untyped-def]
    return WooStore(httpserver).install()


@pytest.fixture
def env(engine):  # type: ignore[no-untyped-def]
    clock = FakeClock(NOW)
    platform = bootstrap(Settings(base_url=BASE_URL), engine=engine, clock=clock,
                         notifications=False)  # fmt: skip
    merchant, key, _ = handlers.create_merchant(platform.uow(), clock, "Mugs " + ref())
    return platform, clock, merchant, key


def _connect(env, woo: WooStore, key: str = KEY, secret: str = SECRET) -> wc.Connected:  # type: ignore[no-untyped-def]
    platform, clock, merchant, _ = env
    return wc.connect(
        platform.uow(), clock, merchant.slug, wc.Credentials.checked(woo.url, key, secret),
        base_url=BASE_URL, client_for=client_for_credentials(LOOPBACK),
    )  # fmt: skip


def _order(order_id: int, created: str, **changes: Any) -> dict[str, Any]:
    order = load("order_created.json")
    order.update(id=order_id, number=str(order_id), date_created_gmt=created,
                 date_modified_gmt=created, **changes)  # fmt: skip
    return order


def test_connect_checks_the_key_stores_it_sealed_and_subscribes_our_webhooks(
    env,
    woo: WooStore,
    engine,  # type: ignore[no-untyped-def]
) -> None:
    platform, _, merchant, key = env
    done = _connect(env, woo)
    assert done.new_connection and sorted(done.created) == sorted(SUBSCRIBED)
    url = f"{BASE_URL}/webhooks/woocommerce/{merchant.slug}"
    assert {(h["topic"], h["delivery_url"], h["status"]) for h in woo.webhooks} == {
        (topic, url, "active") for topic in SUBSCRIBED
    }
    with platform.uow() as uow:
        connection = uow.connections.get(merchant.id, StorePlatform.WOOCOMMERCE)
        stored = uow.secrets.get(merchant.id, SecretKind.WOOCOMMERCE_WEBHOOK)
    assert connection is not None and connection.shop == woo.url
    assert connection.credentials == {"consumer_key": KEY, "consumer_secret": SECRET}
    assert stored is not None and {h["_secret"] for h in woo.webhooks} == {stored.current}
    with engine.connect() as conn:  # sealed at rest: no clear key or secret in the row
        raw = str(conn.execute(select(t.store_connections.c.credentials)).all())
    assert KEY not in raw and SECRET not in raw
    # a delivery signed with the secret WooCommerce was given verifies
    with TestClient(create_app(platform)) as client:
        store = Store(client, merchant.slug, key, stored.current)
        assert store.deliver("order.created", load("order_created.json"))["created"] is True


def test_connect_again_keeps_what_is_right_and_repairs_the_rest(env, woo: WooStore) -> None:
    _connect(env, woo)
    again = _connect(env, woo)
    assert again.kept == list(SUBSCRIBED) and not again.created and not again.updated
    assert len(woo.webhooks) == len(SUBSCRIBED)
    woo.webhooks[0]["status"] = "disabled"  # WooCommerce disables one after 5 failures
    fixed = _connect(env, woo)
    assert fixed.updated == [woo.webhooks[0]["topic"]] and woo.webhooks[0]["status"] == "active"
    del woo.webhooks[1]  # someone deleted one: recreated, and every webhook re-keyed
    repaired = _connect(env, woo)
    assert len(repaired.created) == 1 and len(woo.webhooks) == len(SUBSCRIBED)
    assert len({h["_secret"] for h in woo.webhooks}) == 1


def test_a_refused_key_is_named_and_stores_nothing(env, woo: WooStore) -> None:
    platform, _, merchant, _ = env
    wrong = "cs_" + "0" * 40
    with pytest.raises(InvalidInput) as refused:
        _connect(env, woo, secret=wrong)
    assert refused.value.field == "key" and "Read/Write" in refused.value.message
    with pytest.raises(InvalidInput) as malformed:
        wc.Credentials.checked(woo.url, "ck_short", SECRET)
    assert malformed.value.field == "key"
    with platform.uow() as uow:
        assert uow.connections.get(merchant.id, StorePlatform.WOOCOMMERCE) is None
        assert uow.secrets.get(merchant.id, SecretKind.WOOCOMMERCE_WEBHOOK) is None
    assert woo.webhooks == []


def test_a_store_url_inside_our_network_is_refused_unless_allowed(woo: WooStore) -> None:
    with pytest.raises(InvalidInput) as inside:
        WooClient(woo.url, KEY, SECRET, policy=OutboundPolicy())
    assert inside.value.field == "url"
    with pytest.raises(InvalidInput) as plain:  # Basic auth in the clear to a public host
        WooClient("http://93.184.215.14", KEY, SECRET, policy=OutboundPolicy())
    assert plain.value.field == "url" and "https" in plain.value.message


def test_pages_are_retried_on_429_and_5xx_with_backoff(woo: WooStore) -> None:
    waits: list[float] = []
    woo.orders = [_order(6001, "2026-11-01T10:00:00")]
    woo.failures = [429, 503]
    with WooClient(woo.url, KEY, SECRET, policy=LOOPBACK, sleep=waits.append) as client:
        page = client.page("orders", 1, per_page=100)
    assert [o["id"] for o in page.items] == [6001] and page.total == 1
    assert waits == [1.0, 2.0]  # Retry-After: 1, then the doubled backoff
    woo.failures = [401]
    client = WooClient(woo.url, KEY, SECRET, policy=LOOPBACK, sleep=waits.append)
    with client, pytest.raises(AccessRefused):
        client.page("orders", 1)


def _backfill(env, woo: WooStore, since: date | None, per_page: int = 2):  # type: ignore[no-untyped-def]
    platform, clock, merchant, _ = env
    connection, state = runner.start(platform.uow(), clock, merchant.id,
                                     StorePlatform.WOOCOMMERCE, "orders", since)  # fmt: skip
    with client_for_connection(LOOPBACK)(connection) as client:
        source = OrderPages(client, merchant.id, per_page=per_page)
        return runner.run(platform.uow(), clock, platform.bus().handle, source, connection,
                          state)  # fmt: skip


def _orders(env) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    platform, _, merchant, _ = env
    with platform.engine.connect() as conn:
        rows = conn.execute(
            select(t.orders.c.external_id, t.orders.c.id).where(
                t.orders.c.merchant_id == merchant.id
            )
        ).all()
    return {r.external_id: r.id for r in rows}


def test_backfill_imports_history_once_alongside_webhooks(env, woo: WooStore) -> None:
    platform, _, merchant, key = env
    _connect(env, woo)
    broken = _order(6004, "2026-11-05T10:00:00", currency="DOLLARS")
    woo.orders = [
        _order(6000, "2026-10-20T10:00:00"),  # before --since
        _order(6001, "2026-11-01T10:00:00"),
        load("order_updated_refund_tracking.json"),  # 5271, with a refund and a parcel
        _order(6003, "2026-11-03T10:00:00"),
        broken,
    ]
    with platform.uow() as uow:
        secret = uow.secrets.get(merchant.id, SecretKind.WOOCOMMERCE_WEBHOOK)
    assert secret is not None
    with TestClient(create_app(platform)) as client:  # the webhook came first
        Store(client, merchant.slug, key, secret.current).deliver(
            "order.created", load("order_created.json")
        )
    report = _backfill(env, woo, date(2026, 11, 1))
    assert report.complete and report.pages == 2
    assert (report.state.imported, report.state.skipped) == (3, 1)
    assert report.skipped == [("6004", "currency: 'DOLLARS' is not an ISO 4217 currency code")]
    assert set(_orders(env)) == {"5271", "6001", "6003"}  # one 5271, not two
    asked = [r[2] for r in woo.requests if r[1] == "orders" and r[2].get("per_page") == "2"]
    assert asked[0] == {"after": "2026-11-01T00:00:00", "dates_are_gmt": "true",
                        "orderby": "date", "order": "asc", "status": "any",
                        "page": "1", "per_page": "2"}  # fmt: skip
    with platform.uow() as uow:
        order = uow.orders.get_by_external_id(merchant.id, "5271")
        assert order is not None
        assert [r.external_id for r in uow.refunds.for_order(merchant.id, order.id)] == ["5290"]


def test_a_revoked_key_stops_the_backfill_and_the_next_run_resumes(env, woo: WooStore) -> None:
    _connect(env, woo)
    woo.orders = [_order(7000 + i, f"2026-11-0{i + 1}T10:00:00") for i in range(5)]
    woo.revoked_after = 1
    with pytest.raises(runner.BackfillStopped) as stopped:
        _backfill(env, woo, date(2026, 11, 1))
    assert "AccessRefused" in str(stopped.value) and "401" in str(stopped.value)
    assert stopped.value.state.cursor == "2" and stopped.value.state.imported == 2
    woo.revoked_after = None
    before = len(woo.requests)
    report = _backfill(env, woo, date(2026, 11, 1))
    pages = [r[2]["page"] for r in woo.requests[before:] if r[1] == "orders"]
    assert pages == ["2", "3"] and report.complete and report.state.imported == 5
    assert len(_orders(env)) == 5


def test_a_refund_goes_through_the_store_once(env, woo: WooStore) -> None:
    platform, clock, merchant, _ = env
    _connect(env, woo)
    woo.orders = [load("order_created.json")]
    order_id = _orders_after_backfill(env, woo)["5271"]
    request = RefundRequest(
        order_store_id="5271", currency="USD", lines=(RefundRequestLine("316", 1),),
        note="Dripper arrived chipped", idempotency_key="return-" + ref(),
    )  # fmt: skip
    first = refund_order(platform.uow(), clock, refunds(LOOPBACK), merchant.id, order_id, request)
    posts = [r for r in woo.requests if r[0] == "POST" and r[1] == "orders/5271/refunds"]
    assert len(posts) == 1
    (made,) = woo.refunds["5271"]
    assert made["amount"] == "23.33" and made["refunded_payment"] is True
    assert first.result.amount.amount == Decimal("23.33") and not first.replayed
    assert [(x.store_line_id, x.quantity) for x in first.result.lines] == [("316", 1)]
    again = refund_order(platform.uow(), clock, refunds(LOOPBACK), merchant.id, order_id, request)
    assert again.replayed and again.result.store_refund_id == first.result.store_refund_id
    assert len([r for r in woo.requests if r[0] == "POST" and "refunds" in r[1]]) == 1
    with platform.uow() as uow:
        recorded = uow.refunds.for_order(merchant.id, order_id)
    assert [r.amount.amount for r in recorded] == [Decimal("23.33")]


def test_a_refund_larger_than_refundable_is_refused_before_the_store(env, woo: WooStore) -> None:
    platform, clock, merchant, _ = env
    _connect(env, woo)
    woo.orders = [load("order_created.json")]
    order_id = _orders_after_backfill(env, woo)["5271"]
    request = RefundRequest(
        order_store_id="5271", currency="USD", lines=(RefundRequestLine("316", 2),),
        idempotency_key=ref(),
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        refund_order(platform.uow(), clock, refunds(LOOPBACK), merchant.id, order_id, request)
    assert refused.value.field == "lines[0].quantity"
    assert not [r for r in woo.requests if r[0] == "POST" and "refunds" in r[1]]


def _orders_after_backfill(env, woo: WooStore) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    _backfill(env, woo, None)
    return _orders(env)


def test_the_api_connects_a_store_and_refuses_a_shop_of_another_merchant(
    env,
    woo: WooStore,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("POSTPURCHASE_OUTBOUND_ALLOW", "127.0.0.1")
    platform, clock, _, key = env
    body = {"url": woo.url, "consumer_key": KEY, "consumer_secret": SECRET}
    with TestClient(create_app(platform)) as client:
        r = client.post("/api/v1/integrations/woocommerce", json=body,
                        headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["new_connection"] is True
        assert sorted(r.json()["webhooks"]["created"]) == sorted(SUBSCRIBED)
        bad = client.post("/api/v1/integrations/woocommerce",
                          json={**body, "consumer_key": "ck_nope"},
                          headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["field"] == "consumer_key"
        _, other_key, _ = handlers.create_merchant(platform.uow(), clock, "Other " + ref())
        taken = client.post("/api/v1/integrations/woocommerce", json=body,
                            headers={"Authorization": f"Bearer {other_key}"})  # fmt: skip
        assert taken.status_code == 409 and taken.json()["field"] == "url"
        anonymous = client.post("/api/v1/integrations/woocommerce", json=body)
        assert anonymous.status_code == 401
        shown = client.get("/api/v1/integrations/woocommerce",
                           headers={"Authorization": f"Bearer {key}"}).json()  # fmt: skip
        assert (shown["shop"], shown["status"], shown["currency"]) == (woo.url, "active", "USD")
        assert "consumer_key" not in json.dumps(shown) and KEY not in json.dumps(shown)
        none = client.get("/api/v1/integrations/woocommerce",
                          headers={"Authorization": f"Bearer {other_key}"})  # fmt: skip
        assert none.status_code == 404


def test_the_refunds_api_pays_a_woocommerce_refund_through_the_store_once(
    env,
    woo: WooStore,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("POSTPURCHASE_OUTBOUND_ALLOW", "127.0.0.1")
    platform, _, merchant, key = env
    _connect(env, woo)
    woo.orders = [load("order_created.json")]
    order_id = _orders_after_backfill(env, woo)["5271"]
    auth = {"Authorization": f"Bearer {key}"}
    body = {"lines": [{"line_id": "315", "quantity": 1}], "shipping": "6.95",
            "note": "damaged in transit", "idempotency_key": "rma-" + ref()}  # fmt: skip
    with TestClient(create_app(platform)) as client:
        first = client.post(f"/api/v1/orders/{order_id}/refunds", json=body, headers=auth)
        assert first.status_code == 201, first.text
        assert first.json()["amount"] == "25.01" and first.json()["replayed"] is False
        again = client.post(f"/api/v1/orders/{order_id}/refunds", json=body, headers=auth)
        assert again.status_code == 200 and again.json()["replayed"] is True
        too_much = {**body, "lines": [{"line_id": "315", "quantity": 2}],
                    "idempotency_key": "rma-" + ref()}  # fmt: skip
        refused = client.post(f"/api/v1/orders/{order_id}/refunds", json=too_much, headers=auth)
        assert refused.status_code == 422 and refused.json()["field"] == "lines[0].quantity"
        # WooCommerce then sends order.updated listing the refund: recorded once, not twice
        with platform.uow() as uow:
            secret = uow.secrets.get(merchant.id, SecretKind.WOOCOMMERCE_WEBHOOK)
        assert secret is not None
        snapshot = woo.orders[0] | {"date_modified_gmt": "2026-12-03T12:00:05"}
        store = Store(client, merchant.slug, key, secret.current)
        assert store.deliver("order.updated", snapshot)["refunds"][0]["recorded"] is False
        order = client.get(f"/api/v1/orders/{order_id}", headers=auth).json()
    assert len([r for r in woo.requests if r[0] == "POST" and "refunds" in r[1]]) == 1
    assert [r["amount"]["amount"] for r in order["refunds"]] == ["25.01"]
