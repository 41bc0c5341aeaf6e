"""The webhook inbox: store platforms' deliveries, verified and kept raw until processed.

Why: Shopify gives a delivery 5 seconds and drops subscriptions that keep failing, while
processing an order may wait on a database lock or on an order that has not arrived yet.
So a delivery is written here (a unique key makes redeliveries no-ops) and answered; it is
processed right after, and again later if that failed. Nothing accepted is lost.

Each row is claimed by moving ``next_attempt_at`` a lease ahead, in one statement, so the
API process that received it and a worker's sweep never process it at the same time (and
a process that dies mid-way leaves it due again when the lease ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import upsert_insert


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    merchant_id: str
    source: str
    delivery_id: str
    topic: str
    body: bytes
    attempts: int
    received_at: datetime


class SqlWebhookInbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def accept(
        self, merchant_id: str, source: str, delivery_id: str, topic: str, body: bytes,
        at: datetime,
    ) -> int | None:  # fmt: skip
        """The new row's id, or None when this delivery was received before."""
        stmt = (
            upsert_insert(self.conn, t.webhook_inbox)
            .values(
                merchant_id=merchant_id,
                source=source,
                delivery_id=delivery_id,
                topic=topic,
                body=body,
                received_at=at,
                attempts=0,
                next_attempt_at=at,
            )
            .on_conflict_do_nothing()
            .returning(t.webhook_inbox.c.id)
        )
        row = self.conn.execute(stmt).first()
        return int(row[0]) if row else None

    def claim(self, item_id: int, now: datetime, lease: timedelta) -> InboxItem | None:
        """Take one due item for ``lease``; None when it is settled or someone holds it."""
        found = self._claim(t.webhook_inbox.c.id == item_id, now, lease, 1)
        return found[0] if found else None

    def claim_due(
        self, now: datetime, lease: timedelta, limit: int, merchant_id: str | None = None
    ) -> list[InboxItem]:
        w = t.webhook_inbox.c
        due = (
            select(w.id)
            .where(
                w.next_attempt_at <= now, *([w.merchant_id == merchant_id] if merchant_id else [])
            )
            .order_by(w.next_attempt_at, w.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [r.id for r in self.conn.execute(due)]
        return self._claim(w.id.in_(ids), now, lease, limit) if ids else []

    def _claim(self, where: Any, now: datetime, lease: timedelta, limit: int) -> list[InboxItem]:
        w = t.webhook_inbox.c
        rows = self.conn.execute(
            update(t.webhook_inbox)
            .where(and_(where, w.next_attempt_at <= now))
            .values(next_attempt_at=now + lease, attempts=w.attempts + 1)
            .returning(
                w.id,
                w.merchant_id,
                w.source,
                w.delivery_id,
                w.topic,
                w.body,
                w.attempts,
                w.received_at,
            )
        ).all()
        return [
            InboxItem(r.id, r.merchant_id, r.source, r.delivery_id, r.topic, bytes(r.body),
                      r.attempts, r.received_at)
            for r in rows[:limit]
        ]  # fmt: skip

    def settle(self, item_id: int, outcome: dict[str, Any], at: datetime) -> None:
        """Done (processed, or refused for good): never attempted again."""
        self.conn.execute(
            update(t.webhook_inbox)
            .where(t.webhook_inbox.c.id == item_id)
            .values(processed_at=at, next_attempt_at=None, outcome=outcome)
        )

    def retry_at(self, item_id: int, outcome: dict[str, Any], when: datetime) -> None:
        self.conn.execute(
            update(t.webhook_inbox)
            .where(t.webhook_inbox.c.id == item_id)
            .values(next_attempt_at=when, outcome=outcome)
        )

    def wake(self, merchant_id: str, reason: str, now: datetime) -> int:
        """Make the merchant's deliveries that wait for ``reason`` (one order) due now.
        Rows are updated one at a time in id order, so two orders storing at once never
        wait on each other's locks in opposite orders."""
        w = t.webhook_inbox.c
        waiting = self.conn.execute(
            select(w.id, w.outcome)
            .where(w.merchant_id == merchant_id, w.next_attempt_at > now, w.processed_at.is_(None))
            .order_by(w.id)
        ).all()
        ids = [r.id for r in waiting if (r.outcome or {}).get("waiting_for") == reason]
        for row_id in ids:
            self.conn.execute(
                update(t.webhook_inbox)
                .where(w.id == row_id, w.processed_at.is_(None))
                .values(next_attempt_at=now)
            )
        return len(ids)

    def get(self, merchant_id: str, source: str, delivery_id: str) -> dict[str, Any] | None:
        w = t.webhook_inbox.c
        row = (
            self.conn.execute(
                select(
                    w.id,
                    w.topic,
                    w.received_at,
                    w.attempts,
                    w.next_attempt_at,
                    w.processed_at,
                    w.outcome,
                ).where(
                    w.merchant_id == merchant_id, w.source == source, w.delivery_id == delivery_id
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None
