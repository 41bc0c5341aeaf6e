"""Webhook receipts, unrecognised-code counters and outbox rows: the small bookkeeping
tables written beside the aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import upsert_insert
from postpurchase.domain.events import Event

# --------------------------------------------------------------------------- receipts, counters


class SqlWebhookReceipts:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def seen(self, merchant_id: str, source: str, delivery_id: str) -> bool:
        r = t.webhook_receipts.c
        q = select(r.delivery_id).where(
            r.merchant_id == merchant_id, r.source == source, r.delivery_id == delivery_id
        )
        return self.conn.execute(q).first() is not None

    def first_time(self, merchant_id: str, source: str, delivery_id: str, at: datetime) -> bool:
        stmt = (
            upsert_insert(self.conn, t.webhook_receipts)
            .values(merchant_id=merchant_id, source=source, delivery_id=delivery_id, received_at=at)
            .on_conflict_do_nothing()
            .returning(t.webhook_receipts.c.delivery_id)
        )
        return self.conn.execute(stmt).first() is not None


class SqlCounters:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def increment_unrecognised(
        self, merchant_id: str, source: str, carrier: str | None, code: str | None, at: datetime
    ) -> None:
        u = t.unrecognised_codes
        stmt = upsert_insert(self.conn, u).values(
            merchant_id=merchant_id, source=source, carrier=carrier or "", code=code or "",
            count=1, first_seen=at, last_seen=at,
        )  # fmt: skip
        stmt = stmt.on_conflict_do_update(
            index_elements=["merchant_id", "source", "carrier", "code"],
            set_={"count": u.c.count + 1, "last_seen": at},
        )
        self.conn.execute(stmt)


# --------------------------------------------------------------------------- outbox


def topic_of(e: Event) -> str:
    """The outbox topic of an event: its class's name (what subscribers subscribe to)."""
    return type(e).__name__


def outbox_rows(events: Sequence[Event], at: datetime) -> list[dict[str, Any]]:
    """The payload is the event itself: the JSON serialiser (orjson) writes dataclasses,
    enums and datetimes natively, in C."""
    return [
        {
            "merchant_id": e.merchant_id,
            "topic": topic_of(e),
            "payload": e,
            "created_at": at,
            "attempts": 0,
            "next_attempt_at": at,
        }
        for e in events
    ]
