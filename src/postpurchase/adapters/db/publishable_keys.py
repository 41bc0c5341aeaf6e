"""Publishable keys in SQL: hashes only, every query filtered by merchant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.service_layer.checkout.ports import PublishableKeyRow

_k = t.publishable_keys.c


class SqlPublishableKeys:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: PublishableKeyRow) -> None:
        self.conn.execute(
            insert(t.publishable_keys).values(
                id=row.id,
                key_hash=row.key_hash,
                merchant_id=row.merchant_id,
                hint=row.hint,
                label=row.label,
                created_at=row.created_at,
                revoked_at=row.revoked_at,
            )
        )

    def list(self, merchant_id: str) -> list[PublishableKeyRow]:
        rows = self.conn.execute(
            select(t.publishable_keys)
            .where(_k.merchant_id == merchant_id)
            .order_by(_k.created_at.desc(), _k.id)
        ).mappings()
        return [_row(r) for r in rows]

    def revoke(self, merchant_id: str, key_id: str, at: datetime) -> bool:
        done = self.conn.execute(
            update(t.publishable_keys)
            .where(_k.merchant_id == merchant_id, _k.id == key_id, _k.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        if done.rowcount:
            return True
        exists = self.conn.execute(
            select(_k.id).where(_k.merchant_id == merchant_id, _k.id == key_id)
        ).first()
        return exists is not None  # revoking a revoked key is done, not an error

    def revoke_all(self, merchant_id: str, at: datetime, *, keep: str | None = None) -> int:
        where = [_k.merchant_id == merchant_id, _k.revoked_at.is_(None)]
        if keep is not None:
            where.append(_k.id != keep)
        return self.conn.execute(
            update(t.publishable_keys).where(*where).values(revoked_at=at)
        ).rowcount

    def merchant_of(self, key_hash: str) -> str | None:
        found = self.conn.execute(
            select(_k.merchant_id).where(_k.key_hash == key_hash, _k.revoked_at.is_(None))
        ).scalar()
        return str(found) if found is not None else None


def _row(r: Any) -> PublishableKeyRow:
    return PublishableKeyRow(
        r["id"],
        r["merchant_id"],
        r["key_hash"],
        r["hint"],
        r["label"],
        r["created_at"],
        r["revoked_at"],
    )
