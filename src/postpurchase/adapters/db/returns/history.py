"""A customer's history with one merchant, for the instant-exchange trust rule: two counts
by e-mail (indexed: ``ix_orders_*`` by merchant, ``ix_returns_merchant_email``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.returns import tables as rt


class SqlCustomerHistory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def earlier_orders(self, merchant_id: str, email: str, before: datetime) -> int:
        """Orders placed before ``before`` (exchange orders of ours are not orders)."""
        c = t.orders.c
        q = select(func.count()).where(
            c.merchant_id == merchant_id,
            func.lower(c.email) == email.lower(),
            c.placed_at < before,
            c.source != "exchange",
        )
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def rejected_returns(self, merchant_id: str, email: str) -> int:
        c = rt.returns.c
        q = select(func.count()).where(
            c.merchant_id == merchant_id,
            c.customer_email == email.lower(),
            c.status == "rejected",
        )
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())


def store_variant_ids(engine: Engine, merchant_id: str, ids: list[str]) -> dict[str, str]:
    """Our catalogue variant ids -> the store's variant ids (``product_variants``)."""
    if not ids:
        return {}
    v = t.product_variants.c
    q = select(v.id, v.external_id).where(v.merchant_id == merchant_id, v.id.in_(ids))
    with engine.connect() as conn:
        return {str(a): str(b) for a, b in conn.execute(q)}
