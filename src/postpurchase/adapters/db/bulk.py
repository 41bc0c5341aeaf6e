"""Set-based writes for the ingestion hot path.

On PostgreSQL one statement per table per batch: ``INSERT ... SELECT FROM json_to_recordset``
and ``UPDATE ... FROM json_to_recordset``, the batch as a single JSON parameter. The
statement text stays small and constant (never re-parsed, unlike a 19,000-placeholder
multi-VALUES insert), and a batch of 1,000 rows costs one round trip. SQLite runs
in-process, so plain ``executemany`` is already cheap there; it keeps the SQLAlchemy path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, bindparam, insert, update

from postpurchase.adapters.db.sql import upsert_insert

# PostgreSQL array type per column, for the unnest casts.
_PG_TYPES: dict[str, dict[str, str]] = {
    "tracking_events": {
        "merchant_id": "text", "shipment_id": "text", "fingerprint": "text",
        "occurred_at": "timestamptz", "status": "text", "substatus": "text",
        "carrier_code": "text", "description": "text", "city": "text", "region": "text",
        "postal_code": "text", "country": "text", "source": "text", "source_event_id": "text",
        "recognised": "boolean", "correction": "boolean", "estimated_delivery": "date",
        "received_at": "timestamptz", "signed_by": "text", "fold_seq": "bigint",
    },
    "shipments": {
        "id": "text", "carrier": "text", "service": "text", "tracking_valid": "boolean",
        "tracking_url": "text",
        "status": "text", "substatus": "text", "status_at": "timestamptz",
        "last_event_at": "timestamptz", "last_scan_at": "timestamptz", "last_rank": "integer",
        "last_fingerprint": "text", "handed_over_at": "timestamptz",
        "delivered_at": "timestamptz", "carrier_estimate": "date", "last_location": "jsonb",
        "event_count": "integer",
    },
    "outbox": {
        "merchant_id": "text", "topic": "text", "payload": "jsonb",
        "created_at": "timestamptz", "attempts": "integer", "next_attempt_at": "timestamptz",
    },
    "orders": {
        "id": "text", "status": "text", "updated_at": "timestamptz",
        "cancelled_at": "timestamptz", "cancel_reason": "text",
    },
}  # fmt: skip


def _recordset(table: str, cols: Sequence[str]) -> str:
    """``json_to_recordset(%(rows)s::json) AS v(col type, ...)``: the whole batch travels as
    one JSON text (serialised in C by orjson, parsed in C by PostgreSQL)."""
    types = _PG_TYPES[table]
    spec = ", ".join(f"{c} {types[c]}" for c in cols)
    return f"json_to_recordset(%(rows)s::json) AS v({spec})"


def _payload(cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    if len(rows[0]) == len(cols):  # every key is a column: no need to copy ~1,000 dicts
        return {"rows": orjson.dumps(rows).decode()}
    return {"rows": orjson.dumps([{c: r[c] for c in cols} for r in rows]).decode()}


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    on_conflict: Sequence[str] | None = None,
    returning: Sequence[str] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert ``rows``; with ``on_conflict`` skip duplicates of that unique key; with
    ``returning`` give back those columns of the rows actually inserted."""
    if not rows:
        return []
    if conn.dialect.name != "postgresql":
        stmt: Any = upsert_insert(conn, table) if on_conflict else insert(table)
        if on_conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(on_conflict))
        if returning:
            stmt = stmt.returning(*[table.c[c] for c in returning])
            return [tuple(r) for r in conn.execute(stmt, list(rows))]
        conn.execute(stmt, list(rows))
        return []
    cols = [c for c in _PG_TYPES[table.name] if c in rows[0]]
    params = _payload(cols, rows)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(cols)}) "
        f"SELECT {', '.join(cols)} FROM {_recordset(table.name, cols)}"
    )
    if on_conflict:
        sql += f" ON CONFLICT ({', '.join(on_conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
        return [tuple(r) for r in conn.exec_driver_sql(sql, params)]
    conn.exec_driver_sql(sql, params)
    return []


def update_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, key: str = "id"
) -> None:
    """Update each row's columns, matching on ``key``."""
    if not rows:
        return
    cols = [c for c in rows[0] if c != key]
    if conn.dialect.name != "postgresql":
        stmt = (
            update(table)
            .where(table.c[key] == bindparam("_key"))
            .values({c: bindparam(c) for c in cols})
        )
        conn.execute(stmt, [{**{c: r[c] for c in cols}, "_key": r[key]} for r in rows])
        return
    all_cols = [key, *cols]
    params = _payload(all_cols, rows)
    sets = ", ".join(f"{c} = v.{c}" for c in cols)
    sql = (
        f"UPDATE {table.name} SET {sets} FROM {_recordset(table.name, all_cols)} "
        f"WHERE {table.name}.{key} = v.{key}"
    )
    conn.exec_driver_sql(sql, params)


__all__ = ["insert_rows", "update_rows"]
