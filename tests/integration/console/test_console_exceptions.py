"""The exceptions queue and its actions: every kind found (the SQL agrees with the pure rule),
actions change what they say and are audited, a viewer cannot act, no store touches
another's shipments (both backends)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console import queue
from postpurchase.adapters.db.console.attention import kind_condition
from postpurchase.domain.console import Attention, kinds_of
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer.console import ShipmentActions
from tests.console_seeding import seed
from tests.factories import scan
from tests.integration.console.conftest import Console

KINDS = {
    "late": {Attention.LATE},
    "quiet": {Attention.NO_SCAN},
    "failed": {Attention.FAILED_ATTEMPT},
    "invalid": {Attention.INVALID_TRACKING},
    "address": {Attention.ADDRESS_PROBLEM},
    "returned": {Attention.RETURNED_TO_SENDER},
    "damaged": {Attention.CARRIER_EXCEPTION},
    "on_time": set(),
    "delivered": set(),
}


def audit(console: Console, merchant_id: str, shipment_id: str) -> list[Any]:
    with console.platform.uow() as uow:
        return uow.audit.list(merchant_id, subject=f"shipment:{shipment_id}")


def test_every_kind_is_queued_and_sql_agrees_with_the_rule(console: Console) -> None:
    seeded = {kind: seed(console.platform, console.a.merchant_id, kind) for kind in KINDS}
    now, days = console.clock.now(), console.platform.settings.no_scan_days
    with console.platform.engine.connect() as conn:
        rows, counts = queue(conn, console.a.merchant_id, now, days, limit=100)
        from postpurchase.adapters.db.console.actions_store import SqlParcels

        parcels = SqlParcels(conn)
        for kind, s in seeded.items():
            parcel = parcels.get(console.a.merchant_id, s.shipment_id)
            assert parcel is not None
            expected = kinds_of(parcel.facts, now, days)
            assert expected == KINDS[kind], kind
            joined = t.shipments.join(t.orders, t.orders.c.id == t.shipments.c.order_id)
            for k in Attention:  # the SQL condition of each kind agrees with the rule
                hit = conn.execute(
                    select(t.shipments.c.id)
                    .select_from(joined)
                    .where(t.shipments.c.id == s.shipment_id, kind_condition(k, now, days))
                ).first()
                finished = parcel.facts.status == "delivered"
                assert (hit is not None and not finished) == (k in expected), (kind, k)
    queued = {r.shipment_id: set(r.kinds) for r in rows}
    for kind, s in seeded.items():
        assert queued.get(s.shipment_id, set()) == KINDS[kind], kind
    assert all(counts[k.value] >= 1 for k in Attention)
    page = console.a.viewer.get("/console/exceptions", params={"kind": "address_problem"}).text
    assert seeded["address"].tracking_number in page
    assert seeded["failed"].tracking_number not in page
    bad = console.a.viewer.get("/console/exceptions", params={"kind": "everything"})
    assert bad.status_code == 400 and 'data-field="kind"' in bad.text


def test_resolved_leaves_the_queue_until_the_shipment_has_news(console: Console) -> None:
    s = seed(console.platform, console.a.merchant_id, "failed")
    agent = console.a.agent
    assert s.tracking_number in agent.get("/console/exceptions").text
    r = agent.post(f"/console/shipments/{s.shipment_id}/resolve?back=queue", {"note": "called"})
    assert r.status_code == 303 and r.headers["location"] == "/console/exceptions?flash=resolved"
    assert s.tracking_number not in agent.get("/console/exceptions").text
    entries = audit(console, console.a.merchant_id, s.shipment_id)
    assert entries[0].entry.action == "console.shipment.resolved"
    assert entries[0].entry.actor == f"user:{agent.email}"
    assert entries[0].entry.changes["resolved"] == [None, ["failed_attempt"]]
    # a new failed attempt is news: the shipment comes back
    from postpurchase.domain import commands

    console.clock.advance(hours=1)
    update = commands.TrackingUpdate(
        s.tracking_number, "ups", (scan(120.5, ShipmentStatus.ATTEMPT_FAILED),)
    )
    console.platform.bus().handle(commands.RecordTracking(console.a.merchant_id, (update,)))
    assert s.tracking_number in agent.get("/console/exceptions").text


def test_message_the_customer_queues_an_email_and_audits_it(console: Console) -> None:
    s = seed(console.platform, console.a.merchant_id, "address")
    agent = console.a.agent
    r = agent.post(
        f"/console/shipments/{s.shipment_id}/message",
        {"subject": "Your address", "body": "Could you confirm the flat number?"},
    )
    assert r.status_code == 303
    m = t.notification_messages.c
    with console.platform.engine.connect() as conn:
        row = conn.execute(
            select(m.status, m.recipient, m.subject, m.flow).where(m.shipment_id == s.shipment_id)
        ).one()
        due = conn.execute(
            select(t.outbox.c.payload).where(t.outbox.c.topic == "NotificationDue")
        ).all()
    assert (row.status, row.recipient, row.subject, row.flow) == (
        "queued",
        s.email,
        "Your address",
        "agent_message",
    )
    assert any(p.payload.get("message_id") for p in due)
    assert audit(console, console.a.merchant_id, s.shipment_id)[0].entry.action == (
        "console.shipment.messaged"
    )
    empty = agent.post(f"/console/shipments/{s.shipment_id}/message", {"subject": "x"})
    assert empty.status_code == 400 and 'data-field="body"' in empty.text


def test_reship_and_refund_the_shipping_fee(console: Console) -> None:
    s = seed(console.platform, console.a.merchant_id, "returned")
    owner = console.a.owner
    r = owner.post(
        f"/console/shipments/{s.shipment_id}/reship", {"tracking_number": "1Z999AA10123456784"}
    )
    assert r.status_code == 303, r.text
    with console.platform.uow() as uow:
        parcels = uow.shipments.for_orders(console.a.merchant_id, [s.order_id])
    assert {p.tracking_number for p in parcels} == {s.tracking_number, "1Z999AA10123456784"}
    r = owner.post(f"/console/shipments/{s.shipment_id}/refund")
    assert r.status_code == 303, r.text
    again = owner.post(f"/console/shipments/{s.shipment_id}/refund")  # a double click
    assert again.status_code == 303
    with console.platform.uow() as uow:
        refunds = uow.refunds.for_order(console.a.merchant_id, s.order_id)
    assert [x.shipping.amount for x in refunds] == [Decimal("6.95")]
    entries = [e.entry for e in audit(console, console.a.merchant_id, s.shipment_id)]
    assert [e.action for e in entries[:3]] == [
        "console.shipment.refunded",
        "console.shipment.refunded",
        "console.shipment.reshipped",
    ]
    # written by the ledger's and the shipment's own handlers, in their transactions
    assert [e.changes["refund.recorded"] for e in entries[:2]] == [[None, False], [None, True]]
    (new,) = [p.id for p in parcels if p.id != s.shipment_id]
    assert entries[2].changes["shipment"] == [None, f"shipment:{new}"]
    assert entries[2].changes["resolved"] == [None, ["returned_to_sender"]]


@pytest.mark.parametrize("action", ["message", "reship", "refund", "resolve"])
def test_a_viewer_cannot_act_and_nobody_acts_on_another_store(
    console: Console, action: str
) -> None:
    mine = seed(console.platform, console.a.merchant_id, "failed")
    theirs = seed(console.platform, console.b.merchant_id, "failed")
    data = {"subject": "s", "body": "b", "tracking_number": "1Z999AA10123456784", "note": "n"}
    r = console.a.viewer.post(f"/console/shipments/{mine.shipment_id}/{action}", data)
    assert r.status_code == 403
    for person in (console.a.agent, console.a.owner):
        r = person.post(f"/console/shipments/{theirs.shipment_id}/{action}", data)
        assert r.status_code == 404
    assert audit(console, console.a.merchant_id, mine.shipment_id) == []
    assert audit(console, console.b.merchant_id, theirs.shipment_id) == []
    assert audit(console, console.a.merchant_id, theirs.shipment_id) == []


def test_the_service_refuses_a_viewer_too(console: Console) -> None:
    from postpurchase.entrypoints.console.wiring import actions_for
    from postpurchase.service_layer.console import NotAllowed

    actions: ShipmentActions = actions_for(console.platform)
    s = seed(console.platform, console.a.merchant_id, "failed")
    viewer = console.accounts.login(console.a.viewer.email, "correct horse battery").principal
    with pytest.raises(NotAllowed):
        actions.resolve(viewer, s.shipment_id, None)
