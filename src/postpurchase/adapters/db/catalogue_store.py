"""The store's catalogue in the database, and the reads of it (tenant-scoped)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, func, select, union, update

from postpurchase.adapters.db import tables as t
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import minor_units
from postpurchase.domain.storefronts.catalogue import Product


class SqlCatalogue:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def upsert(self, merchant_id: str, product: Product, at: datetime) -> bool:
        p = t.products.c
        held = self.conn.execute(
            select(p.id, p.source_updated_at, p.collections).where(
                p.merchant_id == merchant_id,
                p.platform == product.platform,
                p.external_id == product.external_id,
            )
        ).first()
        if (
            held is not None
            and held.source_updated_at is not None
            and product.source_updated_at is not None
            and product.source_updated_at < held.source_updated_at
        ):
            return False  # an older snapshot than what we hold (deliveries cross)
        collections = product.collections
        if collections is None:
            collections = tuple(held.collections) if held is not None else ()
        values: dict[str, Any] = {
            "gid": product.gid,
            "title": product.title[:500],
            "handle": product.handle,
            "status": product.status,
            "vendor": product.vendor,
            "product_type": product.product_type,
            "image_url": product.image_url,
            "tags": list(product.tags),
            "collections": list(collections),
            "source_updated_at": product.source_updated_at,
            "deleted_at": None,
            "updated_at": at,
        }
        if held is None:
            product_id = new_id()
            self.conn.execute(
                t.products.insert().values(
                    id=product_id, merchant_id=merchant_id, platform=product.platform,
                    external_id=product.external_id, **values,
                )
            )  # fmt: skip
        else:
            product_id = held.id
            self.conn.execute(update(t.products).where(p.id == product_id).values(**values))
            self.conn.execute(
                delete(t.product_variants).where(t.product_variants.c.product_id == product_id)
            )
        if product.variants:
            self.conn.execute(
                t.product_variants.insert(),
                [
                    {
                        "id": new_id(),
                        "product_id": product_id,
                        "merchant_id": merchant_id,
                        "external_id": v.external_id,
                        "gid": v.gid,
                        "position": v.position,
                        "title": v.title[:500],
                        "sku": v.sku,
                        "price": v.price_amount,
                        "currency": v.currency,
                        "image_url": v.image_url,
                        "inventory_policy": v.inventory_policy,
                        "inventory_quantity": v.inventory_quantity,
                    }
                    for v in product.variants
                ],
            )
        return True

    def remove(self, merchant_id: str, platform: str, external_id: str, at: datetime) -> bool:
        p = t.products.c
        done = self.conn.execute(
            update(t.products)
            .where(
                p.merchant_id == merchant_id,
                p.platform == platform,
                p.external_id == external_id,
                p.deleted_at.is_(None),
            )
            .values(deleted_at=at, updated_at=at)
        )
        return bool(done.rowcount)


class SqlShopData:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def customer_emails(self, merchant_id: str) -> list[str]:
        o, c = t.orders.c, t.customers.c
        q = union(
            select(func.lower(o.email).label("email")).where(
                o.merchant_id == merchant_id, o.email.is_not(None)
            ),
            select(func.lower(c.email).label("email")).where(
                c.merchant_id == merchant_id, c.email.is_not(None)
            ),
        )
        return sorted({r.email for r in self.conn.execute(q) if r.email and "@" in r.email})


def _amount(value: Any, currency: str | None) -> str | None:
    """As the store wrote it: PostgreSQL's NUMERIC gives 19.990000, the currency has 2."""
    if value is None:
        return None
    amount = Decimal(str(value))
    quantum = Decimal(1).scaleb(-minor_units(currency or "USD"))
    exact = amount.quantize(quantum)
    return str(exact if exact == amount else amount.normalize())


def _variant(row: Any) -> dict[str, Any]:
    return {
        "id": row["external_id"],
        "gid": row["gid"],
        "title": row["title"],
        "sku": row["sku"],
        "price": _amount(row["price"], row["currency"]),
        "currency": row["currency"],
        "image_url": row["image_url"],
        "inventory_policy": row["inventory_policy"],
        "inventory_quantity": row["inventory_quantity"],
        "position": row["position"],
    }


def list_products(
    conn: Connection,
    merchant_id: str,
    *,
    limit: int = 50,
    after: str | None = None,
    sku: str | None = None,
    include_deleted: bool = False,
) -> dict[str, Any]:
    """A page of the merchant's products with their variants, oldest first (``after``: the
    last product id of the previous page)."""
    p, v = t.products.c, t.product_variants.c
    q = select(t.products).where(p.merchant_id == merchant_id)
    if not include_deleted:
        q = q.where(p.deleted_at.is_(None))
    if after:
        q = q.where(p.id > after)
    if sku:
        with_sku = select(v.product_id).where(v.merchant_id == merchant_id, v.sku == sku)
        q = q.where(p.id.in_(with_sku))
    rows = list(conn.execute(q.order_by(p.id).limit(limit + 1)).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r["id"] for r in rows]
    variants: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for row in conn.execute(
            select(t.product_variants)
            .where(v.product_id.in_(ids), v.merchant_id == merchant_id)
            .order_by(v.product_id, v.position, v.external_id)
        ).mappings():
            variants[row["product_id"]].append(_variant(row))
    items = [
        {
            "id": r["id"],
            "platform": r["platform"],
            "external_id": r["external_id"],
            "gid": r["gid"],
            "title": r["title"],
            "handle": r["handle"],
            "status": r["status"],
            "vendor": r["vendor"],
            "product_type": r["product_type"],
            "image_url": r["image_url"],
            "tags": list(r["tags"] or ()),
            "collections": list(r["collections"] or ()),
            "updated_at": r["updated_at"].isoformat(),
            "deleted_at": r["deleted_at"].isoformat() if r["deleted_at"] else None,
            "variants": variants[r["id"]],
        }
        for r in rows
    ]
    return {"items": items, "next_after": ids[-1] if more and ids else None}
