"""Merchants (and their API keys) and customers: the two small directories of the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.domain.ids import new_id
from postpurchase.domain.merchants import Merchant

# --------------------------------------------------------------------------- merchants


class SqlMerchantRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, m: Merchant) -> None:
        self.conn.execute(insert(t.merchants).values(**_merchant_row(m)))

    def _one(self, where: Any) -> Merchant | None:
        row = self.conn.execute(select(t.merchants).where(where)).mappings().first()
        return _merchant(row) if row else None

    def get(self, merchant_id: str) -> Merchant | None:
        return self._one(t.merchants.c.id == merchant_id)

    def get_by_slug(self, slug: str) -> Merchant | None:
        return self._one(t.merchants.c.slug == slug)

    def get_by_api_key_hash(self, key_hash: str) -> Merchant | None:
        row = (
            self.conn.execute(
                select(t.merchants)
                .join(t.api_keys, t.api_keys.c.merchant_id == t.merchants.c.id)
                .where(t.api_keys.c.key_hash == key_hash, t.api_keys.c.revoked_at.is_(None))
            )
            .mappings()
            .first()
        )
        return _merchant(row) if row else None

    def add_api_key(self, merchant_id: str, key_hash: str, label: str, at: datetime) -> None:
        self.conn.execute(
            insert(t.api_keys).values(
                key_hash=key_hash, merchant_id=merchant_id, label=label, created_at=at
            )
        )

    def update(self, m: Merchant) -> None:
        row = _merchant_row(m)
        row.pop("id")
        self.conn.execute(update(t.merchants).where(t.merchants.c.id == m.id).values(**row))


def _merchant_row(m: Merchant) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "slug": m.slug,
        "timezone": m.timezone,
        "locale": m.locale,
        "settings": m.settings,
        "created_at": m.created_at,
    }


def _merchant(r: Any) -> Merchant:
    return Merchant(
        id=r["id"],
        name=r["name"],
        slug=r["slug"],
        created_at=r["created_at"],
        timezone=r["timezone"],
        locale=r["locale"],
        settings=dict(r["settings"] or {}),
    )


# --------------------------------------------------------------------------- customers


class SqlCustomerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find_or_create(
        self,
        merchant_id: str,
        *,
        email: str | None,
        phone: str | None,
        name: str | None,
        locale: str,
        at: datetime,
    ) -> str | None:
        email = email.strip().lower() if email else None
        if not email and not phone:
            return None
        c = t.customers.c
        where = c.email == email if email else c.phone == phone
        found = self.conn.execute(
            select(c.id).where(c.merchant_id == merchant_id, where).limit(1)
        ).scalar()
        if found:
            return str(found)
        cid = new_id()
        self.conn.execute(
            insert(t.customers).values(
                id=cid, merchant_id=merchant_id, email=email, phone=phone, name=name,
                locale=locale, created_at=at,
            )
        )  # fmt: skip
        return cid
