"""What the storefront contexts add to a message: recommended products behind signed,
counted links, and the merchant's late-delivery remedy rule. One short read connection of
its own; nothing here calls out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from postpurchase.adapters.db.recommendations import SqlRecommendationStore
from postpurchase.adapters.db.remedies import SqlRemedyStore
from postpurchase.domain.money import Money
from postpurchase.domain.notifications import ProductLink
from postpurchase.domain.orders import Order
from postpurchase.domain.recommendations import Click, Placement, sign
from postpurchase.service_layer.notification_ports import Personal
from postpurchase.service_layer.recommendations import for_order


class EnginePersonaliser:
    def __init__(self, engine: Engine, base_url: str, keys: list[bytes]) -> None:
        self.engine = engine
        self.base_url = base_url.rstrip("/")
        self.keys = keys

    def __call__(self, merchant_id: str, order: Order, flow: str, now: datetime) -> Personal:
        with self.engine.connect() as conn:
            rule = SqlRemedyStore(conn).rule(merchant_id)
            found = for_order(
                SqlRecommendationStore(conn), merchant_id, [li.sku for li in order.lines],
                Placement.EMAIL, now,
            )  # fmt: skip
        products = tuple(
            ProductLink(
                title=r.title,
                url=f"{self.base_url}/r/"
                + sign(self.keys, Click(merchant_id, order.id, r.product_id, Placement.EMAIL)),
                image_url=r.image_url
                if r.image_url and r.image_url.startswith("https://")
                else None,
                price=Money(r.price, r.currency) if r.price is not None and r.currency else None,
            )
            for r in found
        )
        return Personal(products=products, remedy_rule=rule)
