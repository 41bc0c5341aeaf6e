"""Dedupe and collapse as properties: any sequence of scans -- duplicated, late, out of order,
interleaved with deliveries at any time -- never sends a message twice, never has more than
one update waiting per shipment and channel, and never sends an update older than one
already sent."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postpurchase.domain.notifications import FLOWS, Channel, MessageStatus
from tests.notify_support import run_due, status_changed
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

scan = st.tuples(st.sampled_from(STATUSES), st.integers(0, 72 * 60))  # status, minute
step = st.one_of(
    st.tuples(st.just("scan"), scan),
    st.tuples(st.just("run"), st.integers(0, 12 * 60)),
    st.tuples(st.just("created"), st.just(0)),
)


def invariants(w: World) -> None:
    msgs = list(w.state.messages.values())
    keys = Counter((m.flow, m.subject_id, m.channel) for m in msgs)
    assert max(keys.values(), default=0) <= 1, "two messages for one flow, subject and channel"
    for channel in Channel:
        waiting = [
            m
            for m in msgs
            if m.channel is channel and m.status is MessageStatus.QUEUED and FLOWS[m.flow].progress
        ]
        assert len(waiting) <= 1, f"{len(waiting)} updates waiting on {channel}"
    sends = Counter(e.message_id for e in w.email.sent) + Counter(s.message_id for s in w.sms.sent)
    assert max(sends.values(), default=0) <= 1, "a message was sent twice"
    for channel, outbox in ((Channel.EMAIL, w.email.sent), (Channel.SMS, w.sms.sent)):
        times = [w.state.messages[e.message_id].event_at for e in outbox]
        dated = [t for t in times if t is not None]
        assert dated == sorted(dated), f"an older update was sent after a newer one on {channel}"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_any_scan_sequence_keeps_the_promises(steps: list) -> None:
    w = World(prefs={"quiet_hours": None})
    previous = "in_transit"
    history = []
    for kind, arg in steps:
        if kind == "scan":
            (status, sub), minute = arg
            payload = status_changed(
                w.shipment, status, NOON_NY + timedelta(minutes=minute), frm=previous, sub=sub
            )
            previous = status
            history.append(("ShipmentStatusChanged", payload))
            w.event("ShipmentStatusChanged", payload)
        elif kind == "created":
            payload = {
                "merchant_id": w.merchant.id,
                "order_id": w.order.id,
                "shipment_id": w.shipment.id,
                "carrier": "ups",
                "tracking_number": "1Z",
            }
            history.append(("ShipmentCreated", payload))
            w.event("ShipmentCreated", payload)
        else:
            w.run(minutes=arg)
        invariants(w)
    w.run(minutes=24 * 60)
    invariants(w)
    before = {m.id: (m.status, m.reason) for m in w.state.messages.values()}
    sent_before = len(w.email.sent) + len(w.sms.sent)
    for topic, payload in history:  # the outbox delivers everything again (at-least-once)
        w.event(topic, payload)
    run_due(w.svc, w.state, w.clock.now() + timedelta(days=2))
    assert {m.id: (m.status, m.reason) for m in w.state.messages.values()} == before
    assert len(w.email.sent) + len(w.sms.sent) == sent_before
