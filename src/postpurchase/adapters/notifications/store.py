"""SQL storage for the notification engine, and its unit of work.

**Why the "ambient" transaction.** The outbox drain calls subscribers while its own
transaction is open. On SQLite that transaction holds the database's single write lock
(``BEGIN IMMEDIATE``), so a subscriber that opened a second connection to write would wait
for a lock its own thread holds. When we are called from inside a drain on SQLite, we
therefore write through the drain's connection, inside a SAVEPOINT: our rows then commit
atomically with the outbox row being marked processed (exactly-once planning), and an error
rolls back only our savepoint. Anywhere else -- PostgreSQL, API requests, a drain that
calls subscribers outside its transaction -- we use a connection of our own.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, bindparam, delete, event, insert, select, update
from sqlalchemy.engine import RowMapping

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.repositories import (
    SqlMerchantRepository,
    SqlOrderRepository,
    SqlShipmentRepository,
    upsert_insert,
)
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import Channel, Message, MessageRef, MessageStatus
from postpurchase.domain.orders import Order
from postpurchase.domain.shipments import Shipment
from postpurchase.service_layer.notification_ports import Alert, Delivery, Endpoint, Scheduled
from postpurchase.service_layer.ports import SecretBox

M = t.notification_messages
D = t.webhook_deliveries
E = t.webhook_endpoints


class AmbientWrites:
    """Remembers, per thread, which write transaction is open on an engine."""

    _by_engine: weakref.WeakKeyDictionary[Engine, AmbientWrites] = weakref.WeakKeyDictionary()
    _guard = threading.Lock()

    def __init__(self, engine: Engine) -> None:
        self._local = threading.local()
        self.sqlite = engine.dialect.name == "sqlite"
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    @classmethod
    def for_engine(cls, engine: Engine) -> AmbientWrites:
        with cls._guard:
            found = cls._by_engine.get(engine)
            if found is None:
                found = cls._by_engine[engine] = cls(engine)
            return found

    def _stack(self) -> list[Connection]:
        stack: list[Connection] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def _begin(self, conn: Connection) -> None:
        if conn.get_execution_options().get("write", False):
            self._stack().append(conn)

    def _end(self, conn: Connection) -> None:
        stack = self._stack()
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is conn:
                del stack[i]
                break

    @contextmanager
    def lending(self) -> Iterator[None]:
        """Within this block (a subscriber call), units of work may join the open write
        transaction of this thread instead of waiting for its lock."""
        depth = getattr(self._local, "lending", 0)
        self._local.lending = depth + 1
        try:
            yield
        finally:
            self._local.lending = depth

    def lendable(self) -> Connection | None:
        if not self.sqlite or not getattr(self._local, "lending", 0):
            return None
        stack = self._stack()
        while stack and (stack[-1].closed or not stack[-1].in_transaction()):
            stack.pop()
        return stack[-1] if stack else None


class SqlNotificationUnitOfWork:
    """One transaction (or one savepoint inside the drain's, see the module docstring)."""

    store: SqlNotificationStore

    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        ambient: AmbientWrites | None = None,
        *,
        box: SecretBox,
    ) -> None:
        self.engine = engine
        self.now = now
        self.ambient = ambient
        self.box = box
        self._conn: Connection | None = None
        self._own = True
        self._savepoint: Any = None
        self._committed = False

    def __enter__(self) -> Self:
        borrowed = self.ambient.lendable() if self.ambient is not None else None
        if borrowed is not None:
            self._conn, self._own = borrowed, False
            self._savepoint = borrowed.begin_nested()
        else:
            self._conn, self._own = self.engine.connect().execution_options(write=True), True
        self._committed = False
        self.store = SqlNotificationStore(self._conn, self.now, self.box)
        return self

    def commit(self) -> None:
        assert self._conn is not None
        if self._own:
            self._conn.commit()
        else:
            self._savepoint.commit()
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._own:
            if conn.in_transaction():
                conn.rollback()
            conn.close()
        elif not self._committed and self._savepoint is not None and self._savepoint.is_active:
            self._savepoint.rollback()


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

    def add_messages(self, messages: Sequence[Message]) -> None:
        if messages:
            self.conn.execute(self._insert_messages(), [_message_row(m) for m in messages])

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

    # ---------------------------------------------------------------- webhooks

    def endpoints_for(self, merchant_id: str, topic: str) -> list[Endpoint]:
        q = select(E).where(E.c.merchant_id == merchant_id, E.c.active.is_(True))
        q = q.where(E.c.deleted_at.is_(None)).order_by(E.c.created_at)
        out = []
        for r in self.conn.execute(q).mappings():
            ep = _endpoint(r, self.box)
            if "*" in ep.topics or topic in ep.topics:
                out.append(ep)
        return out

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


# --------------------------------------------------------------------------- row mapping


def _message_row(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "merchant_id": m.merchant_id,
        "dedupe_key": m.dedupe_key,
        "flow": m.flow,
        "channel": m.channel.value,
        "status": m.status.value,
        "reason": m.reason,
        "locale": m.locale,
        "subject_id": m.subject_id,
        "order_id": m.order_id,
        "shipment_id": m.shipment_id,
        "customer_id": m.customer_id,
        "recipient": m.recipient,
        "event_topic": m.event_topic,
        "event_id": m.event_id,
        "event_at": m.event_at,
        "urgent": m.urgent,
        "created_at": m.created_at,
        "send_after": m.send_after,
        "next_attempt_at": m.next_attempt_at,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "sent_at": m.sent_at,
        "updated_at": m.updated_at or m.created_at,
        "provider_id": m.provider_id,
        "unsubscribe_token": m.unsubscribe_token,
        "subject": m.subject,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "unknown_outcomes": m.unknown_outcomes,
    }


def _message(r: RowMapping) -> Message:
    data = dict(r)
    data["channel"] = Channel(data["channel"])
    data["status"] = MessageStatus(data["status"])
    return Message(**data)


def _endpoint_row(e: Endpoint, box: SecretBox) -> dict[str, Any]:
    return {
        "id": e.id,
        "merchant_id": e.merchant_id,
        "url": e.url,
        "secret": box.seal(e.secret),
        "topics": list(e.topics),
        "active": e.active,
        "description": e.description,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _endpoint(r: RowMapping, box: SecretBox) -> Endpoint:
    return Endpoint(
        id=r["id"],
        merchant_id=r["merchant_id"],
        url=r["url"],
        secret=box.open(r["secret"]),
        topics=tuple(r["topics"] or ()),
        active=bool(r["active"]),
        description=r["description"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


def _delivery_row(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "merchant_id": d.merchant_id,
        "endpoint_id": d.endpoint_id,
        "dedupe_key": d.dedupe_key,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "body": d.body,
        "status": d.status.value,
        "reason": d.reason,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "replay_of": d.replay_of,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "delivered_at": d.delivered_at,
        "unknown_outcomes": d.unknown_outcomes,
    }


def _delivery(r: RowMapping) -> Delivery:
    data = dict(r)
    data["status"] = MessageStatus(data["status"])
    return Delivery(**data)
