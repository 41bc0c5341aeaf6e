"""Recommendations in the database: the merchant's rules (the ``recommendations`` section of
the merchant's settings), the catalogue facts the engine needs, clicks, and the counts
behind the KPI (tenant-scoped: every query names the merchant).

The catalogue read is bounded so a page build stays cheap on a large catalogue: the products
bought, the manual picks, the products most often bought beside them (the top
``TOGETHER_TOP`` SKUs over the last ``HISTORY_DAYS``) and, for "same collection", the
``COLLECTION_SCAN`` most recently updated products.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select
from sqlalchemy.exc import IntegrityError

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.recommendations import tables as rt
from postpurchase.adapters.db.settings_sections import read_section, write_section
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import minor_units
from postpurchase.domain.recommendations import (
    Bought,
    Candidate,
    Catalogue,
    Click,
    ClickFact,
    OrderFact,
    RecommendationRules,
    in_stock,
    rules_from_stored,
    rules_to_dict,
)

TOGETHER_TOP = 50
HISTORY_DAYS = 365
COLLECTION_SCAN = 500
ACTIVE = (None, "active", "ACTIVE", "publish")
SECTION = "recommendations"  # the rules' key in ``merchants.settings``


class SqlRecommendationStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---- rules ------------------------------------------------------------------------------

    def rules(self, merchant_id: str) -> RecommendationRules:
        """The ``recommendations`` section of the merchant's settings (migration 0029 moved
        the rules there from their own table; ADR 0025)."""
        return rules_from_stored(read_section(self.conn, merchant_id, SECTION))

    def save_rules(self, merchant_id: str, rules: RecommendationRules, at: datetime) -> None:
        """Write the whole section into the merchant's settings, the rest left as it is."""
        write_section(self.conn, merchant_id, SECTION, rules_to_dict(rules))

    # ---- the catalogue as the engine sees it ------------------------------------------------

    def _candidates(
        self, merchant_id: str, where: Any, limit: int | None = None
    ) -> list[Candidate]:
        p, v = t.products.c, t.product_variants.c
        q = select(p.id, p.external_id, p.title, p.handle, p.image_url, p.collections, p.status)
        q = q.where(p.merchant_id == merchant_id, p.deleted_at.is_(None), where)
        if limit is not None:
            q = q.order_by(p.updated_at.desc(), p.id).limit(limit)
        rows = list(self.conn.execute(q))
        if not rows:
            return []
        variants: dict[str, list[Any]] = defaultdict(list)
        for row in self.conn.execute(
            select(v.product_id, v.sku, v.price, v.currency, v.image_url, v.inventory_policy,
                   v.inventory_quantity, v.position)
            .where(v.merchant_id == merchant_id, v.product_id.in_([r.id for r in rows]))
            .order_by(v.product_id, v.position)
        ):  # fmt: skip
            variants[row.product_id].append(row)
        out = []
        for r in rows:
            vs = variants[r.id]
            first = vs[0] if vs else None
            out.append(
                Candidate(
                    product_id=r.external_id,
                    title=r.title,
                    handle=r.handle,
                    image_url=r.image_url or (first.image_url if first else None),
                    price=Decimal(str(first.price)) if first and first.price is not None else None,
                    currency=first.currency if first else None,
                    skus=frozenset(x.sku for x in vs if x.sku),
                    collections=frozenset(r.collections or ()),
                    in_stock=in_stock([(x.inventory_policy, x.inventory_quantity) for x in vs]),
                    active=r.status in ACTIVE,
                )
            )
        return out

    def together(self, merchant_id: str, skus: frozenset[str], now: datetime) -> dict[str, int]:
        """SKU -> how many of the merchant's orders (last ``HISTORY_DAYS``) hold it beside one
        of ``skus``."""
        if not skus:
            return {}
        o, mine, other = t.orders.c, t.order_lines.alias("mine"), t.order_lines.alias("other")
        shared = func.count(func.distinct(o.id))
        q = (
            select(other.c.sku, shared.label("n"))
            .select_from(
                t.orders.join(mine, mine.c.order_id == o.id).join(
                    other, and_(other.c.order_id == o.id, other.c.sku.not_in(sorted(skus)))
                )
            )
            .where(
                o.merchant_id == merchant_id,
                o.placed_at >= now - timedelta(days=HISTORY_DAYS),
                mine.c.sku.in_(sorted(skus)),
            )
            .group_by(other.c.sku)
            .order_by(shared.desc(), other.c.sku)
            .limit(TOGETHER_TOP)
        )
        return {r.sku: int(r.n) for r in self.conn.execute(q)}

    def catalogue(
        self, merchant_id: str, bought: Bought, rules: RecommendationRules, now: datetime
    ) -> Catalogue:
        p, v = t.products.c, t.product_variants.c
        by_sku = select(v.product_id).where(v.merchant_id == merchant_id)
        found: dict[str, Candidate] = {}

        def keep(cs: Iterable[Candidate]) -> None:
            for c in cs:
                found.setdefault(c.product_id, c)

        if bought.skus:
            keep(
                self._candidates(
                    merchant_id, p.id.in_(by_sku.where(v.sku.in_(sorted(bought.skus))))
                )
            )
        if bought.product_ids:
            keep(self._candidates(merchant_id, p.external_id.in_(sorted(bought.product_ids))))
        if rules.manual_picks:
            keep(self._candidates(merchant_id, p.external_id.in_(list(rules.manual_picks))))
        together_by_product: dict[str, int] = {}
        sku_counts = self.together(merchant_id, bought.skus, now)
        if sku_counts:
            cs = self._candidates(
                merchant_id, p.id.in_(by_sku.where(v.sku.in_(sorted(sku_counts))))
            )
            keep(cs)
            for c in cs:
                together_by_product[c.product_id] = max(sku_counts.get(s, 0) for s in c.skus)
        keep(self._candidates(merchant_id, p.collections.is_not(None), limit=COLLECTION_SCAN))
        return Catalogue(tuple(found.values()), together_by_product)

    def product_url(
        self, merchant_id: str, product_id: str, rules: RecommendationRules
    ) -> str | None:
        """Where a product is sold: the merchant's ``store_url`` or its connected store's
        domain, plus the platform's product path. None when neither is known (or the product
        is gone): the redirect then goes to the tracking page instead."""
        p = t.products.c
        row = self.conn.execute(
            select(p.platform, p.handle, p.external_id)
            .where(
                p.merchant_id == merchant_id, p.external_id == product_id, p.deleted_at.is_(None)
            )
            .limit(1)
        ).first()
        if row is None:
            return None
        base = rules.store_url
        if base is None:
            c = t.store_connections.c
            shop = self.conn.execute(
                select(c.shop).where(c.merchant_id == merchant_id, c.platform == row.platform)
            ).scalar_one_or_none()
            if not shop:
                return None
            base = shop if shop.startswith("https://") else f"https://{shop.strip('/')}"
        if row.platform == "woocommerce" or not row.handle:
            return f"{base}/?p={row.external_id}"
        return f"{base}/products/{row.handle}"

    # ---- clicks and what they led to --------------------------------------------------------

    def record_click(self, click: Click, email: str | None, at: datetime) -> str:
        click_id = new_id()
        self.conn.execute(
            insert(rt.recommendation_clicks).values(
                id=click_id, merchant_id=click.merchant_id, order_id=click.order_id,
                product_id=click.product_id, placement=click.placement.value,
                email=(email or "").strip().lower() or None, clicked_at=at,
            )
        )  # fmt: skip
        return click_id

    def clicks(self, merchant_id: str, since: datetime, until: datetime) -> list[ClickFact]:
        c = rt.recommendation_clicks.c
        rows = self.conn.execute(
            select(c.id, c.email, c.product_id, c.clicked_at, c.placement)
            .where(c.merchant_id == merchant_id, c.clicked_at >= since, c.clicked_at < until)
            .order_by(c.clicked_at, c.id)
        )
        return [
            ClickFact(r.id, r.email or "", r.product_id, r.clicked_at, r.placement) for r in rows
        ]

    def orders_after(
        self, merchant_id: str, emails: set[str], since: datetime, until: datetime
    ) -> list[OrderFact]:
        """The orders of these customers placed in [since, until), with the store product ids
        their lines hold (by SKU) and what each of those products brought in."""
        if not emails:
            return []
        o, li, v, p = t.orders.c, t.order_lines.c, t.product_variants.c, t.products.c
        rows = self.conn.execute(
            select(o.id, func.lower(o.email).label("email"), o.placed_at, o.currency,
                   p.external_id, li.unit_price, li.quantity)
            .select_from(
                t.orders.join(t.order_lines, li.order_id == o.id)
                .join(t.product_variants, and_(v.merchant_id == merchant_id, v.sku == li.sku))
                .join(t.products, p.id == v.product_id)
            )
            .where(
                o.merchant_id == merchant_id, func.lower(o.email).in_(sorted(emails)),
                o.placed_at >= since, o.placed_at < until, o.status != "cancelled",
            )
        )  # fmt: skip
        acc: dict[str, dict[str, Any]] = {}
        for r in rows:
            a = acc.setdefault(
                r.id, {"email": r.email, "at": r.placed_at, "cur": r.currency, "lines": {}}
            )
            a["lines"][r.external_id] = a["lines"].get(r.external_id, Decimal(0)) + Decimal(
                str(r.unit_price)
            ) * int(r.quantity)
        return [
            OrderFact(oid, a["email"], a["at"],
                      {k: v.quantize(Decimal(1).scaleb(-minor_units(a["cur"])))
                       for k, v in a["lines"].items()}, a["cur"])
            for oid, a in acc.items()
        ]  # fmt: skip


def add_click_safely(store: SqlRecommendationStore, click: Click, email: str | None,
                     at: datetime) -> str | None:  # fmt: skip
    """Record a click; a click on an order deleted meanwhile is simply not counted."""
    try:
        return store.record_click(click, email, at)
    except IntegrityError:
        return None
