"""Settings pages: owners only, the API's validation, every change audited, each store's own
(both backends)."""

from __future__ import annotations

import json
import re

import pytest

from postpurchase.domain.console import Role
from tests.integration.console.conftest import Console

SECTIONS = ["notifications", "checkout", "keys", "webhooks", "carriers", "integrations"]


def audit_actions(console: Console, merchant_id: str) -> list[str]:
    with console.platform.uow() as uow:
        entries = uow.audit.list(merchant_id, limit=500)
    return [e.entry.action for e in entries if e.entry.action.startswith("console.settings")]


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_an_agent_or_viewer_cannot_see_or_change_settings(console: Console, role: Role) -> None:
    person = console.a.people[role]
    for section in SECTIONS:
        assert person.get(f"/console/settings/{section}").status_code == 403
    r = person.post("/console/settings/notifications", {"notifications": "{}"})
    assert r.status_code == 403
    r = person.post("/console/settings/webhooks", {"url": "https://example.com/hook"})
    assert r.status_code == 403
    assert audit_actions(console, console.a.merchant_id) == []


def test_owner_sees_every_section(console: Console) -> None:
    for section in SECTIONS:
        r = console.a.owner.get(f"/console/settings/{section}")
        assert r.status_code == 200, section
    assert console.a.owner.get("/console/settings/nope").status_code == 404


def test_notification_settings_are_validated_and_audited(console: Console) -> None:
    owner = console.a.owner
    page = owner.get("/console/settings/notifications").text
    current = re.search(r'name="notifications"[^>]*>([^<]*)</textarea>', page)
    assert current
    bad = owner.post("/console/settings/notifications", {"notifications": "{not json"})
    assert bad.status_code == 400 and 'data-field="notifications"' in bad.text
    doc = json.loads(current[1].replace("&#34;", '"').replace("&quot;", '"'))
    r = owner.post("/console/settings/notifications", {"notifications": json.dumps(doc)})
    assert r.status_code == 303, r.text
    assert "console.settings.notifications" in audit_actions(console, console.a.merchant_id)


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
