"""A message that shows a delivery date records it as a promise shown (issue 14), once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from postpurchase.adapters.db.kpis.tables import promise_records
from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.domain import commands
from postpurchase.domain.orders import Promise
from postpurchase.domain.status import ShipmentStatus
from tests.factories import place_order, scan, ups_number
from tests.integration.notifications.conftest import Notify


def test_the_date_a_shipped_message_shows_is_recorded_once(notify: Notify, smtp: DemoSmtp) -> None:
    cmd = place_order(notify.merchant.id, promise=Promise(date(2026, 11, 6)))
    order = notify.platform.bus().handle(cmd)
    notify.platform.bus().handle(
        commands.CreateShipment(
            notify.merchant.id, order.id, ups_number(),
            events=(scan(2, ShipmentStatus.IN_TRANSIT, estimated_delivery=date(2026, 11, 5)),),
        )
    )  # fmt: skip
    notify.drain()
    p = promise_records.c
    with notify.platform.engine.connect() as conn:
        rows = conn.execute(
            select(p.surface, p.latest, p.source).where(p.order_id == order.id)
        ).all()
    surfaces = {(r.surface, r.source.split(":")[0]) for r in rows}
    assert ("checkout", "store") in surfaces
    shown = [r for r in rows if r.surface == "message"]
    assert shown, rows
    assert all(r.latest is not None for r in shown)
    assert len(shown) == len({(r.source, r.latest) for r in shown})  # each once
