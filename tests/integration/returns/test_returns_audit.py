"""Every step on a return, and every policy version, is in the audit log with who did it,
written in the step's transaction: over HTTP (``api:<key fingerprint>``), from the service
with another actor (``user:``, ``cli``, ``system:``), on both backends; tenants stay apart."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.returns import SqlReturnsUnitOfWork
from postpurchase.domain.errors import Conflict
from postpurchase.domain.merchants import hash_api_key
from postpurchase.domain.returns import Grade
from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.entrypoints.cli import app as cli
from postpurchase.service_layer.returns import LineAsk, ReturnAsk, record_step, snapshot
from tests.factories import T0, ref, ups_number
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_returns_api import ask, lines_of


def audit_of(shop: Shop, subject: str) -> list[dict[str, Any]]:
    """The subject's entries through the API, oldest first."""
    got = shop.client.get("/api/v1/audit", params={"subject": subject, "limit": 500})
    assert got.status_code == 200, got.text
    return list(reversed(got.json()["items"]))


def test_each_step_over_http_is_audited_with_the_keys_fingerprint(shop: Shop) -> None:
    c = shop.client
    me = f"api:{hash_api_key(shop.key)[:12]}"
    order = shop.delivered_order()
    rid = c.post(f"/api/v1/orders/{order.id}/returns", json=ask(order, ("MUG-1", 1, "too_small")))
    rid = rid.json()["id"]
    label = {"carrier": "usps", "tracking_number": "9400111899223100000000"}
    assert c.post(f"/api/v1/returns/{rid}/label", json=label).status_code == 200
    assert c.post(f"/api/v1/returns/{rid}/in-transit").status_code == 200
    assert c.post(f"/api/v1/returns/{rid}/receive").status_code == 200
    mug = lines_of(order)["MUG-1"]
    inspected = c.post(
        f"/api/v1/returns/{rid}/inspect",
        json={"lines": [{"order_line_id": mug, "grade": "resellable", "note": "as new"}],
              "location": "WH-1"},
    )  # fmt: skip
    assert inspected.status_code == 200, inspected.text
    assert c.post(f"/api/v1/returns/{rid}/resolve").status_code == 200

    entries = audit_of(shop, f"return:{rid}")
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("returns.approve", "system:policy"),  # the policy approved it as it was asked
        ("returns.label", me), ("returns.in_transit", me), ("returns.receive", me),
        ("returns.inspect", me), ("returns.put_away", me), ("returns.refund", me),
    ]  # fmt: skip
    by = {e["action"]: e["changes"] for e in entries}
    assert by["returns.approve"]["status"] == ["requested", "approved"]
    assert by["returns.label"]["tracking_number"] == [None, "9400111899223100000000"]
    assert by["returns.inspect"][f"lines.{mug}.grade"] == [None, "resellable"]
    assert by["returns.inspect"][f"lines.{mug}.note"] == [None, "as new"]
    assert by["returns.put_away"][f"lines.{mug}.disposition"] == [None, "restock"]
    assert by["returns.put_away"]["location"] == [None, "WH-1"]
    assert by["returns.put_away"][f"lines.{mug}.location"] == [None, "WH-1"]
    shown = c.get(f"/api/v1/returns/{rid}").json()["lines"]
    assert [(x["order_line_id"], x["location"]) for x in shown] == [(mug, "WH-1")]
    assert by["returns.put_away"]["status"] == ["inspected", "restocked"]
    assert by["returns.refund"]["status"] == ["restocked", "refunded"]
    assert by["returns.refund"]["paid.amount"] == [None, "12.15"]
    assert by["returns.refund"]["resolution_reference"][1].startswith("ledger:")


def test_review_decisions_bulk_and_policy_versions_are_audited(shop: Shop) -> None:
    c = shop.client
    me = f"api:{hash_api_key(shop.key)[:12]}"
    order, order2 = shop.delivered_order(), shop.delivered_order()
    one = c.post(f"/api/v1/orders/{order.id}/returns", json=ask(order, ("TEE-M", 1, "damaged")))
    two = c.post(f"/api/v1/orders/{order2.id}/returns", json=ask(order2, ("TEE-M", 1, "damaged")))
    a, b = one.json()["id"], two.json()["id"]
    assert audit_of(shop, f"return:{a}") == []  # waiting for review: nobody acted yet
    c.post(f"/api/v1/returns/{b}/reject", json={"reason": "No photo sent"})
    c.post("/api/v1/returns/bulk-approve", json={"ids": [a, b]})  # b is refused: no entry
    assert [(e["action"], e["actor"]) for e in audit_of(shop, f"return:{a}")] == [
        ("returns.approve", me)
    ]
    rejected = audit_of(shop, f"return:{b}")
    assert [e["action"] for e in rejected] == ["returns.reject"]
    assert rejected[0]["changes"]["rejection_reason"] == [None, "No photo sent"]

    put = c.put("/api/v1/returns/policy", json={"window_days": 45})
    assert put.status_code == 200, put.text
    [entry] = audit_of(shop, "returns.policy")
    assert (entry["action"], entry["actor"]) == ("returns.policy.activate", me)
    assert entry["changes"]["window_days"] == [30, 45]
    assert entry["changes"]["version"][1] == put.json()["version"]


