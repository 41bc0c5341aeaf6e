"""The template editor: preview a draft, refuse one that does not render, save and reset as
versions, audited; owners only (both backends)."""

from __future__ import annotations

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
