"""Recommendations' use cases: change the rules (audited), choose products for an order,
follow a click link, count what clicks led to.

Choosing is a read (the tracking page and the message planner call it inside their own
reads); the rules change and the click are short writes. Nothing here calls out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from postpurchase.domain.errors import NotFound
from postpurchase.domain.recommendations import (
    Attributed,
    Bought,
    Click,
    Placement,
    Recommendation,
    RecommendationRules,
    attribute,
    recommend,
    rules_from_dict,
    rules_to_dict,
    verify,
)
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.recommendations.ports import RecommendationStore

if TYPE_CHECKING:  # the unit of work imports this package's ports
    from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

LINK_PURPOSE = "recommendation-links"


def update_rules(
    uow: AbstractUnitOfWork, clock: Clock, merchant_id: str, patch: Mapping[str, Any], actor: str
) -> RecommendationRules:
    """Merge ``patch`` into the merchant's rules (validated: unknown keys are refused) and
    audit the change in the same transaction."""
    # Imported here: service_layer.audit imports the unit of work, which imports our ports.
    from postpurchase.service_layer.audit import record_change

    with uow:
        before = uow.recommendations.rules(merchant_id)
        after = rules_from_dict(patch, before)
        old, new = rules_to_dict(before), rules_to_dict(after)
        if old != new:
            now = clock.now()
            uow.recommendations.save_rules(merchant_id, after, now)
            record_change(
                uow,
                merchant_id,
                actor=actor,
                action="recommendations.update",
                subject="recommendations",
                at=now,
                before=old,
                after=new,
            )
            uow.commit()
    return after


def for_order(
    store: RecommendationStore,
    merchant_id: str,
    skus: Iterable[str],
    placement: Placement,
    now: datetime,
) -> list[Recommendation]:
    """The products to show with one order in ``placement`` (none when the merchant has
    not turned recommendations on there)."""
    rules = store.rules(merchant_id)
    if not rules.enabled or placement not in rules.placements:
        return []
    bought = Bought(frozenset(s for s in skus if s))
    return recommend(rules, bought, store.catalogue(merchant_id, bought, rules, now))


@dataclass(frozen=True, slots=True)
class Followed:
    click: Click
    url: str | None  # None: the product is gone or the shop's address is unknown


def follow(uow: AbstractUnitOfWork, clock: Clock, keys: list[bytes], token: str) -> Followed:
    """Record a click on a signed link and say where it leads (``InvalidInput`` for a link
    that is not ours, ``NotFound`` for one whose order no longer exists)."""
    click = verify(keys, token)
    with uow:
        order = uow.orders.get(click.merchant_id, click.order_id)
        if order is None:
            raise NotFound("no such order", field="link")
        store = uow.recommendations
        url = store.product_url(click.merchant_id, click.product_id, store.rules(click.merchant_id))
        store.record_click(click, order.email, clock.now())
        uow.commit()
    return Followed(click, url)


@dataclass(frozen=True, slots=True)
class DayCount:
    day: str
    clicks: int
    orders: int
    revenue: dict[str, Decimal]  # currency -> revenue of the recommended products


def report(
    store: RecommendationStore,
    merchant_id: str,
    since: datetime,
    until: datetime,
    placement: Placement | None = None,
) -> tuple[list[DayCount], list[Attributed], int]:
    """Per day: clicks, the orders they led to and the revenue of the products clicked
    (only clicks from ``placement`` when given: the tracking page's own revenue). Orders are
    counted on the day they were placed."""
    rules = store.rules(merchant_id)
    window = timedelta(days=rules.attribution_days)
    clicks = [
        c
        for c in store.clicks(merchant_id, since, until)
        if placement is None or c.placement == placement.value
    ]
    emails = {c.email for c in clicks if c.email}
    orders = store.orders_after(merchant_id, emails, since, until + window)
    won = [a for a in attribute(clicks, orders, rules.attribution_days) if a.placed_at < until]
    days: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"clicks": 0, "orders": 0, "revenue": defaultdict(Decimal)}
    )
    for c in clicks:
        days[c.at.date().isoformat()]["clicks"] += 1
    for a in won:
        d = days[a.placed_at.date().isoformat()]
        d["orders"] += 1
        d["revenue"][a.currency] += a.revenue
    series = [
        DayCount(day, v["clicks"], v["orders"], dict(v["revenue"]))
        for day, v in sorted(days.items())
    ]
    return series, won, len(clicks)
