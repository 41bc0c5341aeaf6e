"""The notification engine's unit of work, and the per-thread record of which write
transaction is open on an engine (so a subscriber called inside the outbox drain can write
through it).

**Why the "ambient" transaction.** The outbox drain calls subscribers while its own
transaction is open. On SQLite that transaction holds the database's single write lock
(``BEGIN IMMEDIATE``), so a subscriber that opened a second connection to write would wait
for a lock its own thread holds. When we are called from inside a drain on SQLite, we
therefore write through the drain's connection, inside a SAVEPOINT: our rows then commit
atomically with the outbox row being marked processed (exactly-once planning), and an error
rolls back only our savepoint. Anywhere else -- PostgreSQL, API requests, a drain that
calls subscribers outside its transaction -- we use a connection of our own.

Split out of ``store`` so the transaction handling reads apart from the SQL statements.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, event

from postpurchase.adapters.notifications.store import SqlNotificationStore
from postpurchase.service_layer.ports import SecretBox


class AmbientWrites:
    """Remembers, per thread, which write transaction is open on an engine."""

    _by_engine: weakref.WeakKeyDictionary[Engine, AmbientWrites] = weakref.WeakKeyDictionary()
    _guard = threading.Lock()

    def __init__(self, engine: Engine) -> None:
        self._local = threading.local()
        self.sqlite = engine.dialect.name == "sqlite"
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    @classmethod
    def for_engine(cls, engine: Engine) -> AmbientWrites:
        with cls._guard:
            found = cls._by_engine.get(engine)
            if found is None:
                found = cls._by_engine[engine] = cls(engine)
            return found

    def _stack(self) -> list[Connection]:
        stack: list[Connection] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def _begin(self, conn: Connection) -> None:
        if conn.get_execution_options().get("write", False):
            self._stack().append(conn)

    def _end(self, conn: Connection) -> None:
        stack = self._stack()
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is conn:
                del stack[i]
                break

    @contextmanager
    def lending(self) -> Iterator[None]:
        """Within this block (a subscriber call), units of work may join the open write
        transaction of this thread instead of waiting for its lock."""
        depth = getattr(self._local, "lending", 0)
        self._local.lending = depth + 1
        try:
            yield
        finally:
            self._local.lending = depth

    def lendable(self) -> Connection | None:
        if not self.sqlite or not getattr(self._local, "lending", 0):
            return None
        stack = self._stack()
        while stack and (stack[-1].closed or not stack[-1].in_transaction()):
            stack.pop()
        return stack[-1] if stack else None


class SqlNotificationUnitOfWork:
    """One transaction (or one savepoint inside the drain's, see the module docstring)."""

    store: SqlNotificationStore

    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        ambient: AmbientWrites | None = None,
        *,
        box: SecretBox,
    ) -> None:
        self.engine = engine
        self.now = now
        self.ambient = ambient
        self.box = box
        self._conn: Connection | None = None
        self._own = True
        self._savepoint: Any = None
        self._committed = False

    def __enter__(self) -> Self:
        borrowed = self.ambient.lendable() if self.ambient is not None else None
        if borrowed is not None:
            self._conn, self._own = borrowed, False
            self._savepoint = borrowed.begin_nested()
        else:
            self._conn, self._own = self.engine.connect().execution_options(write=True), True
        self._committed = False
        self.store = SqlNotificationStore(self._conn, self.now, self.box)
        return self

    def commit(self) -> None:
        assert self._conn is not None
        if self._own:
            self._conn.commit()
        else:
            self._savepoint.commit()
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._own:
            if conn.in_transaction():
                conn.rollback()
            conn.close()
        elif not self._committed and self._savepoint is not None and self._savepoint.is_active:
            self._savepoint.rollback()
