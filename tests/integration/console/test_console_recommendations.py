"""Recommendation rules are a section of the one settings schema: read and written through
``/api/v1/settings`` and the console form, validated by dotted path, read by the engine from
the same place as ``/api/v1/recommendations/settings`` writes them (both backends)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from postpurchase.adapters.db.recommendations import SqlRecommendationStore
from postpurchase.adapters.db.remedies import SqlRemedyStore
from postpurchase.domain.recommendations import Placement, Strategy
from postpurchase.domain.remedies import RemedyKind
from postpurchase.service_layer.settings import get_settings
from tests.integration.console.conftest import Console

URL = "/console/settings/recommendations"


def rules_of(console: Console, merchant_id: str) -> Any:
    with console.platform.engine.connect() as conn:
        return SqlRecommendationStore(conn).rules(merchant_id)


def api(console: Console, key: str) -> TestClient:
    c = TestClient(console.app, headers={"Authorization": f"Bearer {key}"})
    console.clients.append(c.__enter__())
    return c


def test_the_console_form_writes_the_rules_the_engine_reads(console: Console) -> None:
    owner = console.a.owner
    page = owner.get(URL)
    assert page.status_code == 200 and 'name="strategy-1"' in page.text
    for person in (console.a.agent, console.a.viewer):
        assert person.get(URL).status_code == 403
        assert person.post(URL, {"enabled": "on"}).status_code == 403
    bad = owner.post(URL, {"enabled": "on", "strategy-1": "manual", "strategy-2": "manual",
                           "max_items": "99", "store_url": "http://shop.example"})  # fmt: skip
    assert bad.status_code == 400
    for path in ("recommendations.strategies", "recommendations.max_items",
                 "recommendations.store_url"):  # fmt: skip
        assert f'id="err-{path.replace(".", "-")}"' in bad.text, path
    assert 'value="http://shop.example"' in bad.text  # kept as typed
    assert rules_of(console, console.a.merchant_id).enabled is False
    good = {"enabled": "on", "strategy-1": "manual", "strategy-2": "same_collection",
            "manual_picks": "p-1\np-2\n", "max_items": "4", "placement.page": "on",
            "attribution_days": "30", "store_url": "https://shop.example/"}  # fmt: skip
    r = owner.post(URL, good)
    assert r.status_code == 303, r.text
    rules = rules_of(console, console.a.merchant_id)
    assert rules.enabled and rules.strategies == (Strategy.MANUAL, Strategy.SAME_COLLECTION)
    assert rules.manual_picks == ("p-1", "p-2") and rules.max_items == 4
    assert rules.placements == frozenset({Placement.PAGE}) and rules.attribution_days == 30
    assert rules.store_url == "https://shop.example" and rules.min_bought_together == 2
    assert rules_of(console, console.b.merchant_id).enabled is False
    assert "p-2" not in console.b.owner.get(URL).text
    with console.platform.uow() as uow:
        entries = uow.audit.list(console.a.merchant_id, limit=50)
    [entry] = [e.entry for e in entries if e.entry.action == "settings.update"]
    assert entry.actor == f"user:{owner.email}"
    assert entry.changes["recommendations.enabled"] == [None, True]


def test_the_section_is_read_and_written_through_the_settings_api(console: Console) -> None:
    a, b = api(console, console.a.key), api(console, console.b.key)
    assert a.get("/api/v1/settings").json()["recommendations"]["enabled"] is None
    r = a.patch(
        "/api/v1/settings",
        json={"recommendations": {"enabled": True, "colour": 1, "placements": ["page", "sky"]}},
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert "recommendations.colour" in fields
    r = a.patch("/api/v1/settings", json={"recommendations": {"placements": ["page", "sky"]}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == (
        "recommendations.placements[1]"
    )
    assert rules_of(console, console.a.merchant_id).enabled is False
    r = a.patch("/api/v1/settings", json={"recommendations": {"enabled": True, "max_items": 2}})
    assert r.status_code == 200, r.text
    assert r.json()["recommendations"]["max_items"] == 2
    assert rules_of(console, console.a.merchant_id).max_items == 2
    # the older endpoint writes the same section, so both read the same rules
    r = a.put("/api/v1/recommendations/settings", json={"min_bought_together": 5})
    assert r.status_code == 200, r.text
    section = a.get("/api/v1/settings").json()["recommendations"]
    assert section["min_bought_together"] == 5 and section["max_items"] == 2
    assert section["enabled"] is True
    assert get_settings(console.platform.uow(), console.a.merchant_id).recommendations.enabled
    assert b.get("/api/v1/settings").json()["recommendations"]["enabled"] is None
    assert b.get("/api/v1/recommendations/settings").json()["enabled"] is False


def remedy_rule(console: Console, merchant_id: str) -> Any:
    with console.platform.engine.connect() as conn:
        return SqlRemedyStore(conn).rule(merchant_id)


def test_the_automatic_remedy_is_a_settings_section_with_a_console_form(
    console: Console,
) -> None:
    owner, url = console.a.owner, "/console/settings/remedies/automatic"
    page = owner.get("/console/settings/remedies").text
    assert 'action="/console/settings/remedies/automatic"' in page
    for person in (console.a.agent, console.a.viewer):
        assert person.post(url, {"enabled": "on"}).status_code == 403
    bad = owner.post(url, {"enabled": "on", "kind": "refund_shipping", "grace_days": "99"})
    assert bad.status_code == 400 and 'id="err-automatic_remedy-grace_days"' in bad.text
    assert remedy_rule(console, console.a.merchant_id).enabled is False
    r = owner.post(url, {"enabled": "on", "kind": "store_credit", "grace_days": "2"})
    assert r.status_code == 303, r.text
    rule = remedy_rule(console, console.a.merchant_id)
    assert rule.enabled and rule.kind is RemedyKind.STORE_CREDIT and rule.grace_days == 2
    assert rule.apologise is False  # the box was left empty
    assert remedy_rule(console, console.b.merchant_id).enabled is False
    a = api(console, console.a.key)
    assert a.get("/api/v1/settings").json()["automatic_remedy"]["kind"] == "store_credit"
    assert a.get("/api/v1/remedies/settings").json()["grace_days"] == 2
    r = a.put("/api/v1/remedies/settings", json={"apologise": True})
    assert r.status_code == 200, r.text
    assert a.get("/api/v1/settings").json()["automatic_remedy"]["apologise"] is True
    r = a.patch("/api/v1/settings", json={"automatic_remedy": {"kind": "voucher"}})
    assert r.status_code == 422 and r.json()["field"] == "automatic_remedy.kind"
    # the per-flow sentence form still works beside it
    assert owner.post("/console/settings/remedies", {"remedy.delayed": "Sorry."}).status_code == 303
