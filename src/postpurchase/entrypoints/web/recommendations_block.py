"""The tracking page's "You may also like" block: the products the merchant's rules choose
for this order, each behind a signed click link (``/r/{link}``).

Read with the page's own read connection and cached with it (``PAGE_TTL``), so a popular
page costs the catalogue reads once a minute, not once a view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from postpurchase.adapters.db.recommendations import SqlRecommendationStore
from postpurchase.domain.recommendations import Click, Placement, sign
from postpurchase.entrypoints.web.i18n import Translator
from postpurchase.service_layer.recommendations import for_order


@dataclass(frozen=True, slots=True)
class RecommendationCard:
    title: str
    image_url: str | None
    price: str | None
    href: str  # /r/<signed link>


def cards_for(
    conn: Connection,
    order: Mapping[str, Any],
    keys: list[bytes],
    t: Translator,
    now: datetime,
) -> tuple[RecommendationCard, ...]:
    """The cards for ``order`` (a read model row), or none: the merchant has them off, the
    order was cancelled, or nothing in the catalogue qualifies."""
    if order.get("status") == "cancelled":
        return ()
    merchant_id, order_id = order["merchant_id"], order["id"]
    found = for_order(
        SqlRecommendationStore(conn),
        merchant_id,
        [li["sku"] for li in order.get("lines") or ()],
        Placement.PAGE,
        now,
    )
    return tuple(
        RecommendationCard(
            title=r.title,
            image_url=r.image_url if r.image_url and r.image_url.startswith("https://") else None,
            price=t.money(r.price, r.currency) if r.price is not None and r.currency else None,
            href="/r/" + sign(keys, Click(merchant_id, order_id, r.product_id, Placement.PAGE)),
        )
        for r in found
    )
