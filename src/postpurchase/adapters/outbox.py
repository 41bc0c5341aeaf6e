"""Draining the outbox: deliver committed domain events to asynchronous subscribers.

At-least-once: a row is marked processed only after every subscriber succeeded; a failure
is retried with exponential backoff. Subscribers must therefore be idempotent (they dedupe
on the outbox id or on their own keys).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from postpurchase.adapters.db import tables as t

logger = logging.getLogger(__name__)

Subscriber = Callable[[int, str, dict[str, Any]], None]
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def drain(
    engine: Engine,
    subscribers: dict[str, list[Subscriber]],
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    batch: int = 500,
) -> int:
    """Process due rows; returns how many were marked processed."""
    o = t.outbox.c
    done_total = 0
    while True:
        with engine.connect().execution_options(write=True) as conn:
            q = (
                select(o.id, o.topic, o.payload, o.attempts)
                .where(o.processed_at.is_(None), o.next_attempt_at <= now())
                .order_by(o.id)
                .limit(batch)
            )
            if conn.dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = conn.execute(q).all()
            if not rows:
                conn.rollback()
                return done_total
            done: list[int] = []
            failed: list[dict[str, Any]] = []
            for row_id, topic, payload, attempts in rows:
                try:
                    for sub in subscribers.get(topic, []):
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
            stamp = now()
            if done:
                conn.execute(update(t.outbox).where(o.id.in_(done)).values(processed_at=stamp))
            if failed:
                from sqlalchemy import bindparam

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
            done_total += len(done)
            if len(rows) < batch:
                return done_total


def pending_count(engine: Engine) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.processed_at.is_(None))
            ).scalar_one()
        )
