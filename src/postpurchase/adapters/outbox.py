"""Draining the outbox: deliver committed domain events to asynchronous subscribers.

At-least-once, in three short steps per batch: *claim* due rows by pushing their
``next_attempt_at`` a lease ahead (other drainers skip them; PostgreSQL also skips rows
another drainer has locked), *deliver* them with no transaction open (so subscribers may
write through their own connections, even on SQLite's single writer), then *settle*: mark
processed, or reschedule with exponential backoff. The lease is short and renewed by a
heartbeat while the drainer works (``adapters/db/leases.py``): a drainer that dies mid-batch
leaves its rows due again within seconds. Subscribers therefore must be idempotent (they
dedupe on the outbox id or on their own keys).

On PostgreSQL the claim writes nothing (ADR 0036): a drainer takes a session-level advisory
lock per row (``pg_try_advisory_lock(id)``) on a connection it keeps, idle, for the batch,
and releases the locks after the settle commits. A killed drainer's connection closes and
PostgreSQL drops its locks at once; no lease to renew, one row write per event (the settle)
instead of two. Other advisory locks in this database must use the two-key form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, bindparam, func, select, text, update

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


class Declaring(Protocol):
    """A subscriber that can say, before an event is written, for which merchants it may act
    on a topic (``acting``: a subset of ``merchant_ids``; an answer read in the writer's
    transaction). For the others the event is not written to the outbox at all, when every
    subscriber of its topic declares so (ADR 0041). A subscriber without ``acting`` acts on
    everything it is subscribed to. Answering "may act" when unsure is always safe."""

    def __call__(self, row_id: int, topic: str, payload: dict[str, Any]) -> None: ...
    def acting(self, conn: Connection, topic: str, merchant_ids: set[str]) -> set[str]: ...


def acted_on(
    subscribers: dict[str, list[Subscriber]], conn: Connection, pairs: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Of the (merchant id, topic) pairs of a transaction's events, those some subscriber
    may act on: the outbox rows worth writing (ADR 0041).

    Derived from the subscriber registry, never from a list of topics: a pair is dropped
    only when its topic has subscribers and *every* one of them declares (``acting``) that
    it does nothing for that merchant. A topic nobody subscribes to in this process is
    kept: a subscriber may be plugged in later, and the row waits for it.
    """
    by_topic: dict[str, set[str]] = {}
    for merchant_id, topic in pairs:
        by_topic.setdefault(topic, set()).add(merchant_id)
    kept: set[tuple[str, str]] = set()
    for topic, merchants in by_topic.items():
        subs = subscribers.get(topic) or []
        if not subs or any(getattr(s, "acting", None) is None for s in subs):
            kept.update((m, topic) for m in merchants)
            continue
        left = set(merchants)
        for sub in subs:
            if not left:
                break
            left -= sub.acting(conn, topic, set(left))  # type: ignore[attr-defined]
        kept.update((m, topic) for m in merchants - left)
    return kept


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


# Candidates are read a page at a time; a page whose rows another drainer holds is passed
# over, so two drainers split a backlog instead of the second finding "nothing to do". The
# CTE is materialised, so each candidate's lock is tried exactly once (a lock taken on a
# row the query then dropped would never be released).
_PAGES = 8
_LOCK = text(
    "WITH c AS MATERIALIZED (SELECT id FROM outbox WHERE processed_at IS NULL"
    " AND next_attempt_at <= :now AND id > :after ORDER BY id LIMIT :n)"
    " SELECT c.id, pg_try_advisory_lock(c.id) FROM c"
)
_UNLOCK = text(
    "SELECT count(pg_advisory_unlock(u.id)) FROM unnest(CAST(:ids AS bigint[])) AS u(id)"
)


