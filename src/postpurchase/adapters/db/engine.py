"""Engines for the embedded default (SQLite, WAL) and for PostgreSQL."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# psycopg prepares a statement on its fifth run, and PostgreSQL may then switch to a generic
# plan that cannot see the batch array (= ANY(:numbers)): the scan lookup of a tracking batch
# went from 10 to 58 ms. Planning each run costs ~0.1 ms.
PG_CONNECT_ARGS = {"options": "-c plan_cache_mode=force_custom_plan"}


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """SQLite gets WAL (readers never block the writer), a busy timeout instead of instant
    'database is locked', and foreign keys on; PostgreSQL gets a pre-pinged pool."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            # Pooled (not one connection per unit of work): closing the last connection to a
            # WAL database checkpoints it, which cost about half of a small transaction.
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite opens transactions lazily; make BEGIN explicit so SQLAlchemy owns them.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # A writing transaction takes the lock up front (IMMEDIATE): no deadlock-prone
            # read-to-write upgrade; readers use a plain deferred BEGIN and never block.
            write = conn.get_execution_options().get("write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=PG_CONNECT_ARGS,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
    )


def make_async_engine(url: str | URL, *, pool_size: int = 4) -> AsyncEngine:
    """PostgreSQL through psycopg's asyncio mode, set up like :func:`make_engine`'s, for
    reads that must not leave the event loop (``AsyncConnection.run_sync`` runs the same
    synchronous read code in a greenlet that yields on every round trip)."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=PG_CONNECT_ARGS,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
    )
