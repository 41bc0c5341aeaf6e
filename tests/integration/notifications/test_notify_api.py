"""The notification routes, in process over ASGI, on SQLite and PostgreSQL: messages with
their reasons, settings, webhook endpoints and deliveries, the no-login unsubscribe link,
the demo's sent page, and tenant isolation on every route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from postpurchase.adapters.net_guard import OutboundPolicy
from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.adapters.notifications.webhooks import HttpWebhookPoster
from postpurchase.adapters.notifications.wiring import channels_from
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.api.routes.notifications import router
from postpurchase.service_layer import handlers
from tests.factories import place_order, ref
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings


def _client(notify: Notify) -> Iterator[TestClient]:
    app = create_app(notify.platform)
    if not any(getattr(r, "path", "") == "/notifications/sent" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def client(notify: Notify) -> Iterator[TestClient]:
    yield from _client(notify)


@pytest.fixture
def loopback(engine: Engine, smtp: DemoSmtp) -> Notify:
    """A server whose operator allowed loopback targets (POSTPURCHASE_OUTBOUND_ALLOW)."""
    return make_notify(engine, quiet_settings(smtp_url=smtp.url, outbound_allow="127.0.0.1"))


@pytest.fixture
def loopback_client(loopback: Notify) -> Iterator[TestClient]:
    yield from _client(loopback)


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


def test_webhook_endpoint_crud_deliveries_and_replay(
    loopback: Notify, loopback_client: TestClient
) -> None:
    notify, client = loopback, loopback_client
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
    loopback: Notify, loopback_client: TestClient, smtp: DemoSmtp
) -> None:
    notify, client = loopback, loopback_client
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


@pytest.fixture
def resolving_client(engine: Engine, smtp: DemoSmtp) -> Iterator[tuple[Notify, TestClient]]:
    """Names resolve through a table of this test's own, never through the network."""
    table = {
        "localhost": ["127.0.0.1", "::1"],
        "2130706433": ["127.0.0.1"],  # what the system resolver makes of 127.0.0.1 as a number
        "metadata.shop.test": ["169.254.169.254"],
        "mixed.shop.test": ["93.184.216.34", "10.0.0.9"],
    }

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"{host}: no such name (test resolver)")
        return table[host]

    settings = quiet_settings(smtp_url=smtp.url)
    poster = HttpWebhookPoster(policy=OutboundPolicy.parse("", resolver=resolve))
    channels = replace(channels_from(settings), webhooks=poster)
    notify = make_notify(engine, settings, channels)
    for c in _client(notify):
        yield notify, c


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost:8080/hooks",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.shop.test/computeMetadata/v1/",
        "https://10.0.0.8/hooks",
        "https://mixed.shop.test/hooks",
        "http://0.0.0.0:22/",
        "http://2130706433/",
    ],
)
def test_an_endpoint_inside_our_network_is_refused_at_registration(
    resolving_client: tuple[Notify, TestClient], url: str
) -> None:
    notify, client = resolving_client
    h = auth(notify.api_key)
    r = client.post("/api/v1/webhook-endpoints", headers=h, json={"url": url, "topics": ["*"]})
    assert r.status_code == 422 and r.json()["field"] == "url", r.text
    assert "POSTPURCHASE_OUTBOUND_ALLOW" in r.json()["detail"]
    assert client.get("/api/v1/webhook-endpoints", headers=h).json() == []
    ok = client.post(
        "/api/v1/webhook-endpoints",
        headers=h,
        json={"url": "https://93.184.216.34/hooks", "topics": ["*"]},  # public: accepted
    )
    assert ok.status_code == 201
    moved = client.patch(
        f"/api/v1/webhook-endpoints/{ok.json()['id']}", headers=h, json={"url": url}
    )
    assert moved.status_code == 422 and moved.json()["field"] == "url"
