"""Merchant secrets in the database, sealed by the keyring before they are written.

The repository is handed a :class:`~postpurchase.service_layer.ports.SecretBox` (the
keyring) by the unit of work, so nothing above it ever sees a sealed value and nothing in
the database ever holds a clear one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, delete, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.repositories import upsert_insert
from postpurchase.domain.secrets import MerchantSecret, SecretKind, last4
from postpurchase.service_layer.ports import SecretBox, SecretSummary


class SqlSecretRepository:
    def __init__(self, conn: Connection, box: SecretBox) -> None:
        self.conn = conn
        self.box = box

    def get(self, merchant_id: str, kind: SecretKind) -> MerchantSecret | None:
        s = t.merchant_secrets.c
        row = (
            self.conn.execute(
                select(t.merchant_secrets).where(s.merchant_id == merchant_id, s.kind == kind.value)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        previous = row["sealed_previous"]
        return MerchantSecret(
            merchant_id=merchant_id,
            kind=kind,
            current=self.box.open(row["sealed"]),
            updated_at=row["updated_at"],
            previous=self.box.open(previous) if previous else None,
            rotated_at=row["rotated_at"],
        )

    def summaries(self, merchant_id: str) -> list[SecretSummary]:
        """What may be shown: last four characters and dates, read without opening a seal."""
        s = t.merchant_secrets.c
        rows = self.conn.execute(
            select(s.kind, s.last4, s.updated_at, s.rotated_at, s.sealed_previous)
            .where(s.merchant_id == merchant_id)
            .order_by(s.kind)
        )
        return [
            SecretSummary(
                SecretKind(r.kind),
                r.last4,
                r.updated_at,
                r.rotated_at,
                r.sealed_previous is not None,
            )
            for r in rows
            if r.kind in SecretKind._value2member_map_
        ]

    def put(self, secret: MerchantSecret) -> None:
        values: dict[str, Any] = {
            "sealed": self.box.seal(secret.current),
            "last4": last4(secret.current),
            "sealed_previous": self.box.seal(secret.previous) if secret.previous else None,
            "rotated_at": secret.rotated_at,
            "updated_at": secret.updated_at,
        }
        stmt = upsert_insert(self.conn, t.merchant_secrets).values(
            merchant_id=secret.merchant_id, kind=secret.kind.value, **values
        )
        self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["merchant_id", "kind"], set_=values)
        )

    def remove(self, merchant_id: str, kind: SecretKind) -> bool:
        s = t.merchant_secrets.c
        done = self.conn.execute(
            delete(t.merchant_secrets).where(s.merchant_id == merchant_id, s.kind == kind.value)
        )
        return bool(done.rowcount)


def reseal_all(conn: Connection, box: SecretBox) -> int:
    """Re-seal every stored secret with the keyring's first key (after a key rotation, and
    for rows the migration moved over in the clear). Returns how many rows changed."""
    s = t.merchant_secrets.c
    changed = 0
    for row in _all(conn):
        sealed, previous = row.sealed, row.sealed_previous
        if not box.needs_reseal(sealed) and not (previous and box.needs_reseal(previous)):
            continue
        conn.execute(
            update(t.merchant_secrets)
            .where(s.merchant_id == row.merchant_id, s.kind == row.kind)
            .values(
                sealed=box.reseal(sealed),
                sealed_previous=box.reseal(previous) if previous else None,
            )
        )
        changed += 1
    return changed


def reseal_endpoint_secrets(conn: Connection, box: SecretBox) -> int:
    """The same for the secrets outbound webhooks are signed with (``webhook_endpoints``,
    deleted endpoints included). Returns how many rows changed."""
    e = t.webhook_endpoints.c
    changed = 0
    for row in conn.execute(select(e.id, e.secret)).all():
        if not box.needs_reseal(row.secret):
            continue
        conn.execute(
            update(t.webhook_endpoints).where(e.id == row.id).values(secret=box.reseal(row.secret))
        )
        changed += 1
    return changed


def _all(conn: Connection) -> Iterator[Any]:
    s = t.merchant_secrets.c
    yield from conn.execute(select(s.merchant_id, s.kind, s.sealed, s.sealed_previous)).all()