def _lock_rows(conn: Connection, now: datetime, batch: int) -> list[Any]:
    """Due rows, locked for this session (PostgreSQL): up to ``batch``, in id order.

    Pages are read until ``batch`` rows are locked or no due row is left: a batch cut short
    by another drainer's locks would tell ``drain`` the backlog is done, and the rest would
    wait for the next nudge. The connection is in autocommit: no transaction stays open
    while the rows are delivered. The rows are read again *after* their locks are taken, in
    a new statement: a row another drainer settled and unlocked between our candidate read
    and our lock is then seen as processed, and let go, not delivered twice.
    """
    o = t.outbox.c
    after = 0
    locked: list[int] = []
    for _ in range(_PAGES):
        page = sorted(conn.execute(_LOCK, {"now": now, "after": after, "n": batch}).all())
        conn.commit()
        locked.extend(row_id for row_id, got in page if got)
        if len(locked) >= batch or len(page) < batch:
            break
        after = page[-1][0]
    if len(locked) > batch:
        _unlock(conn, locked[batch:])
        locked = locked[:batch]
    if not locked:
        return []
    rows = conn.execute(
        select(o.id, o.topic, o.payload, o.attempts)
        .where(one_of(conn, o.id, locked), o.processed_at.is_(None), o.next_attempt_at <= now)
        .order_by(o.id)
    ).all()
    conn.commit()
    gone = sorted(set(locked) - {r.id for r in rows})
    if gone:
        _unlock(conn, gone)
    return list(rows)


def _unlock(conn: Connection, ids: list[int]) -> None:
    conn.execute(_UNLOCK, {"ids": ids})
    conn.commit()


@contextmanager
def _claimed(
    engine: Engine, now: datetime, batch: int
) -> Iterator[tuple[list[Any], Connection | None]]:
    """A claimed batch, and on PostgreSQL the connection that holds its locks (the settle
    goes through it, then the locks are released). A failure to release closes the
    connection for good, which releases them too."""
    if engine.dialect.name != "postgresql":
        yield _claim(engine, now, batch), None
        return
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        rows = _lock_rows(conn, now, batch)
    except BaseException:  # locks it took may be unknown to us: end the session
        conn.invalidate()
        conn.close()
        raise
    try:
        yield rows, conn
    finally:
        try:
            if conn.in_transaction():
                conn.rollback()
            if rows:
                _unlock(conn, [r.id for r in rows])
        except Exception:
            conn.invalidate()  # the session ends, and its locks with it
            raise
        finally:
            conn.close()


def _settle(
    engine: Engine,
    done: list[int],
    failed: list[dict[str, Any]],
    at: datetime,
    held: Connection | None = None,
) -> None:
    if held is not None:
        _settle_on(held, done, failed, at)
        return
    with engine.connect().execution_options(write=True) as conn:
        _settle_on(conn, done, failed, at)


def _settle_on(
    conn: Connection, done: list[int], failed: list[dict[str, Any]], at: datetime
) -> None:
    o = t.outbox.c
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
        with _claimed(engine, now(), batch) as (rows, held):
            if not rows:
                return done_total
            # Only a lease needs renewing; locks held by a live session need nothing.
            beat = heartbeat(engine, t.outbox, [r.id for r in rows], now) if held is None else None
            with beat or nullcontext():
                done, failed = _deliver(rows, subscribers, now)
            _settle(engine, done, failed, now(), held)
        done_total += len(done)
        if len(rows) < batch:
            return done_total
    return done_total


def _deliver(
    rows: list[Any], subscribers: dict[str, list[Subscriber]], now: Callable[[], datetime]
) -> tuple[list[int], list[dict[str, Any]]]:
    """Hand a claimed batch to its subscribers: the ids done, and the failed rows' retries."""
    done: list[int] = []
    failed: list[dict[str, Any]] = []
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
            # A subscriber may say its refusal is the expected "not yet" (another worker
            # is sending that very message): retried like any failure, but no warning.
            level = logging.INFO if getattr(exc, "retry_expected", False) else logging.WARNING
            logger.log(level, "outbox %s (%s) failed: %s", row_id, topic, exc)
            failed.append(
                {
                    "_id": row_id,
                    "attempts": attempts + 1,
                    "next_attempt_at": now() + backoff(attempts + 1),
                    "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                }
            )
    return done, failed


def pending_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.processed_at.is_(None))
            ).scalar_one()
        )
