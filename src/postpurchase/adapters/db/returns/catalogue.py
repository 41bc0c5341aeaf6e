"""The catalogue as exchanges read it: products and variants synced from the store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from postpurchase.adapters.db import tables as t
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLine
from postpurchase.domain.returns import CatalogueVariant


def _variant(row: Any) -> CatalogueVariant:
    price = (
        Money(Decimal(str(row["price"])), row["currency"])
        if row["price"] is not None and row["currency"]
        else None
    )
    return CatalogueVariant(
        id=row["id"],
        product_id=row["product_id"],
        sku=row["sku"],
        title=f"{row['product_title']} – {row['title']}",
        price=price,
        stock=row["inventory_quantity"],
        sells_out_of_stock=row["inventory_policy"] == "continue",
        deleted=row["deleted_at"] is not None,
    )


class SqlExchangeCatalogue:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _select(self) -> Any:
        v, p = t.product_variants.c, t.products.c
        return select(
            v.id, v.product_id, v.sku, v.title, v.price, v.currency, v.inventory_quantity,
            v.inventory_policy, p.deleted_at, p.title.label("product_title"),
        ).join_from(t.product_variants, t.products, p.id == v.product_id)  # fmt: skip

    def product_of(self, merchant_id: str, line: OrderLine) -> str | None:
        p, v = t.products.c, t.product_variants.c
        if line.facts.product_id:
            found = self.conn.execute(
                select(p.id)
                .where(p.merchant_id == merchant_id, p.external_id == line.facts.product_id)
                .limit(1)
            ).scalar_one_or_none()
            if found is not None:
                return str(found)
        if not line.sku:
            return None
        found = self.conn.execute(
            select(v.product_id).where(v.merchant_id == merchant_id, v.sku == line.sku).limit(1)
        ).scalar_one_or_none()
        return str(found) if found is not None else None

    def variants(self, merchant_id: str, product_id: str) -> list[CatalogueVariant]:
        v = t.product_variants.c
        q = self._select().where(v.merchant_id == merchant_id, v.product_id == product_id)
        return [_variant(r) for r in self.conn.execute(q.order_by(v.position, v.id)).mappings()]

    def variant(self, merchant_id: str, variant_id: str) -> CatalogueVariant | None:
        v = t.product_variants.c
        row = (
            self.conn.execute(
                self._select().where(v.merchant_id == merchant_id, v.id == variant_id)
            )
            .mappings()
            .first()
        )
        return _variant(row) if row is not None else None