def test_other_actors_and_a_refused_step_leaves_no_entry(shop: Shop) -> None:
    svc = returns_service(shop.platform)
    order = shop.delivered_order()
    tee = lines_of(order)["TEE-M"]
    ret, _, _ = svc.request(shop.merchant_id, order.id, ReturnAsk((LineAsk(tee, 1, "damaged"),)))
    svc.approve(shop.merchant_id, ret.id, actor="user:agent@shop.example")
    svc.receive(shop.merchant_id, ret.id, actor="cli")
    with pytest.raises(Conflict):  # received is not resolvable: rolled back with its entry
        svc.resolve(shop.merchant_id, ret.id, actor="system:refund-timing")
    svc.inspect(shop.merchant_id, ret.id, {tee: Grade.DAMAGED}, actor="user:agent@shop.example")
    svc.resolve(shop.merchant_id, ret.id, actor="system:refund-timing")
    assert [(e["action"], e["actor"]) for e in audit_of(shop, f"return:{ret.id}")] == [
        ("returns.approve", "user:agent@shop.example"),
        ("returns.receive", "cli"),
        ("returns.inspect", "user:agent@shop.example"),
        ("returns.put_away", "user:agent@shop.example"),
        ("returns.refund", "system:refund-timing"),
    ]


def test_an_entry_commits_or_rolls_back_with_its_step(shop: Shop) -> None:
    """The entry is written on the step's own connection: a step rolled back leaves none."""
    order = shop.delivered_order()
    tee = lines_of(order)["TEE-M"]
    svc = returns_service(shop.platform)
    ret, _, _ = svc.request(shop.merchant_id, order.id, ReturnAsk((LineAsk(tee, 1, "damaged"),)))
    platform = shop.platform

    def count() -> int:
        with platform.engine.connect() as conn:
            q = select(func.count()).select_from(t.audit_log)
            q = q.where(t.audit_log.c.subject == f"return:{ret.id}")
            return int(conn.execute(q).scalar_one())

    with SqlReturnsUnitOfWork(platform.engine, platform.clock.now) as uow:
        found = uow.returns.get(shop.merchant_id, ret.id, lock=True)
        assert found is not None
        before = snapshot(found)
        found.approve(platform.clock.now())
        record_step(uow, found, actor="cli", action="returns.approve", before=before)
        uow.rollback()
    assert count() == 0
    svc.approve(shop.merchant_id, ret.id, actor="cli")
    assert count() == 1


def test_another_merchant_never_sees_the_entries(shop: Shop, other_shop: Shop) -> None:
    order = shop.delivered_order()
    rid = shop.client.post(
        f"/api/v1/orders/{order.id}/returns", json=ask(order, ("MUG-1", 1, "too_small"))
    ).json()["id"]
    assert audit_of(shop, f"return:{rid}") != []
    assert audit_of(other_shop, f"return:{rid}") == []
    assert other_shop.client.post(f"/api/v1/returns/{rid}/receive").status_code == 404
    assert [e["action"] for e in audit_of(shop, f"return:{rid}")] == ["returns.approve"]


def test_the_cli_steps_are_audited_as_cli(
    shop: Shop, engine: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = shop.delivered_order()
    tee = lines_of(order)["TEE-M"]
    svc = returns_service(shop.platform)
    ret, _, _ = svc.request(shop.merchant_id, order.id, ReturnAsk((LineAsk(tee, 1, "damaged"),)))
    with shop.platform.uow() as uow:
        slug = uow.merchants.get(shop.merchant_id).slug
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", engine.url.render_as_string(False))

    def run(*args: str, stdin: str | None = None) -> Any:
        return CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path)], input=stdin)

    approved = run("returns", "approve", slug, ret.id)
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.output)["status"] == "approved"
    again = run("returns", "approve", slug, ret.id)
    assert again.exit_code == 2 and again.output.count("\n") == 1
    assert "status:" in again.output
    assert run("returns", "receive", slug, "0" * 32).exit_code == 2
    assert run("returns", "receive", "no-such-shop", ret.id).exit_code != 0
    assert run("returns", "receive", slug, ret.id).exit_code == 0
    bad = run("returns", "policy", "set", slug, "--file", "-", stdin='{"window_dayz": 3}')
    assert bad.exit_code == 2 and "window_dayz" in bad.output
    saved = run("returns", "policy", "set", slug, "--file", "-", stdin='{"window_days": 60}')
    assert saved.exit_code == 0, saved.output
    shown = run("returns", "policy", "show", slug)
    assert json.loads(shown.output)["window_days"] == 60
    assert [(e["action"], e["actor"]) for e in audit_of(shop, f"return:{ret.id}")] == [
        ("returns.approve", "cli"), ("returns.receive", "cli"),
    ]  # fmt: skip
    assert [e["actor"] for e in audit_of(shop, "returns.policy")] == ["cli"]


