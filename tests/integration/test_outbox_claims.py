"""The outbox claim (ADR 0036): on PostgreSQL a session's advisory locks, no row written;
on SQLite a lease. Either way a drainer that dies mid-batch gives its rows back, a living
one keeps them, and no row is delivered twice by two drainers."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from postpurchase.adapters import outbox
from postpurchase.adapters.db import leases
from postpurchase.adapters.db import tables as t
from tests.factories import ref


def _rows(engine, topic: str, n: int, at: datetime) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(
            insert(t.outbox),
            [
                {"merchant_id": "m-" + topic, "topic": topic, "payload": {"i": i},
                 "created_at": at, "attempts": 0, "next_attempt_at": at}
                for i in range(n)
            ],
        )  # fmt: skip
        q = select(t.outbox.c.id).where(t.outbox.c.topic == topic).order_by(t.outbox.c.id)
        return [r.id for r in conn.execute(q)]


def _state(engine, ids: list[int]) -> list[tuple[datetime, object]]:  # type: ignore[no-untyped-def]
    o = t.outbox.c
    with engine.connect() as conn:
        q = select(o.next_attempt_at, o.processed_at).where(o.id.in_(ids)).order_by(o.id)
        return [(r[0], r[1]) for r in conn.execute(q)]


def test_a_killed_drainers_batch_is_delivered_again_and_never_while_it_lives(engine) -> None:  # type: ignore[no-untyped-def]
    topic = "Claim" + ref()
    t0 = datetime(2026, 12, 7, 12, tzinfo=UTC)
    ids = _rows(engine, topic, 3, t0)
    delivered: list[int] = []
    subscribers = {topic: [lambda row_id, _t, _p: delivered.append(row_id)]}
    pg = engine.dialect.name == "postgresql"
    with ExitStack() as stack:
        # The first drainer claims every due row (other tests' rows come first by id).
        rows, held = stack.enter_context(outbox._claimed(engine, t0, 1_000_000))
        assert set(ids) <= {r.id for r in rows}
        if pg:  # the claim wrote nothing: the rows are as they were
            assert held is not None
            assert _state(engine, ids) == [(t0, None)] * 3
        outbox.drain(engine, subscribers, now=lambda: t0 + timedelta(seconds=5))
        assert delivered == []  # a second drainer leaves the living drainer's rows alone
        if pg:
            held.invalidate()  # kill -9: the session ends, PostgreSQL drops its locks
            later = t0 + timedelta(seconds=5)
        else:
            later = t0 + leases.LEASE + timedelta(seconds=1)  # the lease ran out
        give_up = time.monotonic() + 10  # the server ends the session a moment after
        while not delivered and time.monotonic() < give_up:
            outbox.drain(engine, subscribers, now=lambda: later)
            time.sleep(0.05)
        assert delivered == ids
    assert all(processed is not None for _, processed in _state(engine, ids))


def test_two_drainers_split_a_backlog_without_delivering_a_row_twice(engine) -> None:  # type: ignore[no-untyped-def]
    topic = "Split" + ref()
    t0 = datetime(2026, 12, 7, 13, tzinfo=UTC)
    ids = _rows(engine, topic, 7, t0)
    seen: list[int] = []
    subscribers = {topic: [lambda row_id, _t, _p: seen.append(row_id)]}
    with outbox._claimed(engine, t0, 1_000_000) as (first, held):
        mine = sorted(r.id for r in first if r.id in ids)
        assert mine == ids
        # While the first holds its batch, a second drainer finds nothing of ours to take.
        assert outbox.drain(engine, subscribers, now=lambda: t0 + timedelta(seconds=1)) >= 0
        assert seen == []
        seen.extend(mine)  # the first delivers and settles its batch
        outbox._settle(engine, mine, [], t0, held)
    outbox.drain(engine, subscribers, now=lambda: t0 + leases.LEASE * 2)
    assert sorted(seen) == ids  # each row once


def test_a_row_settled_by_another_drainer_is_not_claimed_again(engine) -> None:  # type: ignore[no-untyped-def]
    """The claim re-reads its rows after locking them: a row done meanwhile stays done."""
    topic = "Done" + ref()
    t0 = datetime(2026, 12, 7, 14, tzinfo=UTC)
    ids = _rows(engine, topic, 2, t0)
    outbox._settle(engine, ids[:1], [], t0)
    with outbox._claimed(engine, t0, 1_000_000) as (rows, _):
        claimed = {r.id for r in rows}
    assert ids[1] in claimed and ids[0] not in claimed


def test_a_claim_that_fails_midway_leaves_its_rows_to_the_next_drainer(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: the locks were taken, the re-read failed; the session is ended, so no
    pooled connection keeps them. SQLite: the lease's transaction rolls back."""
    topic = "Fail" + ref()
    t0 = datetime(2026, 12, 7, 15, tzinfo=UTC)
    ids = _rows(engine, topic, 2, t0)
    real = outbox.one_of

    def broken(*_args, **_kw):  # type: ignore[no-untyped-def]
        raise ConnectionError("lost the server")

    monkeypatch.setattr(outbox, "one_of", broken)
    try:
        with outbox._claimed(engine, t0, 1_000_000):
            raise AssertionError("the claim should have failed")
    except ConnectionError:
        pass
    monkeypatch.setattr(outbox, "one_of", real)
    delivered: list[int] = []
    subscribers = {topic: [lambda row_id, _t, _p: delivered.append(row_id)]}
    give_up = time.monotonic() + 10  # the server ends the dropped session a moment after
    while not delivered and time.monotonic() < give_up:
        outbox.drain(engine, subscribers, now=lambda: t0 + timedelta(seconds=1))
        time.sleep(0.05)
    assert delivered == ids


def test_a_batch_is_filled_past_rows_another_drainer_holds(engine) -> None:  # type: ignore[no-untyped-def]
    """A batch cut short by another drainer's rows would end the drain with a backlog left
    (``drain`` stops at a short batch) until the next nudge."""
    topic = "Fill" + ref()
    t0 = datetime(2026, 12, 7, 16, tzinfo=UTC)
    _rows(engine, topic, 7, t0)
    with (
        outbox._claimed(engine, t0, 3) as (first, _),
        outbox._claimed(engine, t0, 4) as (second, _),
    ):
        assert len(first) == 3 and len(second) == 4
        assert not {r.id for r in first} & {r.id for r in second}


def test_an_expected_not_yet_is_retried_without_a_warning(engine, caplog) -> None:  # type: ignore[no-untyped-def]
    """A subscriber's "another worker is sending it" (``InFlight``) is retried like any
    failure, logged at info; any other failure is a warning."""
    import logging

    from postpurchase.service_layer.notification_core import InFlight

    topic = "NotYet" + ref()
    t0 = datetime(2026, 12, 7, 14, tzinfo=UTC)
    ids = _rows(engine, topic, 2, t0)

    def subscriber(row_id: int, _t: str, _p: object) -> None:
        raise InFlight("being sent") if row_id == ids[0] else RuntimeError("broken")

    with caplog.at_level(logging.INFO, logger="postpurchase.adapters.outbox"):
        outbox.drain(engine, {topic: [subscriber]}, now=lambda: t0)
    levels = {
        r.getMessage().split()[1]: r.levelno for r in caplog.records if topic in r.getMessage()
    }
    assert levels == {str(ids[0]): logging.INFO, str(ids[1]): logging.WARNING}
    assert all(processed is None for _, processed in _state(engine, ids))  # both retried
