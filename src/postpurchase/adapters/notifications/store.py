"""SQL storage for the notification engine: the statements behind ``NotificationStore``.

Its unit of work (and why it may write inside the outbox drain's transaction) is in
``unit_of_work``; the mapping between rows and domain objects in ``rows``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.audit_store import SqlAuditLog
from postpurchase.adapters.db.kpis.promises import record_promises
from postpurchase.adapters.db.repositories import (
    SqlMerchantRepository,
    SqlOrderRepository,
    SqlShipmentRepository,
    upsert_insert,
)
from postpurchase.adapters.db.sql import _chunks, one_of
from postpurchase.adapters.db.templates import SqlTemplateRepository
from postpurchase.adapters.notifications import bulk_pg
from postpurchase.adapters.notifications.rows import (
    _delivery,
    _delivery_row,
    _endpoint,
    _endpoint_row,
    _message,
    _message_row,
)
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import Channel, Message, MessageRef, MessageStatus
from postpurchase.domain.orders import Order
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.templates import Split, TemplateVersion
from postpurchase.service_layer.notification_ports import Alert, Delivery, Endpoint, Scheduled
from postpurchase.service_layer.ports import SecretBox

M = t.notification_messages
D = t.webhook_deliveries
E = t.webhook_endpoints


# Statements built once: building SQL expressions per call costs more than running them.
_ABOUT = select(M.c.id, M.c.flow, M.c.status, M.c.event_at, M.c.channel, M.c.dedupe_key).where(
    M.c.merchant_id == bindparam("m"), M.c.subject_id == bindparam("s")
)
_OPTED = select(t.notification_optouts.c.channel, t.notification_optouts.c.address).where(
    t.notification_optouts.c.merchant_id == bindparam("m"),
    t.notification_optouts.c.address.in_(bindparam("addresses", expanding=True)),
)
_SCHEDULE = insert(t.outbox)
_GET = select(M).where(M.c.id == bindparam("id"))
_GET_FOR_UPDATE = _GET.with_for_update()
# what delivery changes on a message (never its identity, key, subject or content)
_SAVED = (
    "status", "reason", "attempts", "next_attempt_at", "last_error", "sent_at", "updated_at",
    "provider_id", "send_after", "unknown_outcomes",
)  # fmt: skip
_SUPERSEDE_ONE = (
    update(M)
    .where(
        M.c.merchant_id == bindparam("m"),
        M.c.id == bindparam("_id"),
        M.c.status == MessageStatus.QUEUED.value,
    )
    .values(
        status=MessageStatus.SUPPRESSED.value,
        reason=bindparam("why"),
        updated_at=bindparam("at"),
        next_attempt_at=None,
    )
)
_SAVE = update(M).where(M.c.id == bindparam("_id")).values({k: bindparam(k) for k in _SAVED})


class SqlNotificationStore:
    """``box`` seals webhook endpoint secrets before they are written and opens them when
    read: nothing above the store sees a sealed value, nothing in the database a clear one."""

    def __init__(self, conn: Connection, now: Callable[[], datetime], box: SecretBox) -> None:
        self.conn = conn
        self.now = now
        self.box = box
        self._pg = conn.dialect.name == "postgresql"

    # ---------------------------------------------------------------- context

    def merchant(self, merchant_id: str) -> Merchant | None:
        return SqlMerchantRepository(self.conn).get(merchant_id)

    def order(self, merchant_id: str, order_id: str) -> Order | None:
        return SqlOrderRepository(self.conn).get(merchant_id, order_id)

    def shipment(self, merchant_id: str, shipment_id: str) -> Shipment | None:
        return SqlShipmentRepository(self.conn).get(merchant_id, shipment_id)

    def orders_many(self, merchant_id: str, order_ids: Sequence[str]) -> dict[str, Order]:
        found = SqlOrderRepository(self.conn).get_many(merchant_id, order_ids)
        return {o.id: o for o in found}

    def lock_shipments(self, merchant_id: str, shipment_ids: Sequence[str]) -> dict[str, Shipment]:
        # One statement, rows locked in id order (PostgreSQL): batches of planners queue up
        # per parcel as single events do, and never deadlock on each other.
        found = SqlShipmentRepository(self.conn).get_many(merchant_id, shipment_ids)
        return {s.id: s for s in found}

    def customer_name(self, merchant_id: str, customer_id: str) -> str | None:
        c = t.customers.c
        found = self.conn.execute(
            select(c.name).where(c.merchant_id == merchant_id, c.id == customer_id)
        ).scalar()
        return str(found) if found else None

    def lock_subject(self, merchant_id: str, shipment_id: str) -> None:
        if self._pg:
            s = t.shipments.c
            self.conn.execute(
                select(s.id)
                .where(s.merchant_id == merchant_id, s.id == shipment_id)
                # NO KEY UPDATE: serialises planners per parcel without blocking the
                # foreign-key checks of scans being inserted for it
                .with_for_update(key_share=True)
            )

    # ---------------------------------------------------------------- messages

    def messages_about(self, merchant_id: str, subject_id: str) -> list[MessageRef]:
        rows = self.conn.execute(_ABOUT, {"m": merchant_id, "s": subject_id})
        return [
            MessageRef(r.id, r.flow, MessageStatus(r.status), r.event_at, Channel(r.channel),
                       r.dedupe_key)
            for r in rows
        ]  # fmt: skip

    def messages_about_many(
        self, merchant_id: str, subject_ids: Sequence[str]
    ) -> dict[str, list[MessageRef]]:
        out: dict[str, list[MessageRef]] = {sid: [] for sid in subject_ids}
        c = M.c
        for chunk in _chunks(sorted(set(subject_ids))):
            q = select(c.id, c.flow, c.status, c.event_at, c.channel, c.dedupe_key, c.subject_id)
            q = q.where(c.merchant_id == merchant_id, one_of(self.conn, c.subject_id, chunk))
            for r in self.conn.execute(q):
                out[r.subject_id].append(
                    MessageRef(r.id, r.flow, MessageStatus(r.status), r.event_at,
                               Channel(r.channel), r.dedupe_key)
                )  # fmt: skip
        return out

    def add_messages(self, messages: Sequence[Message]) -> None:
        if messages:
            self.conn.execute(self._insert_messages(), [_message_row(m) for m in messages])
            # The dates they show, as promises shown (issue 14), for the messages that will
            # go out; one a concurrent worker inserted already is skipped there too.
            shown = [
                {"merchant_id": m.merchant_id, "order_id": m.order_id,
                 "shipment_id": m.shipment_id, "surface": "message", "latest": m.promise,
                 "source": f"{m.flow}:{m.channel.value}"[:64], "shown_at": m.send_after}
                for m in messages
                if m.promise is not None and m.order_id is not None
                and m.status in (MessageStatus.QUEUED, MessageStatus.SENT)
            ]  # fmt: skip
            if shown:
                record_promises(self.conn, shown)

    def _insert_messages(self) -> Any:
        return upsert_insert(self.conn, M).on_conflict_do_nothing(
            index_elements=["merchant_id", "dedupe_key"]
        )

    def supersede(self, merchant_id: str, ids: Sequence[str], reason: str, at: datetime) -> int:
        if not ids:
            return 0
        res = self.conn.execute(
            update(M)
            .where(
                M.c.merchant_id == merchant_id,
                M.c.id.in_(list(ids)),
                M.c.status == MessageStatus.QUEUED.value,
            )
            .values(
                status=MessageStatus.SUPPRESSED.value,
                reason=reason,
                updated_at=at,
                next_attempt_at=None,
            )
        )
        return int(res.rowcount or 0)

    def supersede_many(self, merchant_id: str, rows: Sequence[tuple[str, str, datetime]]) -> None:
        if rows and self._pg:  # one statement, the rows as arrays (bulk_pg)
            bulk_pg.supersede(self.conn, merchant_id, rows)
        elif rows:
            self.conn.execute(
                _SUPERSEDE_ONE,
                [{"m": merchant_id, "_id": i, "why": why, "at": at} for i, why, at in rows],
            )

    def suppress_queued_for_order(
        self, merchant_id: str, order_id: str, reason: str, at: datetime
    ) -> int:
        res = self.conn.execute(
            update(M)
            .where(
                M.c.merchant_id == merchant_id,
                M.c.order_id == order_id,
                M.c.status == MessageStatus.QUEUED.value,
            )
            .values(
                status=MessageStatus.SUPPRESSED.value,
                reason=reason,
                updated_at=at,
                next_attempt_at=None,
            )
        )
        return int(res.rowcount or 0)

    def get_message(self, message_id: str) -> Message | None:
        q = _GET_FOR_UPDATE if self._pg else _GET
        row = self.conn.execute(q, {"id": message_id}).mappings().first()
        return _message(row) if row else None

    def save_message(self, message: Message) -> None:
        row = _message_row(message)
        self.conn.execute(_SAVE, {**{k: row[k] for k in _SAVED}, "_id": message.id})

    def get_messages(self, message_ids: Sequence[str]) -> dict[str, Message]:
        # One statement; on PostgreSQL the rows are locked in id order, so two senders
        # claiming overlapping batches queue up instead of deadlocking.
        if not message_ids:
            return {}
        q = select(M).where(one_of(self.conn, M.c.id, sorted(set(message_ids)))).order_by(M.c.id)
        if self._pg:
            q = q.with_for_update()
        return {r["id"]: _message(r) for r in self.conn.execute(q).mappings()}

    def save_messages(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        rows = [_message_row(m) for m in messages]
        self.conn.execute(_SAVE, [{**{k: r[k] for k in _SAVED}, "_id": r["id"]} for r in rows])

    def message_by_token(self, token: str) -> Message | None:
        if not token or len(token) > 64:
            return None
        row = self.conn.execute(select(M).where(M.c.unsubscribe_token == token)).mappings().first()
        return _message(row) if row else None

    # ---------------------------------------------------------------- opt-outs

    def opted_out_any(
        self, merchant_id: str, wanted: Sequence[tuple[Channel, str]]
    ) -> set[tuple[Channel, str]]:
        if not wanted:
            return set()
        rows = self.conn.execute(
            _OPTED, {"m": merchant_id, "addresses": sorted({a for _, a in wanted})}
        )
        found = {(Channel(r.channel), r.address) for r in rows}
        return found & set(wanted)

    def opted_out(self, merchant_id: str, channel: Channel, address: str) -> bool:
        return (channel, address) in self.opted_out_any(merchant_id, [(channel, address)])

    def set_opt_out(
        self, merchant_id: str, channel: Channel, address: str, source: str, at: datetime
    ) -> None:
        stmt = (
            upsert_insert(self.conn, t.notification_optouts)
            .values(
                merchant_id=merchant_id,
                channel=channel.value,
                address=address,
                source=source[:32],
                created_at=at,
            )
            .on_conflict_do_nothing()
        )
        self.conn.execute(stmt)

    def clear_opt_out(self, merchant_id: str, channel: Channel, address: str) -> bool:
        o = t.notification_optouts.c
        res = self.conn.execute(
            delete(t.notification_optouts).where(
                o.merchant_id == merchant_id, o.channel == channel.value, o.address == address
            )
        )
        return bool(res.rowcount)

    def set_merchant_setting(self, merchant_id: str, key: str, value: Any) -> None:
        m = t.merchants.c
        q = select(m.settings).where(m.id == merchant_id)
        if self._pg:
            q = q.with_for_update()
        current = dict(self.conn.execute(q).scalar() or {})
        current[key] = value
        self.conn.execute(update(t.merchants).where(m.id == merchant_id).values(settings=current))

    # ---------------------------------------------------------------- message templates

    def template_split(self, merchant_id: str, flow: str, channel: str) -> Split | None:
        return SqlTemplateRepository(self.conn).split(merchant_id, flow, channel)

    def template_version(
        self, merchant_id: str, flow: str, channel: str, version: int | None
    ) -> TemplateVersion | None:
        """That version, or (None) the current one; None when there is none."""
        repo = SqlTemplateRepository(self.conn)
        if version is None:
            return repo.latest(merchant_id, flow, channel)
        return repo.get(merchant_id, flow, channel, version)

    # ---------------------------------------------------------------- webhooks

    def endpoints_for(self, merchant_id: str, topic: str) -> list[Endpoint]:
        found = self.active_endpoints(merchant_id)
        return [ep for ep in found if "*" in ep.topics or topic in ep.topics]

    def active_endpoints(self, merchant_id: str) -> list[Endpoint]:
        q = select(E).where(E.c.merchant_id == merchant_id, E.c.active.is_(True))
        q = q.where(E.c.deleted_at.is_(None)).order_by(E.c.created_at)
        return [_endpoint(r, self.box) for r in self.conn.execute(q).mappings()]

    def get_endpoint(self, merchant_id: str, endpoint_id: str) -> Endpoint | None:
        q = select(E).where(
            E.c.merchant_id == merchant_id, E.c.id == endpoint_id, E.c.deleted_at.is_(None)
        )
        row = self.conn.execute(q).mappings().first()
        return _endpoint(row, self.box) if row else None

    def add_endpoint(self, endpoint: Endpoint) -> None:
        self.conn.execute(insert(E).values(**_endpoint_row(endpoint, self.box)))

    def save_endpoint(self, endpoint: Endpoint) -> None:
        row = _endpoint_row(endpoint, self.box)
        row.pop("id")
        row.pop("created_at")
        self.conn.execute(
            update(E)
            .where(E.c.id == endpoint.id, E.c.merchant_id == endpoint.merchant_id)
            .values(**row)
        )

    def record_audit(self, entry: AuditEntry) -> None:
        SqlAuditLog(self.conn).record(entry)

    def delete_endpoint(self, merchant_id: str, endpoint_id: str, at: datetime) -> bool:
        res = self.conn.execute(
            update(E)
            .where(E.c.merchant_id == merchant_id, E.c.id == endpoint_id, E.c.deleted_at.is_(None))
            .values(deleted_at=at, active=False, updated_at=at)
        )
        return bool(res.rowcount)

    def add_delivery(self, delivery: Delivery) -> bool:
        stmt = (
            upsert_insert(self.conn, D)
            .values(**_delivery_row(delivery))
            .on_conflict_do_nothing(index_elements=["merchant_id", "dedupe_key"])
            .returning(D.c.id)
        )
        return self.conn.execute(stmt).first() is not None

    def get_delivery(self, delivery_id: str, merchant_id: str | None = None) -> Delivery | None:
        q = select(D).where(D.c.id == delivery_id)
        if merchant_id is not None:
            q = q.where(D.c.merchant_id == merchant_id)
        if self._pg:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return _delivery(row) if row else None

    def save_delivery(self, delivery: Delivery) -> None:
        row = _delivery_row(delivery)
        keep = {"id", "merchant_id", "dedupe_key", "created_at", "body", "endpoint_id"}
        self.conn.execute(
            update(D)
            .where(D.c.id == delivery.id)
            .values({k: v for k, v in row.items() if k not in keep})
        )

    def event_created_at(self, event_id: int) -> datetime | None:
        found = self.conn.execute(
            select(t.outbox.c.created_at).where(t.outbox.c.id == event_id)
        ).scalar()
        return found if isinstance(found, datetime) else None

    # ---------------------------------------------------------------- ops alerts

    def has_pending_alerts(self, merchant_id: str) -> bool:
        a = t.ops_alerts.c
        q = select(a.id).where(a.merchant_id == merchant_id, a.digest_sent_at.is_(None)).limit(1)
        return self.conn.execute(q).first() is not None

    def add_alert(
        self,
        merchant_id: str,
        dedupe_key: str,
        kind: str,
        order_id: str | None,
        shipment_id: str | None,
        summary: str,
        at: datetime,
    ) -> bool:
        stmt = (
            upsert_insert(self.conn, t.ops_alerts)
            .values(
                merchant_id=merchant_id,
                dedupe_key=dedupe_key[:200],
                kind=kind[:48],
                order_id=order_id,
                shipment_id=shipment_id,
                summary=summary,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["merchant_id", "dedupe_key"])
            .returning(t.ops_alerts.c.id)
        )
        return self.conn.execute(stmt).first() is not None

    def pending_alerts(self, merchant_id: str, limit: int) -> list[Alert]:
        a = t.ops_alerts.c
        q = (
            select(a.id, a.kind, a.summary, a.created_at)
            .where(a.merchant_id == merchant_id, a.digest_sent_at.is_(None))
            .order_by(a.id)
            .limit(limit)
        )
        return [Alert(r.id, r.kind, r.summary, r.created_at) for r in self.conn.execute(q)]

    def mark_alerts_sent(self, ids: Sequence[int], at: datetime) -> None:
        if ids:
            self.conn.execute(
                update(t.ops_alerts)
                .where(t.ops_alerts.c.id.in_(list(ids)))
                .values(digest_sent_at=at)
            )

    # ---------------------------------------------------------------- scheduling

    def schedule(self, topic: str, merchant_id: str, payload: dict[str, Any], at: datetime) -> None:
        self.schedule_many([Scheduled(topic, merchant_id, payload, at)])

    def schedule_many(self, rows: Sequence[Scheduled]) -> None:
        if not rows:
            return
        created = self.now()
        self.conn.execute(
            _SCHEDULE,
            [
                {"merchant_id": r.merchant_id, "topic": r.topic, "payload": r.payload,
                 "created_at": created, "attempts": 0, "next_attempt_at": r.at}
                for r in rows
            ],
        )  # fmt: skip