# ---- the automatic steps: the leg's scans, refund timing, instant exchange -----------------


def test_the_parcels_scans_and_an_early_refund_are_audited_as_system_jobs(shop: Shop) -> None:
    """The return moved by its leg's scans and paid by the refund timing: each step in the
    audit log with its job as the actor and the old and new facts, in its transaction."""
    from tests.integration.returns.test_refund_timing import _labelled, _scan
    from tests.integration.returns.test_returns_store_exchange import put_policy

    put_policy(shop, {"refund_timing": "first_scan"})
    order = shop.delivered_order()
    number = ups_number()
    rid = _labelled(shop, order, number)
    _scan(shop, number, 150, "in_transit", "a")
    _scan(shop, number, 150, "in_transit", "a")  # a replay: no second entry
    _scan(shop, number, 190, "delivered", "b")
    entries = audit_of(shop, f"return:{rid}")
    me = f"api:{hash_api_key(shop.key)[:12]}"
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("returns.approve", "system:policy"),
        ("returns.label", me),
        ("returns.in_transit", "system:returns-tracking"),
        ("returns.refund", "system:refund-timing"),
        ("returns.receive", "system:returns-tracking"),
    ]
    by = {e["action"]: e["changes"] for e in entries}
    assert by["returns.in_transit"]["status"] == ["label_issued", "in_transit"]
    assert by["returns.receive"]["status"] == ["in_transit", "received"]
    refund = by["returns.refund"]
    assert "status" not in refund  # paid early: the return keeps its place
    body = shop.client.get(f"/api/v1/returns/{rid}").json()
    assert refund["paid.amount"] == [None, body["refund"]["amount"]]
    assert refund["paid.currency"] == [None, "USD"]
    assert refund["paid.reference"][1] == f"ledger:{body['ledger'][0]['id']}"
    assert refund["paid.timing"] == [None, "refund_timing.first_scan"]


def test_a_delivery_without_a_pickup_scan_is_one_receive_entry(shop: Shop) -> None:
    from tests.integration.returns.test_refund_timing import _labelled, _scan

    order = shop.delivered_order()
    number = ups_number()
    rid = _labelled(shop, order, number)
    _scan(shop, number, 190, "delivered", "b")  # no earlier carrier scan stored
    moved = [e for e in audit_of(shop, f"return:{rid}") if e["actor"].startswith("system:r")]
    assert [(e["action"], e["changes"]["status"]) for e in moved] in (
        [("returns.receive", ["label_issued", "received"])],
        # a delivery scan also hands the parcel over: through in_transit first
        [("returns.in_transit", ["label_issued", "in_transit"]),
         ("returns.receive", ["in_transit", "received"])],
    )  # fmt: skip


def test_an_early_credit_at_the_counter_is_audited_after_the_receive(shop: Shop) -> None:
    from tests.integration.returns.test_returns_store_exchange import mug_ask, put_policy

    put_policy(shop, {"refund_timing": "arrival"})
    order = shop.delivered_order()
    c = shop.client
    rid = c.post(
        f"/api/v1/orders/{order.id}/returns", json=mug_ask(order, resolution="store_credit")
    ).json()["id"]
    assert c.post(f"/api/v1/returns/{rid}/receive").status_code == 200
    entries = audit_of(shop, f"return:{rid}")
    me = f"api:{hash_api_key(shop.key)[:12]}"
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("returns.approve", "system:policy"),
        ("returns.receive", me),
        ("returns.credit", "system:refund-timing"),
    ]
    assert entries[-1]["changes"]["paid.timing"] == [None, "refund_timing.arrival"]


def test_an_instant_exchange_is_audited_with_its_order(shop: Shop) -> None:
    from tests.integration.returns.test_instant_exchange import TRUST, _ask, _work
    from tests.integration.returns.test_returns_store_exchange import (
        catalogue,
        put_policy,
        shop_order,
    )

    put_policy(shop, {"resolutions": ["refund", "exchange"], "instant_exchange": TRUST})
    ids = catalogue(shop)
    email = f"{ref()}@example.com"
    shop_order(shop, email=email, placed_at=T0 - timedelta(days=60))
    order = shop_order(shop, email=email)
    rid = shop.client.post(
        f"/api/v1/orders/{order.id}/returns", json=_ask(order, ids["Green"])
    ).json()["id"]
    _work(shop)
    _work(shop)  # a replayed ReturnApproved: no second entry
    placed = shop.client.get(f"/api/v1/returns/{rid}").json()["exchange"]["order_id"]
    entries = audit_of(shop, f"return:{rid}")
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("returns.approve", "system:policy"),
        ("returns.exchange.instant", "system:instant-exchange"),
    ]
    changes = entries[-1]["changes"]
    assert changes["exchange_order_id"] == [None, placed]
    assert changes["instant_exchange.rule"] == [None, "exchange.instant"]
    assert "status" not in changes  # still approved: the parcel is not back
