"""Periodic jobs that run once per tick across the cluster, whatever the number of workers.

Every worker process schedules the periodic tasks (Huey's consumer does, per process), so
with M workers each tick is enqueued M times. Each run first claims its tick in
``periodic_runs`` with one conditional UPDATE: the row's ``tick`` moves forward only if it
was behind and nobody holds the job, so exactly one claimant wins a tick and the others
return at once. The winner holds a short lease renewed by a heartbeat while it runs (a
long sweep never overlaps the next tick's); killed, its lease lapses and the next tick runs.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine, and_, or_, update
from sqlalchemy.exc import IntegrityError

from postpurchase.adapters.db.leases import BEAT, LEASE
from postpurchase.adapters.db.tables import periodic_runs
from postpurchase.service_layer.heartbeats import beating

T = TypeVar("T")


def holder_id() -> str:
    """Who claims: host, process and a random part (a pid is reused across restarts)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def tick_of(now: datetime, every: timedelta) -> datetime:
    """The scheduled tick ``now`` belongs to: the start of its ``every``-long slot (UTC)."""
    step = int(every.total_seconds())
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, tz=now.tzinfo)


def claim(
    engine: Engine, name: str, tick: datetime, now: datetime, *, holder: str, lease: timedelta
) -> bool:
    """Whether ``holder`` won ``tick`` of job ``name`` (and holds it until ``now + lease``)."""
    t = periodic_runs.c
    values = {"tick": tick, "holder": holder, "held_until": now + lease, "finished_at": None}
    with engine.connect().execution_options(write=True) as conn:
        won = conn.execute(
            update(periodic_runs)
            .where(
                t.name == name,
                t.tick < tick,
                or_(t.held_until.is_(None), t.held_until < now),
            )
            .values(**values)
        ).rowcount
        if not won:
            try:
                with conn.begin_nested():
                    conn.execute(periodic_runs.insert().values(name=name, **values))
                won = 1
            except IntegrityError:  # the row exists: somebody else has this tick (or holds it)
                won = 0
        conn.commit()
    return bool(won)


def run_once(
    engine: Engine,
    name: str,
    every: timedelta,
    now: Callable[[], datetime],
    job: Callable[[], T],
    *,
    lease: timedelta | None = None,
    beat: timedelta | None = None,
) -> T | None:
    """Run ``job`` if this process wins the current tick of ``name``; None if it did not."""
    lease = lease or LEASE
    beat = beat or BEAT
    holder = holder_id()
    started = now()
    if not claim(engine, name, tick_of(started, every), started, holder=holder, lease=lease):
        return None
    mine = and_(periodic_runs.c.name == name, periodic_runs.c.holder == holder)

    def renew() -> bool:
        assert lease is not None
        with engine.connect().execution_options(write=True) as conn:
            kept = conn.execute(
                update(periodic_runs).where(mine).values(held_until=now() + lease)
            ).rowcount
            conn.commit()
        return bool(kept)

    try:
        with beating(beat, renew, name=f"periodic-{name}"):
            return job()
    finally:
        with engine.connect().execution_options(write=True) as conn:
            conn.execute(
                update(periodic_runs).where(mine).values(held_until=None, finished_at=now())
            )
            conn.commit()
