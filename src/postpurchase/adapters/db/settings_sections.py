"""One section of a merchant's settings document (``merchants.settings``), read or written
alone: the stores of contexts whose rules live in the one settings schema (recommendations,
automatic remedy; ADR 0025) share this instead of each reading the document its own way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from postpurchase.adapters.db import tables as t


def read_section(conn: Connection, merchant_id: str, name: str) -> Any:
    """The stored section ``name`` (None when the merchant or the section is missing)."""
    m = t.merchants.c
    doc = conn.execute(select(m.settings).where(m.id == merchant_id)).scalar_one_or_none()
    return doc.get(name) if isinstance(doc, dict) else None


def write_section(conn: Connection, merchant_id: str, name: str, value: Any) -> None:
    """Replace section ``name``, the rest of the document left as it is; the row is locked
    so a concurrent write of another section is not lost. The caller commits."""
    m = t.merchants.c
    doc = conn.execute(
        select(m.settings).where(m.id == merchant_id).with_for_update()
    ).scalar_one_or_none()
    if doc is None:
        return
    kept = dict(doc) if isinstance(doc, dict) else {}
    kept[name] = value
    conn.execute(update(t.merchants).where(m.id == merchant_id).values(settings=kept))
