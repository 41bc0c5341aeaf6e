"""Draining the outbox: deliver committed domain events to asynchronous subscribers.

At-least-once, in three short steps per batch: *claim* due rows by pushing their
``next_attempt_at`` a lease ahead (other drainers skip them; PostgreSQL also skips rows
another drainer has locked), *deliver* them with no transaction open (so subscribers may
write through their own connections, even on SQLite's single writer), then *settle*: mark
processed, or reschedule with exponential backoff. The lease is short and renewed by a
heartbeat while the drainer works (``adapters/db/leases.py``): a drainer that dies mid-batch
leaves its rows due again within seconds. Subscribers therefore must be idempotent (they
dedupe on the outbox id or on their own keys).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, bindparam, func, select, update

from postpurchase.adapters.db import leases
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.leases import heartbeat
from postpurchase.adapters.db.sql import one_of

logger = logging.getLogger(__name__)

Subscriber = Callable[[int, str, dict[str, Any]], None]
Failures = dict[int, Exception]


class BatchSubscriber(Protocol):
    """A subscriber that may also take all its rows of a claimed batch at once
    (``many``, rows in outbox order; returns the ids that failed, with why). The drain
    calls ``many`` instead of calling it once per row: the notification engine plans a run
    of events with a few statements instead of about ten per event."""

    def __call__(self, row_id: int, topic: str, payload: dict[str, Any]) -> None: ...
    def many(self, rows: list[tuple[int, str, dict[str, Any]]]) -> Failures: ...


def _batched(rows: list[Any], subscribers: dict[str, list[Subscriber]]) -> Failures:
    """Hand each batch subscriber its rows of the batch at once; the rows that failed."""
    groups: dict[int, tuple[Callable[..., Failures], list[tuple[int, str, dict[str, Any]]]]] = {}
    for row_id, topic, payload, _ in rows:
        for sub in subscribers.get(topic, []):
            many = getattr(sub, "many", None)
            if many is not None:
                groups.setdefault(id(sub), (many, []))[1].append((row_id, topic, payload))
    failed: Failures = {}
    for many, batch in groups.values():
        try:
            failed.update(many(batch))
        except Exception as exc:  # the whole call: every row of it is retried
            for row_id, _, _ in batch:
                failed.setdefault(row_id, exc)
    return failed


MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(engine: Engine, now: datetime, batch: int) -> list[Any]:
    o = t.outbox.c
    due = (
        select(o.id)
        .where(o.processed_at.is_(None), o.next_attempt_at <= now)
        .order_by(o.id)
        .limit(batch)
    )
    with engine.connect().execution_options(write=True) as conn:
        if conn.dialect.name == "postgresql":
            # One round trip: lock the due rows (skipping other drainers'), push their lease
            # ahead and return them. RETURNING has no order of its own; the drain's is by id.
            claimed = conn.execute(
                update(t.outbox)
                .where(o.id.in_(due.with_for_update(skip_locked=True)))
                .values(next_attempt_at=now + leases.LEASE)
                .returning(o.id, o.topic, o.payload, o.attempts)
            ).all()
            conn.commit()
            return sorted(claimed, key=lambda r: r.id)
        rows = conn.execute(due.with_only_columns(o.id, o.topic, o.payload, o.attempts)).all()
        if rows:
            conn.execute(
                update(t.outbox)
                .where(one_of(conn, o.id, [r.id for r in rows]))
                .values(next_attempt_at=now + leases.LEASE)
            )
        conn.commit()
    return list(rows)


def _settle(engine: Engine, done: list[int], failed: list[dict[str, Any]], at: datetime) -> None:
    o = t.outbox.c
    with engine.connect().execution_options(write=True) as conn:
        if done:
            conn.execute(update(t.outbox).where(one_of(conn, o.id, done)).values(processed_at=at))
        if failed:
            conn.execute(
                update(t.outbox)
                .where(o.id == bindparam("_id"))
                .values(
                    attempts=bindparam("attempts"),
                    next_attempt_at=bindparam("next_attempt_at"),
                    last_error=bindparam("last_error"),
                ),
                failed,
            )
        conn.commit()


def drain(
    engine: Engine,
    subscribers: dict[str, list[Subscriber]],
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    batch: int = 500,
    limit: int | None = None,
) -> int:
    """Process due rows; returns how many were marked processed. With ``limit``, stop after
    about that many, so a long backlog does not hold a worker thread for minutes."""
    done_total = 0
    while limit is None or done_total < limit:
        rows = _claim(engine, now(), batch)
        if not rows:
            return done_total
        done: list[int] = []
        failed: list[dict[str, Any]] = []
        with heartbeat(engine, t.outbox, [r.id for r in rows], now):
            batch_failed = _batched(rows, subscribers)
            for row_id, topic, payload, attempts in rows:
                try:
                    if row_id in batch_failed:
                        raise batch_failed[row_id]
                    for sub in subscribers.get(topic, []):
                        if getattr(sub, "many", None) is None:
                            sub(row_id, topic, payload)
                    done.append(row_id)
                except Exception as exc:
                    logger.warning("outbox %s (%s) failed: %s", row_id, topic, exc)
                    failed.append(
                        {
                            "_id": row_id,
                            "attempts": attempts + 1,
                            "next_attempt_at": now() + backoff(attempts + 1),
                            "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                        }
                    )
        _settle(engine, done, failed, now())
        done_total += len(done)
        if len(rows) < batch:
            return done_total
    return done_total


def pending_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.processed_at.is_(None))
            ).scalar_one()
        )
