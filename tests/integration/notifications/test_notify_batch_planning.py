"""Set-based planning on the real databases: a batch of outbox events planned together
(``NotificationService.handle_many``, what the worker's drain calls) leaves the same
messages, due rows and mails as the same events planned one at a time, with a fraction of
the statements. Two shops with the same orders, parcels and scans: one planned event by
event, the other as one batch."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import event, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from tests.factories import place_order, scan, ups_number
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings

STEPS = [
    (ShipmentStatus.IN_TRANSIT, 1),
    (ShipmentStatus.OUT_FOR_DELIVERY, 20),
    (ShipmentStatus.IN_TRANSIT, 2),  # late
    (ShipmentStatus.DELIVERED, 22),
]


def shop(engine: Any, smtp: DemoSmtp) -> tuple[Notify, list[str]]:
    n = make_notify(engine, quiet_settings(smtp_url=smtp.url, notify_collapse_seconds=300))
    numbers = []
    for i in range(6):
        email = f"batch-{i}-{n.merchant.id[-6:]}@example.com"
        order = n.platform.bus().handle(place_order(n.merchant.id, number=f"#{i}", email=email))
        number = ups_number()
        n.platform.bus().handle(commands.CreateShipment(n.merchant.id, order.id, number))
        numbers.append(number)
    for status, hours in STEPS:  # interleaved across the parcels, one update a request
        for number in numbers:
            update_ = commands.TrackingUpdate(number, "ups", (scan(hours, status),))
            n.platform.bus().handle(commands.RecordTracking(n.merchant.id, (update_,)))
    return n, numbers


def pending(n: Notify) -> list[tuple[int, str, dict[str, Any]]]:
    o = t.outbox.c
    q = select(o.id, o.topic, o.payload).where(o.processed_at.is_(None)).order_by(o.id)
    with n.engine.connect() as conn:
        rows = [(r.id, r.topic, dict(r.payload)) for r in conn.execute(q)]
    return [r for r in rows if r[2].get("merchant_id") == n.merchant.id]


def settle(n: Notify, rows: list[tuple[int, str, dict[str, Any]]]) -> None:
    with n.engine.begin() as conn:
        conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id.in_([r[0] for r in rows]))
            .values(processed_at=n.clock.now())
        )


def outcome(n: Notify, smtp: DemoSmtp) -> Any:
    m, o = t.notification_messages.c, t.orders.c
    q = (
        select(o.number, m.flow, m.channel, m.status, m.reason, m.subject, m.send_after)
        .join(t.orders, o.id == m.order_id)
        .where(m.merchant_id == n.merchant.id)
    )
    with n.engine.connect() as conn:
        rows = sorted(tuple(r) for r in conn.execute(q))
    mails = Counter(
        (str(mail["To"]).split("-")[1], str(mail["Subject"]))
        for mail in smtp.messages()
        if n.merchant.id[-6:] in str(mail["To"])
    )
    return rows, mails


class Statements:
    """Counts the statements sent to the database while it is entered."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.n = engine, 0

    def _count(self, *args: Any) -> None:
        self.n += 1

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_a_batch_plans_what_single_events_plan_with_far_fewer_statements(
    engine: Any, smtp: DemoSmtp
) -> None:
    one, _ = shop(engine, smtp)
    many, _ = shop(engine, smtp)
    rows_one, rows_many = pending(one), pending(many)
    assert len(rows_one) == len(rows_many) >= 30

    with Statements(engine) as singles:
        for row_id, topic, payload in rows_one:
            one.service.handle(row_id, topic, payload)
    with Statements(engine) as batched:
        assert many.service.handle_many(rows_many) == {}
    settle(one, rows_one)
    settle(many, rows_many)
    assert outcome(one, smtp) == outcome(many, smtp)
    rows, mails = outcome(one, smtp)
    assert {r[1] for r in rows} >= {"order_confirmed", "shipped", "delivered"}
    assert mails  # the out-for-delivery and delivered mails went out at once
    # Sending the due mails costs fewer statements batched, and a run holds back the events
    # about an order whose mail is still to go for a next run (12 sends here).
    assert batched.n * 2 <= singles.n, (batched.n, singles.n)

    one.drain()  # what is left (due rows) completes the same way
    many.drain()
    assert outcome(one, smtp) == outcome(many, smtp)
