"""Where the tracking page's database reads run: on the event loop, never in a thread.

One server process answers the page for every shopper, and its event loop also replays the
cached pages. A read handed to a worker thread has to win the GIL back from that busy loop
after every call into the driver (pysqlite releases it on each row it steps; psycopg on each
round trip), waiting up to the interpreter's switch interval each time. With 100
back-to-back clients, shoppers' mixed traffic (one view in five a first view) cost 1.2 ms of
server CPU per view with the reads in threads and 0.57 ms with them on the loop (SQLite; on
PostgreSQL 1.20 against 0.57 ms), and the tails shrank with it.

PostgreSQL through SQLAlchemy's asyncio engine (a greenlet that yields on every round trip)
was measured too and lost on both counts (1.00 ms a view, p99 0.9 s): under a full queue
each of a query's awaits waits behind every request queued meanwhile, so one version check
took 100 ms instead of 1. A page read is a few indexed lookups, so it is cheaper to let it
block the loop for its round trips. A statement limit (:data:`STATEMENT_TIMEOUT_MS`) keeps a
stuck database from holding the process for longer. Cached views queue behind a first
view's round trips, so those are kept few: no BEGIN, ROLLBACK or pre-ping (paced shoppers'
traffic went from p99 59-69 ms to 26 ms). ADR 0006 has the whole decision.

The reads get a small pool of their own: they run one at a time on the loop, and must never
wait for a connection that the API's threads hold. Writes (a rating) stay in threads: a
SQLite writer may wait for the write lock, which must never block the loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine

from postpurchase.adapters.db.engine import make_engine

P = ParamSpec("P")
T = TypeVar("T")

POOL_SIZE = 2  # the loop's reads, one at a time, and a sweep's
STATEMENT_TIMEOUT_MS = 2000  # PostgreSQL: a read slower than this fails its one request


class PageReads:
    """Runs ``func(conn, ...)`` with a read connection to the platform's database."""

    def __init__(self, platform_engine: Engine) -> None:
        self.engine = make_engine(
            platform_engine.url.render_as_string(hide_password=False),
            pool_size=POOL_SIZE,
            statement_timeout_ms=STATEMENT_TIMEOUT_MS,
            # A ping is one more round trip holding the loop on every read (a re-check is one
            # query); after a database restart one view per pooled connection fails instead.
            pre_ping=False,
            # The two hot statements (a token's page version and order) are prepared and
            # keep a generic plan: PostgreSQL does not plan the 7.5 KB order statement on
            # every first view (0.7 of its 0.9 CPU ms per read). Nothing else is prepared.
            hot_plans=True,
        )
        self.on_sqlite = self.engine.dialect.name == "sqlite"
        if not self.on_sqlite:
            # No BEGIN and no ROLLBACK: two of a first view's six round trips, each of which
            # holds the loop. Each read then has a snapshot of its own, which is safe here:
            # a page read after its version can only be newer than it, and the next check
            # of that version renders it again.
            self.engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

        # PostgreSQL: the loop's reads keep one connection between views instead of taking
        # it from the pool and giving it back each time (with the pool's events and reset,
        # a twentieth of a first view's CPU). Safe because those reads run one at a time on
        # one thread and in autocommit, so the connection holds no snapshot between them.
        self._held: Connection | None = None
        self._held_by = 0

    def run(
        self, func: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.on_sqlite or not self._holding():
            with self.engine.connect() as conn:
                return func(conn, *args, **kwargs)
        conn = self._held or self.engine.connect()
        self._held = conn
        try:
            return func(conn, *args, **kwargs)
        except BaseException:
            # A timed-out statement, a dropped connection: start the next read afresh.
            self._held = None
            conn.close()
            raise

    def _holding(self) -> bool:
        """Whether this call may use the held connection: only ever from one thread (the
        event loop's); a call from any other thread takes one from the pool."""
        me = threading.get_ident()
        if self._held_by == 0:
            self._held_by = me
        return self._held_by == me

    def close(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.close()
        self.engine.dispose()
