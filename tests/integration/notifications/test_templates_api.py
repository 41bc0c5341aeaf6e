"""``/api/v1/templates`` on SQLite and PostgreSQL with a real SMTP server: versions are
immutable and checked at save (line and error), messages are made from the merchant's
version and record it, a holdout gets no message, preview and a test send use sample data,
a reset brings the built-in template back, and one merchant never sees another's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import handlers
from tests.factories import place_order, ref
from tests.integration.notifications.conftest import Notify

URL = "/api/v1/templates/order_confirmed/email"
MINE = {
    "subject": "{{ merchant }} got order {{ order }}",
    "text": "Hello {{ name }}!\n\nWe have your order ({{ total }}).",
    "html": "<p>Hello <b>{{ name }}</b>, we have your order ({{ total }}).</p>",
}


@pytest.fixture
def client(notify: Notify) -> Iterator[TestClient]:
    with TestClient(create_app(notify.platform)) as c:
        yield c


def auth(notify: Notify) -> dict[str, str]:
    return {"Authorization": f"Bearer {notify.api_key}"}


def test_a_saved_version_makes_the_messages_and_is_recorded_on_them(
    notify: Notify, client: TestClient, smtp: DemoSmtp
) -> None:
    h = auth(notify)
    r = client.post(f"{URL}/versions", headers=h, json={"locales": {"en": MINE}, "note": "v1"})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["created_by"].startswith("api:")
    cmd = place_order(notify.merchant.id)
    order = notify.platform.bus().handle(cmd)
    notify.drain()
    [msg] = notify.messages(order_id=order.id)
    assert msg["status"] == "sent" and msg["template_version"] == 1 and not msg["held_out"]
    assert msg["subject"].endswith(f"got order {cmd.number}") and "Hello" in msg["body_text"]
    sent = smtp.messages()[-1]
    assert sent["Subject"] == msg["subject"]
    # a locale the version does not have gets the built-in text, still recorded as v1
    de = notify.platform.bus().handle(place_order(notify.merchant.id, locale="de"))
    notify.drain()
    [de_msg] = notify.messages(order_id=de.id)
    assert de_msg["template_version"] == 1 and "got order" not in de_msg["subject"]
    # history and the list
    hist = client.get(URL, headers=h).json()
    assert [v["version"] for v in hist["versions"]] == [1]
    summary = {
        (s["flow"], s["channel"]): s for s in client.get("/api/v1/templates", headers=h).json()
    }
    assert summary[("order_confirmed", "email")]["current_version"] == 1
    assert summary[("shipped", "email")]["current_version"] == 0
    # reset: a new version, built-in again
    back = client.post(f"{URL}/reset", headers=h)
    assert back.status_code == 201 and back.json()["version"] == 2 and back.json()["locales"] == {}
    later = notify.platform.bus().handle(place_order(notify.merchant.id))
    notify.drain()
    [again] = notify.messages(order_id=later.id)
    assert again["template_version"] == 2 and "got order" not in again["subject"]
    audit = client.get("/api/v1/audit", headers=h).json()["items"]
    assert [a["action"] for a in audit[:2]] == ["templates.reset", "templates.save"]
    assert audit[1]["changes"]["en.subject"] == [None, MINE["subject"]]


@pytest.mark.parametrize(
    ("parts", "field", "says"),
    [
        (
            {"subject": "x", "text": "line one\n{% for x in items %}\nno end"},
            "locales.en.text",
            "line 3",
        ),
        ({"subject": "x", "text": "{{ coupon_code }}"}, "locales.en.text", "coupon_code"),
        ({"subject": "x", "text": "{{ ''.__class__ }}"}, "locales.en.text", "unsafe"),
        ({"subject": "x", "text": "ok", "html": "<p>{% endif %}</p>"}, "locales.en.html", "line 1"),
        ({"text": "no subject"}, "locales.en.subject", "required"),
        ({"subject": "x", "text": "ok", "footer": "?"}, "locales.en.footer", ""),
    ],
)
def test_a_broken_template_is_refused_at_save_with_line_and_error(
    notify: Notify, client: TestClient, parts: dict[str, str], field: str, says: str
) -> None:
    r = client.post(f"{URL}/versions", headers=auth(notify), json={"locales": {"en": parts}})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and says in r.json()["detail"], r.json()
    assert client.get(URL, headers=auth(notify)).json()["versions"] == []


def test_a_holdout_gets_no_message_and_a_split_shares_versions(
    notify: Notify, client: TestClient
) -> None:
    h = auth(notify)
    assert (
        client.post(f"{URL}/versions", headers=h, json={"locales": {"en": MINE}}).status_code == 201
    )
    r = client.put(
        f"{URL}/split", headers=h, json={"holdout_percent": 50, "variants": {"0": 1, "1": 1}}
    )
    assert r.status_code == 200, r.text
    bad = client.put(f"{URL}/split", headers=h, json={"variants": {"9": 1}})
    assert bad.status_code == 422 and bad.json()["field"] == "variants.9"
    orders = [notify.platform.bus().handle(place_order(notify.merchant.id)) for _ in range(24)]
    notify.drain()
    rows = [notify.messages(order_id=o.id)[0] for o in orders]
    held = [r for r in rows if r["held_out"]]
    assert held and all(
        r["status"] == "suppressed" and "control group" in r["reason"] for r in held
    )
    assert all(r["template_version"] is None for r in held)
    versions = {r["template_version"] for r in rows if not r["held_out"]}
    assert versions <= {0, 1} and len(rows) - len(held) > 0
    assert client.delete(f"{URL}/split", headers=h).status_code == 204
    assert client.get(URL, headers=h).json()["split"] is None


def test_preview_and_test_send(notify: Notify, client: TestClient, smtp: DemoSmtp) -> None:
    h = auth(notify)
    draft = client.post(f"{URL}/preview", headers=h, json={"locale": "pt-BR", "draft": MINE})
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert body["version"] is None and "João da Silva" in body["text"] and "R$" in body["text"]
    builtin = client.post(f"{URL}/preview", headers=h, json={"locale": "en"}).json()
    assert builtin["version"] == 0 and builtin["html"].startswith("<!doctype html>")
    broken = client.post(
        f"{URL}/preview", headers=h, json={"draft": {"subject": "{{ x", "text": "t"}}
    )
    assert broken.status_code == 422 and broken.json()["field"] == "draft.subject"
    sent = client.post(f"{URL}/test", headers=h, json={"to": "me@shop.example", "draft": MINE})
    assert sent.status_code == 202, sent.text
    mail = smtp.messages()[-1]
    assert mail["To"] == "me@shop.example" and mail["Subject"].startswith("[TEST] ")
    assert mail["X-Postpurchase-Test"] == "1"
    bad = client.post(f"{URL}/test", headers=h, json={"to": "not-an-address"})
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    no_sms = client.post(
        "/api/v1/templates/shipped/sms/test", headers=h, json={"to": "+15555550100"}
    )
    assert no_sms.status_code == 409  # this installation has no SMS provider


def test_tenants_are_isolated(notify: Notify, client: TestClient) -> None:
    assert (
        client.post(
            f"{URL}/versions", headers=auth(notify), json={"locales": {"en": MINE}}
        ).status_code
        == 201
    )
    _, other_key, *_ = handlers.create_merchant(
        notify.platform.uow(), notify.clock, "Other " + ref()
    )
    other = {"Authorization": f"Bearer {other_key}"}
    assert client.get(URL, headers=other).json()["versions"] == []
    assert client.post(f"{URL}/preview", headers=other, json={"version": 1}).status_code == 404
    assert client.get("/api/v1/templates/teleported/email", headers=other).status_code == 404


def test_cli(notify: Notify, tmp_path, monkeypatch, backend_url: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    monkeypatch.setenv("POSTPURCHASE_DATA_DIR", str(tmp_path))
    text = tmp_path / "sms.txt"
    text.write_text(
        "{{ merchant }}: {{ order }} is on its way: {{ tracking_url }}", encoding="utf-8"
    )
    runner = CliRunner()
    slug = notify.merchant.slug
    saved = runner.invoke(
        cli, ["templates", "set", slug, "shipped", "sms", "--locale", "en", "--text", str(text)]
    )
    assert saved.exit_code == 0, saved.output
    shown = runner.invoke(cli, ["templates", "preview", slug, "shipped", "sms"])
    assert shown.exit_code == 0 and "is on its way" in shown.output
    text.write_text("{% if %}", encoding="utf-8")
    bad = runner.invoke(cli, ["templates", "set", slug, "shipped", "sms", "--text", str(text)])
    assert bad.exit_code == 2 and "locales.en.text" in bad.output and "line 1" in bad.output
    listed = runner.invoke(cli, ["templates", "list", slug])
    assert "shipped" in listed.output
    assert runner.invoke(cli, ["templates", "reset", slug, "shipped", "sms"]).exit_code == 0
