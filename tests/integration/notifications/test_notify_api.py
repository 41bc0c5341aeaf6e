"""The notification routes, in process over ASGI, on SQLite and PostgreSQL: messages with
their reasons, settings, webhook endpoints and deliveries, the no-login unsubscribe link,
the demo's sent page, and tenant isolation on every route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.api.routes.notifications import router
from postpurchase.service_layer import handlers
from tests.factories import place_order, ref
from tests.integration.notifications.conftest import Notify


@pytest.fixture
def client(notify: Notify) -> Iterator[TestClient]:
    app = create_app(notify.platform)
    if not any(getattr(r, "path", "") == "/notifications/sent" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as c:
        yield c


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_messages_for_an_order_say_why(notify: Notify, client: TestClient, smtp: DemoSmtp) -> None:
    ok = notify.platform.bus().handle(place_order(notify.merchant.id))
    no_mail = notify.platform.bus().handle(place_order(notify.merchant.id, email=None))
    notify.drain()
    h = auth(notify.api_key)
    r = client.get("/api/v1/notifications/messages", params={"order_id": ok.id}, headers=h)
    assert r.status_code == 200
    [msg] = r.json()["items"]
    assert (msg["flow"], msg["channel"], msg["status"]) == ("order_confirmed", "email", "sent")
    assert msg["reason"].startswith("sent via smtp")
    r = client.get("/api/v1/notifications/messages", params={"order_id": no_mail.id}, headers=h)
    [skipped] = r.json()["items"]
    assert (
        skipped["status"] == "suppressed" and skipped["reason"] == "no email address on the order"
    )
    detail = client.get(f"/api/v1/notifications/messages/{msg['id']}", headers=h).json()
    assert "<html" in detail["body_html"] and detail["subject"].startswith("Order")
    page = client.get("/api/v1/notifications/messages", params={"limit": 1}, headers=h).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    nxt = client.get(
        "/api/v1/notifications/messages",
        params={"limit": 1, "cursor": page["next_cursor"]},
        headers=h,
    ).json()
    assert nxt["items"][0]["id"] != page["items"][0]["id"]


def test_unsubscribe_link_works_without_login(
    notify: Notify, client: TestClient, smtp: DemoSmtp
) -> None:
    cmd = place_order(notify.merchant.id)
    notify.platform.bus().handle(cmd)
    notify.drain()
    [row] = notify.messages(flow="order_confirmed")
    url = f"/notifications/unsubscribe/{row['unsubscribe_token']}"
    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.text and cmd.email not in page.text
    assert (
        client.get("/api/v1/notifications/messages").status_code == 401
    )  # the API does need a key
    one_click = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "will no longer receive" in one_click.text
    again = notify.platform.bus().handle(place_order(notify.merchant.id, email=cmd.email))
    notify.drain()
    [later] = notify.messages(order_id=again.id)
    assert later["status"] == "suppressed" and later["reason"] == "recipient opted out of email"
    back = client.post(url, data={"subscribe": "1"})
    assert "Unsubscribe" in back.text
    assert client.get("/notifications/unsubscribe/not-a-token").status_code == 404


def test_settings_are_validated_and_applied(notify: Notify, client: TestClient) -> None:
    h = auth(notify.api_key)
    bad = client.put(
        "/api/v1/notifications/settings",
        headers=h,
        json={"notifications": {"flows": {"teleported": {"email": True}}}},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "flows.teleported"
    body = {
        "notifications": {"flows": {"shipped": {"sms": True}}, "quiet_hours": None},
        "branding": {"sender_name": "Ada's", "accent_color": "#ff6600"},
    }
    r = client.put("/api/v1/notifications/settings", headers=h, json=body)
    assert r.status_code == 200
    got = client.get("/api/v1/notifications/settings", headers=h).json()
    assert got["notifications"]["flows"]["shipped"] == {"email": True, "sms": True}
    assert (
        got["notifications"]["quiet_hours"] is None and got["branding"]["accent_color"] == "#ff6600"
    )
    flows = client.get("/api/v1/notifications/flows", headers=h).json()
    assert {f["name"] for f in flows} >= {"order_confirmed", "delivered", "estimate_changed"}


def test_webhook_endpoint_crud_deliveries_and_replay(notify: Notify, client: TestClient) -> None:
    h = auth(notify.api_key)
    bad = client.post(
        "/api/v1/webhook-endpoints", headers=h, json={"url": "ftp://example.com/x", "topics": ["*"]}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "url"
    bad = client.post(
        "/api/v1/webhook-endpoints",
        headers=h,
        json={"url": "http://127.0.0.1:9/x", "topics": ["shipment.beamed"]},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "topics[0]"
    created = client.post(
        "/api/v1/webhook-endpoints",
        headers=h,
        json={"url": "http://127.0.0.1:9/hooks", "topics": ["order.placed"]},
    )
    assert created.status_code == 201
    ep = created.json()
    assert ep["secret"].startswith("whsec_") and ep["topics"] == ["OrderPlaced"]
    listed = client.get("/api/v1/webhook-endpoints", headers=h).json()
    assert [e["id"] for e in listed] == [ep["id"]] and listed[0]["secret"] is None
    notify.platform.bus().handle(place_order(notify.merchant.id))
    notify.drain()  # port 9 refuses: the delivery waits for a retry
    deliveries = client.get(f"/api/v1/webhook-endpoints/{ep['id']}/deliveries", headers=h).json()
    [d] = deliveries["items"]
    assert d["status"] == "queued" and d["attempts"] == 1 and d["event_type"] == "order.placed"
    replay = client.post(f"/api/v1/webhook-deliveries/{d['id']}/replay", headers=h)
    assert replay.status_code == 202 and replay.json()["replay_of"] == d["id"]
    full = client.get(f"/api/v1/webhook-deliveries/{d['id']}", headers=h).json()
    assert '"type":"order.placed"' in full["body"]
    patched = client.patch(
        f"/api/v1/webhook-endpoints/{ep['id']}",
        headers=h,
        json={"active": False, "rotate_secret": True},
    )
    assert patched.json()["active"] is False and patched.json()["secret"] != ep["secret"]
    assert client.delete(f"/api/v1/webhook-endpoints/{ep['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/webhook-endpoints/{ep['id']}", headers=h).status_code == 404
    history = client.get(f"/api/v1/webhook-endpoints/{ep['id']}/deliveries", headers=h)
    assert history.status_code == 200 and len(history.json()["items"]) == 2


def test_another_merchant_sees_none_of_it(
    notify: Notify, client: TestClient, smtp: DemoSmtp
) -> None:
    h = auth(notify.api_key)
    order = notify.platform.bus().handle(place_order(notify.merchant.id))
    notify.drain()
    [msg] = notify.messages(order_id=order.id)
    ep = client.post(
        "/api/v1/webhook-endpoints",
        headers=h,
        json={"url": "http://127.0.0.1:9/h", "topics": ["*"]},
    ).json()
    _, other_key, *_ = handlers.create_merchant(
        notify.platform.uow(), notify.clock, "Other " + ref()
    )
    o = auth(other_key)
    assert client.get(f"/api/v1/notifications/messages/{msg['id']}", headers=o).status_code == 404
    listed = client.get("/api/v1/notifications/messages", params={"order_id": order.id}, headers=o)
    assert listed.json()["items"] == []
    assert client.get(f"/api/v1/webhook-endpoints/{ep['id']}", headers=o).status_code == 404
    assert (
        client.get(f"/api/v1/webhook-endpoints/{ep['id']}/deliveries", headers=o).status_code == 404
    )
    assert (
        client.patch(
            f"/api/v1/webhook-endpoints/{ep['id']}", headers=o, json={"active": False}
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/webhook-endpoints/{ep['id']}", headers=o).status_code == 404
    assert client.get("/api/v1/webhook-endpoints", headers=o).json() == []


def test_the_demo_page_lists_what_was_sent(
    notify: Notify, client: TestClient, smtp: DemoSmtp
) -> None:
    cmd = place_order(notify.merchant.id)
    notify.platform.bus().handle(cmd)
    notify.drain()
    [row] = notify.messages(flow="order_confirmed")
    page = client.get("/notifications/sent", params={"status": "sent"})
    assert page.status_code == 200 and cmd.email in page.text and "order_confirmed" in page.text
    one = client.get(f"/notifications/sent/{row['id']}")
    assert one.status_code == 200 and "srcdoc=" in one.text and "sandbox" in one.text
    notify.platform.settings.environment = "production"
    assert client.get("/notifications/sent").status_code == 404
    notify.platform.settings.environment = "development"
    notify.service.config = replace(notify.service.config, sent_page=False)  # not opted in
    assert client.get("/notifications/sent").status_code == 404
