"""``/api/v1/settings`` and ``postpurchase settings`` on SQLite and PostgreSQL: one schema
for every setting, unknown keys and wrong types refused with their dotted path at any depth
(the deprecated notifications endpoint too), merge-patch semantics, tenants isolated, and
the tracking page showing what was set (custom domain by Host, banner within its dates,
FAQ, chat, survey off, default locale)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer import handlers
from tests import tracking_scenarios as sc
from tests.factories import ref
from tests.fakes import FakeClock

URL = "/api/v1/settings"


@pytest.fixture
def platform(engine: Engine) -> Platform:
    return bootstrap(Settings(), engine=engine, clock=FakeClock(sc.NOW), notifications=False)


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), follow_redirects=False) as c:
        yield c


def new_shop(platform: Platform) -> tuple[Any, dict[str, str]]:
    merchant, secret, _ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    return merchant, {"Authorization": f"Bearer {secret}"}


def stored(platform: Platform, merchant_id: str) -> dict[str, Any]:
    with platform.engine.connect() as conn:
        row = conn.execute(
            select(t.merchants.c.settings).where(t.merchants.c.id == merchant_id)
        ).scalar_one()
    return dict(row)


def test_patch_merges_validates_and_reads_back(client: TestClient, platform: Platform) -> None:
    m, h = new_shop(platform)
    empty = client.get(URL, headers=h).json()
    assert empty["branding"]["display_name"] is None and empty["survey"]["enabled"] is True
    assert empty["tracking_page"]["default_locale"] == "en"
    patch = {
        "branding": {
            "display_name": "Northwind",
            "primary_color": "#14532D",
            "font_family": "inter",
        },
        "tracking_page": {
            "support": {"email": "help@nw.example", "chat_url": "https://chat.nw.example/"},
            "faq": [{"question": "Where is my parcel?", "answer": "See above."}],
            "default_locale": "de",
        },
        "notifications": {"flows": {"shipped": {"sms": True}}, "quiet_hours": {"enabled": False}},
        "survey": {"enabled": False},
    }
    r = client.patch(URL, headers=h, json=patch)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (
        got["branding"]["primary_color"] == "#14532d" and got["branding"]["font_family"] == "Inter"
    )
    assert got["tracking_page"]["default_locale"] == "de" and got["survey"]["enabled"] is False
    assert client.get(URL, headers=h).json() == got
    doc = stored(platform, m.id)
    assert "default_locale" not in doc["tracking_page"]  # it is the merchant's locale column
    with platform.uow() as uow:
        assert uow.merchants.get(m.id).locale == "de"  # type: ignore[union-attr]
    # merge: other keys stay; null resets one key to its default
    r = client.patch(
        URL,
        headers={**h, "content-type": "application/merge-patch+json"},
        content=json.dumps({"branding": {"font_family": None}, "survey": None}),
    )
    assert r.status_code == 200, r.text
    again = r.json()
    assert (
        again["branding"]["font_family"] is None
        and again["branding"]["display_name"] == "Northwind"
    )
    assert again["survey"]["enabled"] is True
    assert again["tracking_page"]["faq"] == patch["tracking_page"]["faq"]
    # every change is in the audit log: who, and each dotted key old -> new
    audit = client.get("/api/v1/audit", headers=h).json()
    entries = audit["items"] if isinstance(audit, dict) else audit
    newest, first = entries[0], entries[1]
    assert newest["actor"].startswith("api:") and newest["action"] == "settings.update"
    assert newest["changes"]["branding.font_family"] == ["Inter", None]
    assert newest["changes"]["survey.enabled"] == [False, None]
    assert first["changes"]["locale"] == ["en", "de"]
    assert first["changes"]["branding.display_name"] == [None, "Northwind"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"branding": {"display_nam": "x"}}, "branding.display_nam"),
        (
            {"tracking_page": {"faq": [{"question": "q", "answer": "a", "x": 1}]}},
            "tracking_page.faq[0].x",
        ),
        ({"tracking_page": {"support": {"phone": 5551234}}}, "tracking_page.support.phone"),
        (
            {"notifications": {"flows": {"shipped": {"email": "no"}}}},
            "notifications.flows.shipped.email",
        ),
        ({"survey": {"enabled": "false"}}, "survey.enabled"),
        ({"nonsense": True}, "nonsense"),
        (
            {"branding": {"text_color": "#cccccc", "background_color": "#ffffff"}},
            "branding.text_color",
        ),
        ({"branding": {"font_family": "Papyrus"}}, "branding.font_family"),
    ],
)
def test_bad_settings_are_a_422_naming_the_path_and_nothing_is_stored(
    client: TestClient, platform: Platform, patch: dict[str, Any], field: str
) -> None:
    m, h = new_shop(platform)
    assert (
        client.patch(URL, headers=h, json={"branding": {"display_name": "Kept"}}).status_code == 200
    )
    r = client.patch(URL, headers=h, json=patch)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["field"] == field, body
    assert field in body["detail"]
    assert stored(platform, m.id) == {"branding": {"display_name": "Kept"}}
    assert len(client.get("/api/v1/audit", headers=h).json()["items"]) == 1  # nothing refused


def test_a_body_that_is_not_an_object_is_refused(client: TestClient, platform: Platform) -> None:
    _, h = new_shop(platform)
    r = client.patch(URL, headers=h, json=["branding"])
    assert r.status_code == 422 and r.json()["field"] == "body"


def test_the_deprecated_endpoint_refuses_unknown_keys_instead_of_dropping_them(
    client: TestClient, platform: Platform
) -> None:
    m, h = new_shop(platform)
    old = "/api/v1/notifications/settings"
    for body, field in (
        (
            {"notifications": {"flows": {"shipped": {"sms": True}}, "quiet_hourz": None}},
            "quiet_hourz",
        ),
        ({"branding": {"sender_name": "A", "secret_colour": "#fff"}}, "branding.secret_colour"),
        ({"notifications": {}, "brandingg": {}}, "brandingg"),
    ):
        r = client.put(old, headers=h, json=body)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert stored(platform, m.id) == {}
    ok = client.put(old, headers=h, json={"branding": {"sender_name": "Ada"}})
    assert ok.status_code == 200 and ok.json()["branding"]["sender_name"] == "Ada"
    assert client.get(URL, headers=h).json()["branding"]["sender_name"] == "Ada"
    assert client.get("/openapi.json").json()["paths"][old]["put"]["deprecated"] is True


def test_tenants_are_isolated(client: TestClient, platform: Platform) -> None:
    _a, ha = new_shop(platform)
    b, hb = new_shop(platform)
    assert (
        client.patch(URL, headers=ha, json={"branding": {"display_name": "A"}}).status_code == 200
    )
    assert client.get(URL, headers=hb).json()["branding"]["display_name"] is None
    assert stored(platform, b.id) == {}
    assert client.get(URL).status_code == 401


def test_the_tracking_page_shows_the_settings(client: TestClient, platform: Platform) -> None:
    m, h = new_shop(platform)
    domain = f"track-{ref()}.example.com"
    patch = {
        "branding": {"display_name": "Settings Shop", "font_family": "Lato"},
        "tracking_page": {
            "support": {"chat_url": "https://chat.example/shop"},
            "custom_domains": [domain],
            "faq": [{"question": "Can I change the address?", "answer": "Write to us."}],
            "promo_banner": {
                "text": "Winter sale",
                "link_url": "https://shop.example/sale",
                "starts_at": "2026-11-01T00:00:00Z",
                "ends_at": "2026-12-01T00:00:00Z",
            },
        },
        "survey": {"enabled": False},
    }
    assert client.patch(URL, headers=h, json=patch).status_code == 200
    seeded = sc.order(platform, m.id, "delivered")
    r = client.get(f"/t/{seeded.token}", headers={"host": domain})
    assert r.status_code == 200
    page = BeautifulSoup(r.text, "html.parser")
    assert "Winter sale" in page.select_one("aside.promo").get_text()
    assert page.select_one("section.faq summary").get_text() == "Can I change the address?"
    assert page.find("a", href="https://chat.example/shop") is not None
    assert page.select_one("section.rating") is None  # survey off: no rating asked
    assert "https://fonts.googleapis.com" in r.headers["content-security-policy"]
    # another shop's order is not found on this shop's domain
    other, _ = new_shop(platform)
    theirs = sc.order(platform, other.id, "delivered")
    assert client.get(f"/t/{theirs.token}", headers={"host": domain}).status_code == 404


def test_a_banner_outside_its_dates_is_not_shown(client: TestClient, platform: Platform) -> None:
    m, h = new_shop(platform)
    banner = {"text": "Old news", "ends_at": "2026-01-01T00:00:00Z"}
    r = client.patch(URL, headers=h, json={"tracking_page": {"promo_banner": banner}})
    assert r.status_code == 200, r.text
    seeded = sc.order(platform, m.id, "in_transit")
    page = BeautifulSoup(client.get(f"/t/{seeded.token}").text, "html.parser")
    assert page.select_one("aside.promo") is None


def test_cli_show_and_set(
    platform: Platform, backend_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, _ = new_shop(platform)
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    monkeypatch.setenv("POSTPURCHASE_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    r = runner.invoke(
        cli,
        ["settings", "set", m.slug, "branding.display_name=Shell Shop", "survey.enabled=false",
         "tracking_page.faq=[{\"question\": \"Q?\", \"answer\": \"A.\"}]"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    shown = json.loads(runner.invoke(cli, ["settings", "show", m.slug]).output)
    assert shown["branding"]["display_name"] == "Shell Shop" and shown["survey"]["enabled"] is False
    assert shown["tracking_page"]["faq"] == [{"question": "Q?", "answer": "A."}]
    bad = runner.invoke(cli, ["settings", "set", m.slug, "branding.colour=#fff"])
    assert bad.exit_code == 2 and "branding.colour" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
    # --json: the table folds long cells to the terminal's width, which CI does not fix
    audit = runner.invoke(cli, ["audit", "list", m.slug, "--json"])
    assert audit.exit_code == 0
    entries = [json.loads(line) for line in audit.output.splitlines()]  # one per line
    assert any(e["actor"] == "cli" and "survey.enabled" in e["changes"] for e in entries)
    assert (
        runner.invoke(cli, ["settings", "set", "no-such-shop", "survey.enabled=true"]).exit_code
        == 2
    )


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def test_logo_upload_is_checked_stored_served_and_shown(
    client: TestClient, platform: Platform
) -> None:
    m, h = new_shop(platform)
    up = client.post(f"{URL}/logo", headers=h, files={"file": ("logo.png", PNG, "image/png")})
    assert up.status_code == 200, up.text
    media_id = up.json()["branding"]["logo_media_id"]
    served = client.get(f"/media/logos/{m.id}/{media_id}")
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    seeded = sc.order(platform, m.id, "in_transit")
    page = BeautifulSoup(client.get(f"/t/{seeded.token}").text, "html.parser")
    assert page.select_one("header.brand img.logo")["src"] == f"/media/logos/{m.id}/{media_id}"
    # another merchant's path never reaches it
    other, _oh = new_shop(platform)
    assert client.get(f"/media/logos/{other.id}/{media_id}").status_code == 404
    # a second upload replaces the first (which is deleted)
    again = client.post(
        f"{URL}/logo", headers=h, files={"file": ("l.png", PNG + b"x", "image/png")}
    )
    assert again.status_code == 200
    assert client.get(f"/media/logos/{m.id}/{media_id}").status_code == 404
    changes = client.get("/api/v1/audit", headers=h).json()["items"][0]["changes"]
    assert changes["branding.logo_media_id"][0] == media_id


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a PNG"),
        (b"%PDF-1.7 not an image", "not a PNG"),
        (PNG + bytes(600 * 1024), "limit"),
        (b"", "empty"),
    ],
)
def test_a_logo_that_is_not_an_image_or_too_big_is_refused(
    client: TestClient, platform: Platform, data: bytes, says: str
) -> None:
    m, h = new_shop(platform)
    r = client.post(f"{URL}/logo", headers=h, files={"file": ("logo.png", data, "image/png")})
    assert r.status_code == 422 and r.json()["field"] == "file", r.text
    assert says in r.json()["detail"]
    assert stored(platform, m.id) == {}


def test_a_merchant_rewords_tracking_page_strings_per_locale(
    client: TestClient, platform: Platform
) -> None:
    m, h = new_shop(platform)
    bad = client.patch(URL, headers=h, json={"strings": {"en": {"order.label": "Order"}}})
    assert bad.status_code == 422 and bad.json()["field"] == "strings"
    assert "{number}" in bad.json()["detail"]
    own = {"en": {"help.title": "Questions? We answer in an hour"}, "de": {"help.title": "Fragen?"}}
    r = client.patch(
        URL,
        headers=h,
        json={"strings": own, "tracking_page": {"support": {"email": "help@shop.example"}}},
    )
    assert r.status_code == 200, r.text
    seeded = sc.order(platform, m.id, "in_transit")
    page = BeautifulSoup(client.get(f"/t/{seeded.token}").text, "html.parser")
    assert page.select_one("#help-h").get_text() == "Questions? We answer in an hour"
    de = BeautifulSoup(client.get(f"/t/{seeded.token}?lang=de").text, "html.parser")
    assert de.select_one("#help-h").get_text() == "Fragen?"
    # another merchant's page keeps the catalogue's wording
    other, oh = new_shop(platform)
    assert (
        client.patch(
            URL, headers=oh, json={"tracking_page": {"support": {"email": "a@b.example"}}}
        ).status_code
        == 200
    )
    theirs = sc.order(platform, other.id, "in_transit")
    plain = BeautifulSoup(client.get(f"/t/{theirs.token}?lang=en").text, "html.parser")
    assert plain.select_one("#help-h").get_text() == "Need help?"


def test_checkout_settings_changes_are_audited_too(client: TestClient, platform: Platform) -> None:
    _, h = new_shop(platform)
    r = client.patch("/api/v1/merchant/checkout-settings", headers=h, json={"cutoff": "15:30"})
    assert r.status_code == 200, r.text
    [entry] = client.get("/api/v1/audit", headers=h).json()["items"]
    assert entry["action"] == "checkout_settings.update" and entry["actor"].startswith("api:")
    assert entry["changes"]["cutoff"][1] == "15:30"
    assert client.get(URL, headers=h).json()["checkout"]["cutoff"] == "15:30"
