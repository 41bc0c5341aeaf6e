"""What the console's actions write: resolutions, agent e-mails queued in the notifications
store (with the outbox row that makes the worker send them), and the shipment facts the
actions check first. All on the console unit of work's one connection and transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console.tables import console_resolutions
from postpurchase.domain.console import Attention, ParcelFacts
from postpurchase.domain.money import Money
from postpurchase.service_layer.console.ports import AgentMessage, ParcelOfOrder
from postpurchase.service_layer.notification_ports import MESSAGE_DUE

S, Ord, R = t.shipments.c, t.orders.c, console_resolutions.c
AGENT_FLOW = "agent_message"


class SqlParcels:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, merchant_id: str, shipment_id: str) -> ParcelOfOrder | None:
        r = self.conn.execute(
            select(
                S.id, S.order_id, S.tracking_number, S.carrier, S.status, S.substatus,
                S.tracking_valid, S.created_at, S.last_scan_at, Ord.number, Ord.external_id,
                Ord.source, Ord.email, Ord.customer_id, Ord.locale, Ord.shipping_fee,
                Ord.currency, Ord.promise_latest, Ord.our_promise,
            )
            .select_from(t.shipments.join(t.orders, Ord.id == S.order_id))
            .where(S.merchant_id == merchant_id, Ord.merchant_id == merchant_id,
                   S.id == shipment_id)
        ).first()  # fmt: skip
        if r is None:
            return None
        facts = ParcelFacts(
            r.status, r.substatus, bool(r.tracking_valid), r.created_at, r.last_scan_at,
            r.promise_latest or r.our_promise,
        )  # fmt: skip
        return ParcelOfOrder(
            r.id, merchant_id, r.order_id, r.number, r.external_id, r.source, r.email,
            r.customer_id, r.locale, Money(r.shipping_fee, r.currency), r.tracking_number,
            r.carrier, facts,
        )  # fmt: skip


class SqlResolutions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def resolve(
        self,
        merchant_id: str,
        shipment_id: str,
        kinds: list[Attention],
        at: datetime,
        actor: str,
        action: str,
        note: str | None,
    ) -> None:
        if not kinds:
            return
        values = [k.value for k in kinds]
        self.conn.execute(
            delete(console_resolutions).where(
                R.merchant_id == merchant_id, R.shipment_id == shipment_id, R.kind.in_(values)
            )
        )
        self.conn.execute(
            insert(console_resolutions),
            [
                {"merchant_id": merchant_id, "shipment_id": shipment_id, "kind": k,
                 "resolved_at": at, "resolved_by": actor, "action": action, "note": note}
                for k in values
            ],
        )  # fmt: skip


class SqlOutbound:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def queue_email(self, message: AgentMessage) -> None:
        m = message
        self.conn.execute(
            insert(t.notification_messages).values(
                id=m.id, merchant_id=m.merchant_id, dedupe_key=f"agent:{m.id}",
                flow=AGENT_FLOW, channel="email", status="queued",
                reason="written in the console, waiting to be sent", locale=m.locale,
                subject_id=m.shipment_id, order_id=m.order_id, shipment_id=m.shipment_id,
                customer_id=m.customer_id, recipient=m.recipient, event_topic="AgentMessage",
                event_id=None, event_at=m.at, urgent=True, created_at=m.at, send_after=m.at,
                next_attempt_at=None, attempts=0, unknown_outcomes=0, updated_at=m.at,
                subject=m.subject, body_text=m.body, body_html=None,
            )
        )  # fmt: skip
        self.conn.execute(
            insert(t.outbox).values(
                merchant_id=m.merchant_id, topic=MESSAGE_DUE, payload={"message_id": m.id},
                created_at=m.at, attempts=0, next_attempt_at=m.at,
            )
        )  # fmt: skip
