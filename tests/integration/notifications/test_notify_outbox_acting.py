"""ADR 0041 on SQLite and PostgreSQL: an event gets an outbox row only where some
subscriber may act on it, and the notification engine's declaration of where it acts is
held to what planning actually does, topic by topic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.notifications import queries
from postpurchase.adapters.notifications.wiring import HOOKS_ONLY
from postpurchase.domain import commands
from postpurchase.domain.notifications import webhook_event_type
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer.notification_ports import INTERNAL_TOPICS
from tests.factories import place_order, scan, ups_number
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings

HOOK_URL = "http://127.0.0.1:9/hooks"  # never reached: the tests read the deliveries planned


def _notify(engine: Engine) -> Notify:
    return make_notify(engine, quiet_settings(outbound_allow="127.0.0.1"))


def _delivered_parcel(notify: Notify) -> tuple[str, str]:
    """An order shipped and delivered (inline ingestion): its order and shipment ids."""
    bus = notify.platform.bus
    order = bus().handle(place_order(notify.merchant.id, email="shopper@example.com"))
    number = ups_number()
    sid = bus().handle(commands.CreateShipment(notify.merchant.id, order.id, number)).id
    scans = (scan(1, ShipmentStatus.IN_TRANSIT), scan(30, ShipmentStatus.DELIVERED))
    update = commands.TrackingUpdate(number, "ups", scans)
    bus().handle(commands.RecordTracking(notify.merchant.id, (update,)))
    return order.id, sid


def _topics(notify: Notify, order_id: str) -> list[str]:
    o = t.outbox.c
    with notify.engine.connect() as conn:
        rows = conn.execute(
            select(o.topic, o.payload).where(o.merchant_id == notify.merchant.id).order_by(o.id)
        ).all()
    return [topic for topic, payload in rows if payload.get("order_id") == order_id]


def test_a_webhook_only_event_gets_a_row_only_where_an_endpoint_listens(engine: Engine) -> None:
    notify = _notify(engine)
    quiet, _ = _delivered_parcel(notify)
    # No endpoint, the remedy rule off: only the events a message may come of are written.
    assert "ShipmentStatusChanged" in _topics(notify, quiet)
    assert not {"OrderStatusChanged", "ShipmentDelivered"} & set(_topics(notify, quiet))

    ep = notify.service.create_endpoint(
        notify.merchant.id, HOOK_URL, [webhook_event_type("OrderStatusChanged")]
    )
    heard, _ = _delivered_parcel(notify)
    assert "OrderStatusChanged" in _topics(notify, heard)
    assert "ShipmentDelivered" not in _topics(notify, heard)  # nobody listens to that one
    notify.drain()
    with engine.connect() as conn:
        rows, _ = queries.list_deliveries(conn, notify.merchant.id, ep.id)
    assert {r["event_type"] for r in rows} == {"order.status_changed"}


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in t.metadata.sorted_tables
        }


def test_every_topic_the_engine_declares_idle_plans_nothing(engine: Engine) -> None:
    """For every topic the engine subscribes to: where ``acting`` says it does nothing (no
    endpoint), planning such an event -- one at a time and as a batch -- writes no row in
    any table; so leaving its outbox row out loses nothing. Where an endpoint takes every
    topic, every topic is acted on."""
    notify = _notify(engine)
    order_id, sid = _delivered_parcel(notify)
    notify.drain()
    subscriber = notify.platform.subscribers["OrderStatusChanged"][0]
    topics = sorted(notify.service.topics() - INTERNAL_TOPICS)
    m = notify.merchant.id
    with engine.connect() as conn:
        idle = [tp for tp in topics if not subscriber.acting(conn, tp, {m})]  # type: ignore[attr-defined]
    assert set(idle) == set(HOOKS_ONLY) and idle  # the rest may plan a message or an alert

    payload: dict[str, Any] = {
        "merchant_id": m, "order_id": order_id, "shipment_id": sid,
        "from_status": "in_transit", "to_status": "delivered", "previous": "shipped",
        "status": "delivered", "delivered_at": "2026-11-03T10:00:00+00:00",
        "reason": "delayed", "at": "2026-11-03T10:00:00+00:00",
    }  # fmt: skip
    before = _row_counts(engine)
    for i, topic in enumerate(idle):
        subscriber(10_000_000 + i, topic, payload)
    rows = [(20_000_000 + i, topic, payload) for i, topic in enumerate(idle)]
    assert subscriber.many(rows) == {}  # type: ignore[attr-defined]
    assert _row_counts(engine) == before

    notify.service.create_endpoint(m, HOOK_URL, ["*"])
    with engine.connect() as conn:
        assert all(subscriber.acting(conn, tp, {m}) == {m} for tp in topics)  # type: ignore[attr-defined]
