"""SQL helpers every table adapter shares: chunked IN lists and dialect-specific inserts.

Kept apart from the repositories and from ``bulk`` so those modules need not import each
other for them (they used to, in a cycle).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

CHUNK = 900  # stays under SQLite's bound-parameter limits for IN lists


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def one_of(conn: Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``. On PostgreSQL as ``= ANY(array)``: one parameter, so the
    statement text is the same for every batch (an expanded IN of 1,000 placeholders is
    re-parsed by the driver on each call)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def upsert_insert(conn: Connection, table: Any) -> Any:
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
