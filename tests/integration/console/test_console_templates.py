"""The template editor: preview a draft, refuse one that does not render, save and reset as
versions, audited; owners only (both backends)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from postpurchase.adapters.notifications import service_for
from tests.integration.console.conftest import Console

URL = "/console/settings/templates/shipped/email"


def test_preview_save_reset_and_audit(console: Console) -> None:
    owner = console.a.owner
    listing = owner.get("/console/settings/templates")
    assert listing.status_code == 200 and URL in listing.text
    assert owner.get(URL).status_code == 200
    draft = {"locale": "en", "subject": "On its way, friend", "text": "Packed with care."}
    shown = owner.post(URL, {**draft, "action": "preview"})
    assert shown.status_code == 200 and "Packed with care." in shown.text
    broken = owner.post(URL, {**draft, "text": "{{ oops", "action": "save"})
    assert broken.status_code == 400 and "locales.en.text" in broken.text
    saved = owner.post(URL, {**draft, "action": "save"})
    assert saved.status_code == 303, saved.text
    page = owner.get(URL).text
    assert "version 1" in page and "On its way, friend" in page
    assert owner.post(URL, {"locale": "en", "action": "reset"}).status_code == 303
    assert "version 2" in owner.get(URL).text
    with console.platform.uow() as uow:
        entries = uow.audit.list(console.a.merchant_id, subject="template:shipped/email")
    assert [e.entry.action for e in entries] == ["templates.reset", "templates.save"]
    assert {e.entry.actor for e in entries} == {f"user:{owner.email}"}
    assert console.b.owner.get(URL).text.count("version 1") == 0  # the other store's own


def test_only_owners_edit_templates(console: Console) -> None:
    for person in (console.a.agent, console.a.viewer):
        assert person.get("/console/settings/templates").status_code == 403
        assert person.post(URL, {"text": "x", "action": "save"}).status_code == 403
    assert console.a.owner.get("/console/settings/templates/nope/email").status_code == 404


class Outbox:
    """An email channel that keeps what it is given (the test send's only outside call)."""

    name = "outbox"

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, email: Any) -> str:
        self.sent.append(email)
        return f"<{len(self.sent)}@outbox>"


def test_holdout_and_split_between_versions(console: Console) -> None:
    owner = console.a.owner
    saved = owner.post(
        URL, {"locale": "en", "subject": "One", "text": "Version one.", "action": "save"}
    )
    assert saved.status_code == 303, saved.text
    page = owner.get(URL).text
    assert 'name="holdout_percent"' in page and 'name="weight.1"' in page
    bad = owner.post(f"{URL}/split", {"holdout_percent": "80", "weight.1": "50"})
    assert bad.status_code == 400 and "holdout_percent" in bad.text
    missing = owner.post(f"{URL}/split", {"holdout_percent": "0", "weight.7": "50"})
    assert missing.status_code == 400 and "no version 7" in missing.text
    with console.platform.uow() as uow:
        assert uow.templates.split(console.a.merchant_id, "shipped", "email") is None
    r = owner.post(f"{URL}/split", {"holdout_percent": "10", "weight.0": "50", "weight.1": "50"})
    assert r.status_code == 303, r.text
    with console.platform.uow() as uow:
        split = uow.templates.split(console.a.merchant_id, "shipped", "email")
        assert uow.templates.split(console.b.merchant_id, "shipped", "email") is None
    assert (
        split is not None and split.holdout_percent == 10 and dict(split.variants) == {0: 50, 1: 50}
    )
    assert 'value="10"' in owner.get(URL).text
    assert owner.post(f"{URL}/split", {"action": "remove"}).status_code == 303
    with console.platform.uow() as uow:
        assert uow.templates.split(console.a.merchant_id, "shipped", "email") is None
        entries = uow.audit.list(console.a.merchant_id, subject="template:shipped/email")
    assert [e.entry.action for e in entries][:2] == ["templates.split", "templates.split"]
    for person in (console.a.agent, console.a.viewer):
        assert person.post(f"{URL}/split", {"holdout_percent": "10"}).status_code == 403


def test_test_send_from_the_editor(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = console.a.owner
    svc = service_for(console.platform)
    no_mail = owner.post(f"{URL}/test", {"to": "me@shop.example"})
    if svc.channels.email is None:  # no SMTP configured here: said, not a crash
        assert no_mail.status_code == 400 and "not configured" in no_mail.text
    outbox = Outbox()
    monkeypatch.setattr(svc, "channels", dataclasses.replace(svc.channels, email=outbox))
    bad = owner.post(f"{URL}/test", {"to": "not-an-address"})
    assert bad.status_code == 400 and 'data-field="to"' in bad.text and outbox.sent == []
    r = owner.post(f"{URL}/test", {"to": "me@shop.example", "locale": "de"})
    assert r.status_code == 303, r.text
    assert "flash=test_sent" in r.headers["location"]
    mail = outbox.sent[-1]
    assert mail.to == "me@shop.example" and mail.subject.startswith("[TEST] ")
    with console.platform.uow() as uow:
        entries = uow.audit.list(console.a.merchant_id, subject="template:shipped/email")
    assert entries[0].entry.action == "templates.test_send"
    assert console.a.agent.post(f"{URL}/test", {"to": "me@shop.example"}).status_code == 403
    assert len(outbox.sent) == 1
