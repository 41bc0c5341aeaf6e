"""Settings pages: owners only, the API's validation, every change audited, each store's own
(both backends)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from postpurchase.domain.console import Role
from postpurchase.service_layer.settings import get_settings
from tests.integration.console.conftest import Console

SECTIONS = ["brand", "tracking", "notifications", "checkout", "keys", "webhooks", "carriers",
            "integrations", "audit"]  # fmt: skip
# the smallest valid PNG (1x1, transparent)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63fcff1f0003030200efa37d0e0000000049454e44ae426082"
)


def audit_actions(console: Console, merchant_id: str) -> list[str]:
    with console.platform.uow() as uow:
        entries = uow.audit.list(merchant_id, limit=500)
    return [e.entry.action for e in entries if e.entry.action.startswith(SETTINGS_ACTIONS)]


SETTINGS_ACTIONS = ("console.settings", "settings.")


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_an_agent_or_viewer_cannot_see_or_change_settings(console: Console, role: Role) -> None:
    person = console.a.people[role]
    for section in SECTIONS:
        assert person.get(f"/console/settings/{section}").status_code == 403
    for section in ("brand", "tracking", "notifications", "checkout"):
        assert person.post(f"/console/settings/{section}", {}).status_code == 403
    r = person.post("/console/settings/webhooks", {"url": "https://example.com/hook"})
    assert r.status_code == 403
    assert audit_actions(console, console.a.merchant_id) == []


def test_owner_sees_every_section(console: Console) -> None:
    for section in SECTIONS:
        r = console.a.owner.get(f"/console/settings/{section}")
        assert r.status_code == 200, section
    assert console.a.owner.get("/console/settings/nope").status_code == 404


def settings_of(console: Console, merchant_id: str) -> Any:
    return get_settings(console.platform.uow(), merchant_id)


def test_settings_forms_go_through_the_one_service_and_are_audited(console: Console) -> None:
    owner = console.a.owner
    assert 'name="display_name"' in owner.get("/console/settings/brand").text
    grey = owner.post("/console/settings/brand",
                      {"text_color": "#eeeeee", "background_color": "#ffffff"})  # fmt: skip
    assert (
        grey.status_code == 400 and "branding.text_color" in grey.text and "contrast" in grey.text
    )
    r = owner.post("/console/settings/brand", {"display_name": "Acme", "sender_name": "Acme"})
    assert r.status_code == 303, r.text
    assert settings_of(console, console.a.merchant_id).branding.display_name == "Acme"
    bad = owner.post("/console/settings/tracking", {"support_email": "not-an-address"})
    assert bad.status_code == 400 and "tracking_page.support.email" in bad.text
    r = owner.post("/console/settings/tracking", {"support_email": "help@acme.example",
                                                  "promo_text": "10 % off"})  # fmt: skip
    assert r.status_code == 303, r.text
    page = settings_of(console, console.a.merchant_id).tracking_page
    assert page.support.email == "help@acme.example" and page.promo_banner.text == "10 % off"
    # notifications: every box left empty turns every flow off; quiet hours and survey off
    r = owner.post("/console/settings/notifications", {"quiet_start": "22:00"})
    assert r.status_code == 303, r.text
    mine = settings_of(console, console.a.merchant_id)
    assert mine.survey.enabled is False and mine.notifications.quiet_hours.enabled is False
    assert 'name="flow.shipped.email">' in owner.get("/console/settings/notifications").text
    with console.platform.uow() as uow:
        entries = uow.audit.list(console.a.merchant_id, limit=50)
    updates = [e.entry for e in entries if e.entry.action == "settings.update"]
    assert len(updates) == 3 and {e.actor for e in updates} == {f"user:{owner.email}"}
    assert updates[-1].changes["branding.display_name"] == [None, "Acme"]
    # the other store is untouched
    assert settings_of(console, console.b.merchant_id).branding.display_name is None


def test_checkout_form_sets_the_store_time_zone(console: Console) -> None:
    owner = console.a.owner
    bad = owner.post("/console/settings/checkout", {"timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and 'data-field="timezone"' in bad.text
    r = owner.post("/console/settings/checkout", {"timezone": "Europe/Berlin", "cutoff": "14:00"})
    assert r.status_code == 303, r.text
    assert 'value="Europe/Berlin"' in owner.get("/console/settings/checkout").text
    assert settings_of(console, console.a.merchant_id).checkout.cutoff == "14:00"


def test_logo_upload_is_an_image_in_the_media_store(console: Console) -> None:
    owner = console.a.owner
    files = {"file": ("logo.txt", b"not an image", "text/plain")}
    r = owner.post("/console/settings/brand/logo", files=files)
    assert r.status_code == 400 and 'data-field="file"' in r.text
    r = owner.post("/console/settings/brand/logo", files={"file": ("logo.png", PNG, "image/png")})
    assert r.status_code == 303, r.text
    media_id = settings_of(console, console.a.merchant_id).branding.logo_media_id
    assert media_id
    with console.platform.uow() as uow:
        stored = uow.media.get(console.a.merchant_id, media_id)
        assert uow.media.get(console.b.merchant_id, media_id) is None
    assert stored is not None and stored.data == PNG
    assert f"/media/logos/{media_id}" in owner.get("/console/settings/brand").text
    agent = console.a.agent.post("/console/settings/brand/logo", files={"file": ("l.png", PNG)})
    assert agent.status_code == 403


def test_webhooks_and_publishable_keys(console: Console) -> None:
    owner = console.a.owner
    r = owner.post("/console/settings/webhooks", {"url": "not a url"})
    assert r.status_code == 400
    r = owner.post(
        "/console/settings/webhooks",
        {"url": "https://hooks.example.com/pp", "topics": "shipment.delivered"},
    )
    assert r.status_code == 200 and "signing secret, shown once" in r.text
    endpoint = re.search(r"/console/settings/webhooks/([0-9a-f]+)/delete", r.text)
    assert endpoint
    # another store's owner cannot delete it
    other = console.b.owner.post(f"/console/settings/webhooks/{endpoint[1]}/delete")
    assert other.status_code in (400, 404)
    assert "hooks.example.com" in owner.get("/console/settings/webhooks").text
    assert "hooks.example.com" not in console.b.owner.get("/console/settings/webhooks").text
    assert owner.post(f"/console/settings/webhooks/{endpoint[1]}/delete").status_code == 303
    assert "hooks.example.com" not in owner.get("/console/settings/webhooks").text
    r = owner.post("/console/settings/keys/publishable", {"label": "storefront"})
    assert r.status_code == 200 and "shown once" in r.text
    key_id = re.search(r"/console/settings/keys/publishable/([0-9a-f]+)/revoke", r.text)
    assert key_id
    assert owner.post(f"/console/settings/keys/publishable/{key_id[1]}/revoke").status_code == 303
    actions = audit_actions(console, console.a.merchant_id)
    for action in ("webhook.created", "webhook.deleted", "publishable_key.created",
                   "publishable_key.revoked"):  # fmt: skip
        assert f"console.settings.{action}" in actions
    assert audit_actions(console, console.b.merchant_id) == []


def test_the_audit_log_page_shows_this_stores_changes(console: Console) -> None:
    owner = console.a.owner
    owner.post("/console/settings/keys/publishable", {"label": "storefront"})
    page = owner.get("/console/settings/audit").text
    assert "console.settings.publishable_key.created" in page and f"user:{owner.email}" in page
    other = console.b.owner.get("/console/settings/audit").text
    assert "publishable_key.created" not in other and console.a.agent.email not in other
