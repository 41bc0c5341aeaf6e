"""Engines for the embedded default (SQLite, WAL) and for PostgreSQL."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    statement_timeout_ms: int = 0,
    pre_ping: bool = True,
    hot_plans: bool = False,
) -> Engine:
    """SQLite gets WAL (readers never block the writer), a busy timeout instead of instant
    'database is locked', and foreign keys on; PostgreSQL gets a pre-pinged pool and, when
    ``statement_timeout_ms`` is set, a limit on every statement (for reads that must never
    hold up a process for long). Without ``pre_ping`` a connection that died with its server
    fails the one request that uses it, and the pool then starts afresh. ``hot_plans``: see
    :func:`pg_connect_args` (PostgreSQL)."""
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
        pool_pre_ping=pre_ping,
        connect_args=pg_connect_args(statement_timeout_ms, hot_plans=hot_plans),
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
    )


# psycopg prepares nothing by itself on a ``hot_plans`` connection, only what runs with
# ``prepare=True`` (its threshold is this many runs of one statement: never, in practice).
ONLY_WHEN_ASKED = 2**31 - 1


def pg_connect_args(statement_timeout_ms: int = 0, *, hot_plans: bool = False) -> dict[str, Any]:
    """psycopg's connect arguments for a PostgreSQL engine.

    psycopg prepares a statement on its fifth run, and PostgreSQL may then switch to a
    generic plan that cannot see the batch array (= ANY(:numbers)): the scan lookup of a
    tracking batch went from 10 to 58 ms. So every run is planned again
    (``plan_cache_mode=force_custom_plan``; ~0.1 ms for most statements).

    ``hot_plans`` (the tracking page's reads, ADR 0043): only the statements run with
    ``prepare=True`` are prepared (``adapters.db.hot_reads``: lookups by a unique token, whose
    generic plan is their custom plan), and PostgreSQL keeps a generic plan for them
    (``auto``, its default). Planning the page's 7.5 KB order statement on every view cost
    PostgreSQL 0.7 of its 0.9 CPU ms per read. Every other statement is never prepared, so
    it is still planned on each run.
    """
    mode = "auto" if hot_plans else "force_custom_plan"
    options = f"-c plan_cache_mode={mode}"
    if statement_timeout_ms:
        options += f" -c statement_timeout={statement_timeout_ms}"
    out: dict[str, Any] = {"options": options}
    if hot_plans:
        out["prepare_threshold"] = ONLY_WHEN_ASKED
    return out
