"""The FAQ, custom domains, custom block, remedies, ops alerts and wording forms: owners
only, the schema's validation shown next to the field under its dotted path, nothing stored
on a refusal, every change audited, each store's own (both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from postpurchase.domain.console import Role
from postpurchase.service_layer.settings import get_settings
from tests.integration.console.conftest import Console

MORE = ["faq", "domains", "block", "remedies", "ops", "strings"]
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"  # Apprise's documented shape


def settings_of(console: Console, merchant_id: str) -> Any:
    return get_settings(console.platform.uow(), merchant_id)


def updates(console: Console, merchant_id: str) -> list[Any]:
    with console.platform.uow() as uow:
        entries = uow.audit.list(merchant_id, limit=500)
    return [e.entry for e in entries if e.entry.action == "settings.update"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_an_agent_or_viewer_can_neither_see_nor_change_them(console: Console, role: Role) -> None:
    person = console.a.people[role]
    for section in MORE:
        assert person.get(f"/console/settings/{section}").status_code == 403
        assert person.post(f"/console/settings/{section}", {}).status_code == 403
    r = person.post("/console/settings/faq", {"faq-0-question": "Q?", "faq-0-answer": "A."})
    assert r.status_code == 403
    assert settings_of(console, console.a.merchant_id).tracking_page.faq is None
    assert updates(console, console.a.merchant_id) == []


def test_a_post_without_the_csrf_token_is_refused(console: Console) -> None:
    owner = console.a.owner
    r = owner.client.post("/console/settings/domains", data={"custom_domains": "t.shop.example"},
                          follow_redirects=False)  # fmt: skip
    assert r.status_code in (400, 403)
    assert settings_of(console, console.a.merchant_id).tracking_page.custom_domains is None


def test_faq_add_edit_reorder_remove(console: Console) -> None:
    owner = console.a.owner
    assert 'name="faq-0-question"' in owner.get("/console/settings/faq").text
    r = owner.post("/console/settings/faq", {"faq-0-question": "Where is it?",
                                             "faq-0-answer": "On its way."})  # fmt: skip
    assert r.status_code == 303, r.text
    r = owner.post("/console/settings/faq", {
        "faq-0-question": "Where is it?", "faq-0-answer": "On its way.", "faq-0-position": "2",
        "faq-1-question": "Can I return it?", "faq-1-answer": "Yes, 30 days.",
        "faq-1-position": "1",
    })  # fmt: skip
    assert r.status_code == 303, r.text
    faq = settings_of(console, console.a.merchant_id).tracking_page.faq
    assert [e.question for e in faq] == ["Can I return it?", "Where is it?"]
    page = owner.get("/console/settings/faq").text
    assert page.index("Can I return it?") < page.index("Where is it?")
    r = owner.post("/console/settings/faq", {
        "faq-0-question": "Can I return it?", "faq-0-answer": "Yes, 60 days.",
        "faq-1-question": "Where is it?", "faq-1-answer": "On its way.", "faq-1-remove": "on",
    })  # fmt: skip
    assert r.status_code == 303, r.text
    faq = settings_of(console, console.a.merchant_id).tracking_page.faq
    assert [(e.question, e.answer) for e in faq] == [("Can I return it?", "Yes, 60 days.")]
    r = owner.post("/console/settings/faq", {"faq-0-question": "Can I return it?",
                                             "faq-0-answer": "", "faq-0-remove": "on"})  # fmt: skip
    assert r.status_code == 303
    assert settings_of(console, console.a.merchant_id).tracking_page.faq is None
    assert len(updates(console, console.a.merchant_id)) == 4
    assert settings_of(console, console.b.merchant_id).tracking_page.faq is None


def test_a_refused_faq_shows_the_problem_by_its_field_and_keeps_what_was_typed(
    console: Console,
) -> None:
    owner = console.a.owner
    owner.post("/console/settings/faq", {"faq-0-question": "Kept?", "faq-0-answer": "Yes."})
    before = len(updates(console, console.a.merchant_id))
    r = owner.post("/console/settings/faq", {
        "faq-0-question": "Fine?", "faq-0-answer": "Yes.",
        "faq-1-question": "No answer?", "faq-1-answer": "",
    })  # fmt: skip
    assert r.status_code == 400
    assert 'class="field-error" id="err-tracking_page-faq-1-answer"' in r.text
    assert "tracking_page.faq[1].answer" in r.text
    assert 'value="No answer?"' in r.text and 'value="Fine?"' in r.text
    faq = settings_of(console, console.a.merchant_id).tracking_page.faq
    assert [e.question for e in faq] == ["Kept?"]
    assert len(updates(console, console.a.merchant_id)) == before


def test_custom_domains(console: Console) -> None:
    owner = console.a.owner
    r = owner.post("/console/settings/domains",
                   {"custom_domains": "Track.Shop.Example\nnot a host"})  # fmt: skip
    assert r.status_code == 400 and "tracking_page.custom_domains[1]" in r.text
    assert "not a host" in r.text  # kept as typed
    assert settings_of(console, console.a.merchant_id).tracking_page.custom_domains is None
    r = owner.post("/console/settings/domains",
                   {"custom_domains": "track.shop.example\n\norders.shop.example\n"})  # fmt: skip
    assert r.status_code == 303, r.text
    hosts = settings_of(console, console.a.merchant_id).tracking_page.custom_domains
    assert hosts == ["track.shop.example", "orders.shop.example"]
    assert "orders.shop.example" in owner.get("/console/settings/domains").text
    assert "orders.shop.example" not in console.b.owner.get("/console/settings/domains").text
    assert owner.post("/console/settings/domains", {"custom_domains": ""}).status_code == 303
    assert settings_of(console, console.a.merchant_id).tracking_page.custom_domains is None


def test_custom_block(console: Console) -> None:
    owner = console.a.owner
    r = owner.post("/console/settings/block", {"title": "Hi", "text": "Plain", "html": "<p>x</p>"})
    assert r.status_code == 400 and "tracking_page.custom_block" in r.text
    r = owner.post("/console/settings/block", {"title": "Hi", "link_url": "javascript:alert(1)"})
    assert r.status_code == 400 and "err-tracking_page-custom_block-link_url" in r.text
    assert settings_of(console, console.a.merchant_id).tracking_page.custom_block is None
    care = {"title": "Care guide", "html": "<p>Wash cold</p>",
            "link_url": "https://shop.example/care"}  # fmt: skip
    r = owner.post("/console/settings/block", care)
    assert r.status_code == 303, r.text
    block = settings_of(console, console.a.merchant_id).tracking_page.custom_block
    assert block.title == "Care guide" and block.link_url == "https://shop.example/care"
    assert "Care guide" not in console.b.owner.get("/console/settings/block").text
    r = owner.post("/console/settings/block", {"title": "Care guide", "text": "Wash cold"})
    assert r.status_code == 303, r.text
    block = settings_of(console, console.a.merchant_id).tracking_page.custom_block
    assert block.html is None and block.text == "Wash cold" and block.link_url is None
    assert owner.post("/console/settings/block", {}).status_code == 303
    assert settings_of(console, console.a.merchant_id).tracking_page.custom_block is None


def test_remedies_per_flow(console: Console) -> None:
    owner = console.a.owner
    page = owner.get("/console/settings/remedies").text
    assert 'name="remedy.delayed"' in page
    r = owner.post("/console/settings/remedies", {"remedy.delayed": "x" * 501})
    assert r.status_code == 400 and "notifications.remedy.delayed" in r.text
    r = owner.post("/console/settings/remedies", {"remedy.delayed": "Sorry: use SORRY10."})
    assert r.status_code == 303, r.text
    remedy = settings_of(console, console.a.merchant_id).notifications.remedy
    assert remedy.delayed == "Sorry: use SORRY10."
    assert "SORRY10" not in console.b.owner.get("/console/settings/remedies").text
    assert updates(console, console.a.merchant_id)[0].changes["notifications.remedy.delayed"] == [
        None,
        "Sorry: use SORRY10.",
    ]
    assert owner.post("/console/settings/remedies", {}).status_code == 303
    assert settings_of(console, console.a.merchant_id).notifications.remedy is None


def test_ops_urls_are_checked_like_the_api_checks_them(console: Console) -> None:
    owner = console.a.owner
    r = owner.post("/console/settings/ops", {"ops_urls": f"{SLACK}\nnope://x"})
    assert r.status_code == 400 and "notifications.ops_urls[1]" in r.text
    assert settings_of(console, console.a.merchant_id).notifications.ops_urls is None
    r = owner.post("/console/settings/ops", {"ops_urls": f"{SLACK}\n"})
    assert r.status_code == 303, r.text
    assert settings_of(console, console.a.merchant_id).notifications.ops_urls == [SLACK]
    assert SLACK not in console.b.owner.get("/console/settings/ops").text


def test_string_overrides_per_locale(console: Console) -> None:
    owner = console.a.owner
    page = owner.get("/console/settings/strings?locale=de").text
    assert 'name="s:checkout.by"' in page and 'name="locale" value="de"' in page
    r = owner.post("/console/settings/strings", {"locale": "de", "s:checkout.by": "Bis morgen"})
    assert r.status_code == 400
    assert "err-strings-de-checkout-by" in r.text and "{day}" in r.text
    assert 'value="Bis morgen"' in r.text
    assert settings_of(console, console.a.merchant_id).strings is None
    r = owner.post(
        "/console/settings/strings", {"locale": "de", "s:checkout.by": "Bei dir am {day}"}
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/console/settings/strings?locale=de")
    assert settings_of(console, console.a.merchant_id).strings == {
        "de": {"checkout.by": "Bei dir am {day}"}
    }
    assert 'value="Bei dir am {day}"' in owner.get("/console/settings/strings?locale=de").text
    assert "Bei dir am" not in owner.get("/console/settings/strings?locale=fr").text
    assert "Bei dir am" not in console.b.owner.get("/console/settings/strings?locale=de").text
    r = owner.post("/console/settings/strings", {"locale": "xx", "s:checkout.by": "{day}"})
    assert r.status_code == 400 and "strings.xx" in r.text
    assert owner.post("/console/settings/strings", {"locale": "de"}).status_code == 303
    assert not (settings_of(console, console.a.merchant_id).strings or {}).get("de")


def test_adding_a_carrier_account_seals_its_credentials(console: Console) -> None:
    owner = console.a.owner
    page = owner.get("/console/settings/carriers").text
    assert 'action="/console/settings/carriers/add"' in page and "simulated:ups" in page
    step = owner.get("/console/settings/carriers/add?kind=karrio:ups").text
    assert 'name="f.client_secret"' in step and 'type="password"' in step
    assert owner.get("/console/settings/carriers/add?kind=karrio:nope").status_code == 400
    bad = owner.post(
        "/console/settings/carriers",
        {
            "kind": "simulated:ups",
            "mode": "test",
            "f.api_key": "sk_sim_secret_1234",
            "f.base_url": "https://evil.example",
        },
    )
    assert bad.status_code == 400 and "base_url" in bad.text
    assert "sk_sim_secret_1234" not in bad.text  # a credential is never echoed back
    assert 'value="https://evil.example"' in bad.text
    form = {"kind": "simulated:ups", "mode": "test", "f.api_key": "sk_sim_secret_1234",
            "f.base_url": "http://127.0.0.1:9/"}  # fmt: skip
    for person in (console.a.agent, console.a.viewer):
        assert person.post("/console/settings/carriers", form).status_code == 403
    r = owner.post("/console/settings/carriers", form)
    assert r.status_code == 303, r.text
    listing = owner.get("/console/settings/carriers").text
    assert "simulated" in listing and "sk_sim_secret_1234" not in listing
    assert (
        "simulated"
        not in console.b.owner.get("/console/settings/carriers").text.split("Add an account")[0]
    )
    with console.platform.engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(text("SELECT * FROM carrier_accounts"))
                       for v in row)  # fmt: skip
    assert "sk_sim_secret_1234" not in raw  # sealed at rest
    with console.platform.uow() as uow:
        entries = uow.audit.list(console.a.merchant_id, limit=50)
    # a test call: nothing listens on 127.0.0.1:9, so the cause is shown and kept
    tested = owner.post("/console/settings/carriers/ups/test")
    assert tested.status_code == 400 and "ups: unavailable" in tested.text
    assert console.b.owner.post("/console/settings/carriers/ups/test").status_code == 400
    assert console.a.agent.post("/console/settings/carriers/ups/test").status_code == 403
    saved = [e.entry for e in entries if e.entry.action == "console.settings.carrier_account.saved"]
    assert saved and saved[0].subject == "carrier_account:ups"
    assert "sk_sim_secret_1234" not in str(saved[0].changes)


def test_tracking_extras_and_notification_timing(console: Console) -> None:
    owner = console.a.owner
    r = owner.post("/console/settings/tracking", {"cors_origins": "https://shop.example\nnope"})
    assert r.status_code == 400 and "tracking_page.cors_origins" in r.text
    r = owner.post("/console/settings/tracking", {
        "cors_origins": "https://shop.example", "pickup_hours": "Mon-Fri 9-18",
        "reschedule_url": "https://shop.example/reschedule",
    })  # fmt: skip
    assert r.status_code == 303, r.text
    page = settings_of(console, console.a.merchant_id).tracking_page
    assert page.cors_origins == ["https://shop.example"] and page.pickup_hours == "Mon-Fri 9-18"
    r = owner.post("/console/settings/notifications", {"collapse_seconds": "lots"})
    assert r.status_code == 400 and "notifications.collapse_seconds" in r.text
    r = owner.post("/console/settings/notifications", {"collapse_seconds": "120",
                                                       "pickup_hold_days": "7"})  # fmt: skip
    assert r.status_code == 303, r.text
    n = settings_of(console, console.a.merchant_id).notifications
    assert n.collapse_seconds == 120 and n.pickup_hold_days == 7 and n.max_event_age_hours is None
    assert 'value="120"' in owner.get("/console/settings/notifications").text
    assert settings_of(console, console.b.merchant_id).notifications.collapse_seconds is None
