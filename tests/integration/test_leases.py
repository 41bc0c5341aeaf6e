"""A crashed drainer's outbox rows come back in seconds; a slow living one keeps its own."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from postpurchase.adapters import outbox
from postpurchase.adapters.db import leases
from postpurchase.adapters.db import tables as t
from tests.factories import ref


def _rows(engine, topic: str, n: int, at: datetime) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        for i in range(n):
            conn.execute(insert(t.outbox).values(
                merchant_id="m-" + topic, topic=topic, payload={"i": i}, created_at=at,
                attempts=0, next_attempt_at=at,
            ))  # fmt: skip
        return [r.id for r in conn.execute(select(t.outbox.c.id).where(t.outbox.c.topic == topic))]


def test_a_dead_drainers_rows_are_due_again_within_one_short_lease(engine) -> None:  # type: ignore[no-untyped-def]
    topic = "Lease" + ref()
    t0 = datetime(2026, 12, 6, 12, tzinfo=UTC)
    _rows(engine, topic, 3, t0)
    delivered: list[int] = []
    subscribers = {topic: [lambda row_id, _t, _p: delivered.append(row_id)]}
    # Claimed, then the process was killed. Every due row: rows other tests of this session
    # left behind come first (by id), and a batch of 500 could stop short of ours.
    claimed = outbox._claim(engine, t0, 1_000_000)
    assert {r.topic for r in claimed} >= {topic}
    outbox.drain(engine, subscribers, now=lambda: t0 + timedelta(seconds=5))
    assert delivered == []  # still leased to the dead drainer
    assert timedelta(seconds=30) >= leases.LEASE  # seconds, not the old five minutes
    later = t0 + leases.LEASE + timedelta(seconds=1)
    outbox.drain(engine, subscribers, now=lambda: later)
    assert len(delivered) == 3


def test_a_slow_drainer_keeps_its_rows_while_it_works(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(leases, "LEASE", timedelta(seconds=0.6))
    monkeypatch.setattr(leases, "BEAT", timedelta(seconds=0.1))
    topic = "Slow" + ref()
    _rows(engine, topic, 4, datetime.now(UTC) - timedelta(seconds=1))
    seen: list[int] = []
    lock = threading.Lock()

    def slow(row_id: int, _t: str, _p: dict) -> None:  # type: ignore[type-arg]
        time.sleep(0.5)  # 4 rows: 2 s in all, more than three leases
        with lock:
            seen.append(row_id)

    subscribers = {topic: [slow]}
    first = threading.Thread(target=outbox.drain, args=(engine, subscribers))
    first.start()
    time.sleep(0.3)
    while first.is_alive():  # a second worker keeps trying while the first one works
        outbox.drain(engine, subscribers)
        time.sleep(0.2)
    first.join()
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 4  # each row delivered once
