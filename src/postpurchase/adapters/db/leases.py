"""Short leases kept alive by a heartbeat, so a crashed worker's work comes back in seconds.

A claimed row (an outbox event, a store delivery) carries ``next_attempt_at`` = when it
becomes due again if its claimant vanishes. A long fixed lease (it was 5 minutes) makes a
crash cost minutes of delay; a short one would hand a slow but living worker's rows to a
second worker. So the lease is short, and the claimant renews it every few seconds from a
background thread for as long as it works: alive, it keeps its rows; killed (kill -9, a
lost host), its rows are due again within one lease.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, update

from postpurchase.service_layer.heartbeats import beating

LEASE = timedelta(seconds=15)  # a crashed claimant's rows are due again within this
BEAT = timedelta(seconds=5)  # renewed this often while the claimant is alive


@contextmanager
def heartbeat(
    engine: Engine,
    table: Table,
    ids: Sequence[Any],
    now: Callable[[], datetime],
    *,
    lease: timedelta | None = None,
    beat: timedelta | None = None,
) -> Iterator[None]:
    """Renew the lease of ``table`` rows ``ids`` (not yet processed) until the block ends."""
    if not ids:
        yield
        return
    lease = lease or LEASE
    beat = beat or BEAT
    wanted = list(ids)

    def renew() -> bool:
        assert lease is not None
        with engine.connect().execution_options(write=True) as conn:
            conn.execute(
                update(table)
                .where(table.c.id.in_(wanted), table.c.processed_at.is_(None))
                .values(next_attempt_at=now() + lease)
            )
            conn.commit()
        return True

    with beating(beat, renew, name=table.name):
        yield
