"""The tracking page's "You may also like" block: the products the merchant's rules choose
for this order, each behind a signed click link (``/r/{link}``).

Read with the page's own read connection and cached with it (``PAGE_TTL``), so a popular
page costs the catalogue reads once a minute, not once a view. The rules come from the
merchant's settings that the page read with the merchant's profile (cached per process for
the page's freshness bound, and a change of them drops the merchant's cached pages), not from
a read of their own: that read was a fourth round trip on the event loop for every first
view, most of them for merchants with recommendations off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from postpurchase.adapters.db.recommendations import SECTION, SqlRecommendationStore
from postpurchase.domain.recommendations import (
    Click,
    Placement,
    RecommendationRules,
    rules_from_stored,
    sign,
)
from postpurchase.entrypoints.web.i18n import Translator
from postpurchase.service_layer.recommendations import for_order


@dataclass(frozen=True, slots=True)
class RecommendationCard:
    title: str
    image_url: str | None
    price: str | None
    href: str  # /r/<signed link>


_PARSED: dict[int, tuple[object, RecommendationRules]] = {}  # id(section) -> (it, its rules)


def _rules(section: object) -> RecommendationRules:
    """``rules_from_stored`` of a settings section, parsed once per settings document read
    (the cached profile hands the same object to every view until it is read again)."""
    found = _PARSED.get(id(section))
    if found is not None and found[0] is section:
        return found[1]
    if len(_PARSED) > 1_000:
        _PARSED.clear()
    rules = rules_from_stored(section)
    _PARSED[id(section)] = (section, rules)
    return rules


class _ProfileRules(SqlRecommendationStore):
    """The catalogue read on the page's connection; the rules from settings already read."""

    def __init__(self, conn: Connection, settings: Mapping[str, Any]) -> None:
        super().__init__(conn)
        self.section = settings.get(SECTION)

    def rules(self, merchant_id: str) -> RecommendationRules:
        return _rules(self.section)


def cards_for(
    conn: Connection,
    settings: Mapping[str, Any],
    order: Mapping[str, Any],
    keys: list[bytes],
    t: Translator,
    now: datetime,
) -> tuple[RecommendationCard, ...]:
    """The cards for ``order`` (a read model row), or none: the merchant has them off, the
    order was cancelled, or nothing in the catalogue qualifies. ``settings`` is the
    merchant's settings document as the page read it with the merchant's profile."""
    if order.get("status") == "cancelled":
        return ()
    merchant_id, order_id = order["merchant_id"], order["id"]
    found = for_order(
        _ProfileRules(conn, settings),
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
