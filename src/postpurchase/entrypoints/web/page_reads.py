"""Where the tracking page's database reads run: on the event loop, never in a thread.

One server process answers the page for every shopper, and its event loop also replays the
cached pages. A read handed to a worker thread has to win the GIL back from that busy loop
after every call into the driver (pysqlite releases it on each row it steps; psycopg on each
round trip), and it waits up to the interpreter's switch interval each time. Measured with 100
back-to-back clients: a sweep of 2,048 page versions took 0.2-1.3 s in a thread and 4-80 ms
on the loop, and a first view cost 1.2 ms of CPU in a thread against 0.6 ms on the loop.
So reads run where the loop is:

- **SQLite** (in process, WAL: a reader never waits for a lock) runs the read directly. The
  loop is blocked for the read itself, about what the same work costs in CPU anyway.
- **PostgreSQL** runs the same synchronous read code through SQLAlchemy's asyncio engine
  (``AsyncConnection.run_sync``: a greenlet that yields to the loop on every round trip),
  so the loop serves other requests while the database answers.

Writes (a rating) stay in threads: a SQLite writer may wait for the write lock, which must
never block the loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from postpurchase.adapters.db.engine import make_async_engine

P = ParamSpec("P")
T = TypeVar("T")

ASYNC_POOL_SIZE = 4  # per event loop; reads are short and a page needs one connection


class PageReads:
    """Runs ``func(conn, ...)`` with a read connection of ``engine``, on the running loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = engine.dialect.name == "sqlite"
        # An asyncio connection belongs to the loop it was opened on (tests start several).
        self._engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = (
            weakref.WeakKeyDictionary()
        )

    async def run(
        self, func: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.inline:
            with self.engine.connect() as conn:
                return func(conn, *args, **kwargs)
        async with self._async_engine().connect() as aconn:
            return await aconn.run_sync(func, *args, **kwargs)

    def _async_engine(self) -> AsyncEngine:
        loop = asyncio.get_running_loop()
        found = self._engines.get(loop)
        if found is None:
            found = self._engines[loop] = make_async_engine(
                self.engine.url, pool_size=ASYNC_POOL_SIZE
            )
        return found

    async def close(self) -> None:
        """Close the pool of the running loop (at application shutdown)."""
        found = self._engines.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found.dispose()
