"""Planning a batch of events (``handle_many``) decides exactly what planning them one at a
time (``handle``) decides, on the same inputs: the same message rows (flow, channel,
subject, status, reason, times, rendered content), the same due rows, the same sends, the
same ops alerts -- for any mix of scans, late and re-sent ones, shipments created, orders
cancelled, opt-outs and parcels of several orders interleaved."""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postpurchase.domain.notifications import Channel
from postpurchase.service_layer.notification_batches import BatchedStore
from tests.notify_support import InMemoryStore, run_due, status_changed
from tests.unit.notifications.test_notify_service import NOON_NY, World

STATUSES = [
    ("out_for_delivery", None),
    ("attempt_failed", None),
    ("available_for_pickup", None),
    ("delivered", None),
    ("exception", "weather"),
    ("exception", "lost"),
    ("in_transit", None),
]
TOKEN = re.compile(r"/notifications/unsubscribe/[A-Za-z0-9_-]+")

event = st.one_of(
    st.tuples(st.just("scan"), st.integers(0, 2), st.sampled_from(STATUSES), st.integers(0, 600)),
    st.tuples(st.just("created"), st.integers(0, 2), st.just(None), st.just(0)),
    st.tuples(st.just("cancelled"), st.integers(0, 2), st.just(None), st.just(0)),
    st.tuples(st.just("placed"), st.integers(0, 2), st.just(None), st.just(0)),
)


def twins(prefs: dict[str, Any], opted: list[int]) -> tuple[World, World]:
    """Two worlds with the same merchant, orders and shipments (ids included)."""
    a = World(prefs=prefs)
    a.orders = [a.order, a.add_order(number="#2"), a.add_order(number="#3", email="not mail")]
    a.shipments = [a.shipment] + [a.add_shipment(o) for o in a.orders[1:]]
    for i in opted:
        a.state.optouts[(a.merchant.id, Channel.EMAIL.value, f"{a.orders[i].email}")] = "link"
    b = World(prefs=prefs)
    b.state = copy.deepcopy(a.state)
    b.merchant, b.orders = a.merchant, a.orders
    b.shipments = a.shipments
    return a, b


def rows_of(w: World, steps: list[tuple[Any, ...]]) -> list[tuple[int, str, dict[str, Any]]]:
    rows = []
    previous = ["in_transit"] * 3
    for n, (kind, i, status, minute) in enumerate(steps, start=1):
        o, s = w.orders[i], w.shipments[i]
        if kind == "scan":
            to, sub = status
            at = NOON_NY - timedelta(minutes=300) + timedelta(minutes=minute)
            payload = status_changed(s, to, at, frm=previous[i], sub=sub)
            previous[i] = to
            rows.append((n, "ShipmentStatusChanged", payload))
        elif kind == "created":
            payload = {"merchant_id": o.merchant_id, "order_id": o.id, "shipment_id": s.id,
                       "carrier": "ups", "tracking_number": s.tracking_number}  # fmt: skip
            rows.append((n, "ShipmentCreated", payload))
        elif kind == "cancelled":
            rows.append((n, "OrderCancelled", {"merchant_id": o.merchant_id, "order_id": o.id}))
        else:
            payload = {"merchant_id": o.merchant_id, "order_id": o.id,
                       "placed_at": o.placed_at.isoformat()}  # fmt: skip
            rows.append((n, "OrderPlaced", payload))
        w.state.event_times[n] = w.clock.now()
    return rows


def row(m: Any) -> tuple[Any, ...]:
    """A message as the comparison sees it: everything but its random id and token."""
    return (
        m.subject_id, m.flow, m.channel.value, m.status.value, m.reason, m.send_after,
        m.next_attempt_at, m.event_at, m.event_id, m.subject,
        TOKEN.sub("/u/T", m.body_text or ""), TOKEN.sub("/u/T", m.body_html or ""),
        m.recipient, m.sent_at, bool(m.unsubscribe_token),
    )  # fmt: skip


def outcome(w: World) -> Any:
    msgs = sorted(row(m) for m in w.state.messages.values())
    due = sorted((topic, at) for topic, _, _, at in w.state.scheduled)
    sent = sorted((e.to, e.subject) for e in w.email.sent) + sorted(
        (s.to, s.body) for s in w.sms.sent
    )
    alerts = sorted((a[2], a[3]) for a in w.state.alerts)
    return msgs, due, sent, alerts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(event, min_size=1, max_size=16),
    collapse=st.sampled_from([0, 300]),
    opted=st.lists(st.integers(0, 2), max_size=2),
    run=st.sampled_from([1, 3, 200]),
)
def test_a_batch_plans_what_one_event_at_a_time_plans(
    steps: list[tuple[Any, ...]], collapse: int, opted: list[int], run: int
) -> None:
    a, b = twins({"quiet_hours": None, "collapse_seconds": collapse}, opted)
    b.svc.config = dataclasses.replace(b.svc.config, plan_run=run)  # runs of any length
    rows = rows_of(a, steps)
    rows_of(b, steps)
    for row_id, topic, payload in rows:
        a.svc.handle(row_id, topic, payload)
    assert b.svc.handle_many(rows) == {}
    assert outcome(a) == outcome(b)
    later = NOON_NY + timedelta(days=1)
    run_due(a.svc, a.state, later)
    run_due(b.svc, b.state, later)
    assert outcome(a) == outcome(b)


def test_a_run_reads_each_kind_once_and_writes_in_one_statement_each() -> None:
    a, _ = twins({"quiet_hours": None, "collapse_seconds": 300}, [])
    steps = [("scan", i % 3, ("in_transit", None), i) for i in range(30)]
    rows = rows_of(a, steps)
    calls: list[str] = []

    class Counting:
        """Counts the calls that reach the store (not the fake's own calls inside)."""

        def __init__(self, inner: InMemoryStore) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return getattr(self.inner, name)

    store = BatchedStore(Counting(InMemoryStore(a.state)))  # type: ignore[arg-type]
    store.prefetch(
        a.merchant.id, [o.id for o in a.orders], [s.id for s in a.shipments], lambda o: []
    )
    for row_id, topic, payload in rows:
        a.svc._plan_in(store, row_id, topic, payload)  # type: ignore[arg-type]
    store.flush()
    per_kind = {name: calls.count(name) for name in set(calls)}
    assert per_kind.get("orders_many") == 1
    assert per_kind.get("lock_shipments") == 1
    assert per_kind.get("messages_about_many") == 1
    assert per_kind.get("add_messages") == 1
    assert per_kind.get("schedule_many") == 1
    assert "messages_about" not in per_kind and "order" not in per_kind
