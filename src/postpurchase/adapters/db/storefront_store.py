"""Connected stores and the storefront refund ledger in the database.

Credentials are one JSON document sealed by the keyring (``SecretBox``) before they are
written, like merchant secrets: nothing above this module sees a sealed value and nothing
in the database holds a clear token or key.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import upsert_insert
from postpurchase.domain.errors import Conflict
from postpurchase.domain.money import Money
from postpurchase.domain.storefronts import (
    AttemptStatus,
    BackfillState,
    BackfillStatus,
    ConnectionSettings,
    ConnectionStatus,
    RefundAttempt,
    RefundedLine,
    RefundResult,
    StoreConnection,
    StorePlatform,
)
from postpurchase.service_layer.ports import SecretBox


class SqlStoreConnectionRepository:
    def __init__(self, conn: Connection, box: SecretBox) -> None:
        self.conn = conn
        self.box = box

    def get(self, merchant_id: str, platform: StorePlatform) -> StoreConnection | None:
        c = t.store_connections.c
        return self._one(c.merchant_id == merchant_id, c.platform == platform.value)

    def get_by_id(self, merchant_id: str, connection_id: str) -> StoreConnection | None:
        c = t.store_connections.c
        return self._one(c.merchant_id == merchant_id, c.id == connection_id)

    def get_by_shop(self, platform: StorePlatform, shop: str) -> StoreConnection | None:
        c = t.store_connections.c
        return self._one(c.platform == platform.value, c.shop == shop)

    def for_merchant(self, merchant_id: str) -> list[StoreConnection]:
        c = t.store_connections.c
        rows = self.conn.execute(
            select(t.store_connections).where(c.merchant_id == merchant_id).order_by(c.platform)
        ).mappings()
        return [self._connection(row) for row in rows]

    def add(self, connection: StoreConnection) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(t.store_connections.insert().values(**self._row(connection)))
        except IntegrityError:
            raise Conflict(
                f"{connection.shop} is already connected, or the merchant already has a "
                f"{connection.platform} store",
                field="shop",
            ) from None

    def save(self, connection: StoreConnection) -> None:
        row = self._row(connection)
        for fixed in ("id", "merchant_id", "platform", "backfill"):
            row.pop(fixed)
        c = t.store_connections.c
        self.conn.execute(
            update(t.store_connections)
            .where(c.id == connection.id, c.merchant_id == connection.merchant_id)
            .values(**row)
        )

    def save_backfill(self, connection_id: str, state: BackfillState) -> None:
        c = t.store_connections.c
        current = self.conn.execute(
            select(c.backfill).where(c.id == connection_id)
        ).scalar_one_or_none()
        states = dict(current or {})
        states[state.kind] = _backfill_doc(state)
        self.conn.execute(
            update(t.store_connections)
            .where(c.id == connection_id)
            .values(backfill=states, updated_at=state.updated_at or state.started_at)
        )

    def _one(self, *where: Any) -> StoreConnection | None:
        row = self.conn.execute(select(t.store_connections).where(*where)).mappings().first()
        return self._connection(row) if row is not None else None

    def _row(self, c: StoreConnection) -> dict[str, Any]:
        sealed = self.box.seal(json.dumps(c.credentials)) if c.credentials else None
        return {
            "id": c.id,
            "merchant_id": c.merchant_id,
            "platform": c.platform.value,
            "shop": c.shop,
            "scopes": list(c.scopes),
            "status": c.status.value,
            "settings": c.settings.as_dict(),
            "credentials": sealed,
            "backfill": {k: _backfill_doc(s) for k, s in c.backfills.items()},
            "installed_at": c.installed_at,
            "uninstalled_at": c.uninstalled_at,
            "updated_at": c.uninstalled_at or c.installed_at,
        }

    def _connection(self, row: Any) -> StoreConnection:
        sealed = row["credentials"]
        credentials = json.loads(self.box.open(sealed)) if sealed else {}
        return StoreConnection(
            id=row["id"],
            merchant_id=row["merchant_id"],
            platform=StorePlatform(row["platform"]),
            shop=row["shop"],
            scopes=tuple(row["scopes"] or ()),
            credentials=credentials,
            installed_at=row["installed_at"],
            status=ConnectionStatus(row["status"]),
            settings=ConnectionSettings.from_dict(row["settings"]),
            uninstalled_at=row["uninstalled_at"],
            backfills={k: _backfill(k, v) for k, v in (row["backfill"] or {}).items()},
        )


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _backfill_doc(s: BackfillState) -> dict[str, Any]:
    return {
        "since": _iso(s.since),
        "status": s.status.value,
        "cursor": s.cursor,
        "imported": s.imported,
        "skipped": s.skipped,
        "last_error": s.last_error,
        "started_at": _iso(s.started_at),
        "updated_at": _iso(s.updated_at),
    }


def _backfill(kind: str, doc: dict[str, Any]) -> BackfillState:
    def when(name: str) -> datetime | None:
        value = doc.get(name)
        return datetime.fromisoformat(value) if value else None

    since = doc.get("since")
    return BackfillState(
        kind=kind,
        since=date.fromisoformat(since) if since else None,
        status=BackfillStatus(doc["status"]),
        cursor=doc.get("cursor"),
        imported=int(doc.get("imported") or 0),
        skipped=int(doc.get("skipped") or 0),
        last_error=doc.get("last_error"),
        started_at=when("started_at"),
        updated_at=when("updated_at"),
    )


def reseal_connections(conn: Connection, box: SecretBox) -> int:
    """Re-seal every connection's credentials with the keyring's first key (key rotation).
    Returns how many rows changed."""
    c = t.store_connections.c
    changed = 0
    for row in conn.execute(select(c.id, c.credentials).where(c.credentials.is_not(None))).all():
        if box.needs_reseal(row.credentials):
            conn.execute(
                update(t.store_connections)
                .where(c.id == row.id)
                .values(credentials=box.reseal(row.credentials))
            )
            changed += 1
    return changed


class SqlRefundLedger:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, merchant_id: str, key: str) -> RefundAttempt | None:
        r = t.storefront_refunds.c
        row = (
            self.conn.execute(
                select(t.storefront_refunds).where(
                    r.merchant_id == merchant_id, r.idempotency_key == key
                )
            )
            .mappings()
            .first()
        )
        return _attempt(row) if row is not None else None

    def begin(self, attempt: RefundAttempt) -> bool:
        stmt = (
            upsert_insert(self.conn, t.storefront_refunds)
            .values(
                merchant_id=attempt.merchant_id,
                idempotency_key=attempt.idempotency_key,
                platform=attempt.platform,
                order_id=attempt.order_id,
                fingerprint=attempt.fingerprint,
                status=attempt.status.value,
                attempts=attempt.attempts,
                created_at=attempt.created_at,
                updated_at=attempt.updated_at,
            )
            .on_conflict_do_nothing()
            .returning(t.storefront_refunds.c.idempotency_key)
        )
        return self.conn.execute(stmt).first() is not None

    def retry(self, merchant_id: str, key: str, at: datetime) -> None:
        r = t.storefront_refunds.c
        self._set(
            merchant_id, key, status=AttemptStatus.PENDING.value, error=None, updated_at=at,
            attempts=r.attempts + 1,
        )  # fmt: skip

    def settle(self, merchant_id: str, key: str, result: RefundResult, at: datetime) -> None:
        self._set(
            merchant_id, key, status=AttemptStatus.SUCCEEDED.value, result=_result_doc(result),
            error=None, updated_at=at,
        )  # fmt: skip

    def fail(self, merchant_id: str, key: str, error: str, at: datetime) -> None:
        self._set(
            merchant_id, key, status=AttemptStatus.FAILED.value, error=error[:1000], updated_at=at
        )

    def _set(self, merchant_id: str, key: str, **values: Any) -> None:
        r = t.storefront_refunds.c
        self.conn.execute(
            update(t.storefront_refunds)
            .where(r.merchant_id == merchant_id, r.idempotency_key == key)
            .values(**values)
        )


def _result_doc(result: RefundResult) -> dict[str, Any]:
    return {
        "store_refund_id": result.store_refund_id,
        "currency": result.amount.currency,
        "amount": str(result.amount.amount),
        "shipping": str(result.shipping.amount),
        "created_at": result.created_at.isoformat(),
        "store_credit": result.store_credit,
        "lines": [
            {"line_id": x.store_line_id, "quantity": x.quantity, "amount": str(x.amount.amount)}
            for x in result.lines
        ],
    }


def _result(doc: dict[str, Any]) -> RefundResult:
    cur = doc["currency"]
    return RefundResult(
        store_refund_id=doc["store_refund_id"],
        amount=Money(Decimal(doc["amount"]), cur),
        shipping=Money(Decimal(doc["shipping"]), cur),
        created_at=datetime.fromisoformat(doc["created_at"]),
        lines=tuple(
            RefundedLine(x.get("line_id"), int(x["quantity"]), Money(Decimal(x["amount"]), cur))
            for x in doc.get("lines") or ()
        ),
        store_credit=bool(doc.get("store_credit")),
    )


def _attempt(row: Any) -> RefundAttempt:
    return RefundAttempt(
        merchant_id=row["merchant_id"],
        idempotency_key=row["idempotency_key"],
        platform=row["platform"],
        order_id=row["order_id"],
        fingerprint=row["fingerprint"],
        status=AttemptStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        attempts=row["attempts"],
        result=_result(row["result"]) if row["result"] else None,
        error=row["error"],
    )
