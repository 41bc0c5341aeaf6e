"""Which orders a recommendation click led to: the rule, stated once.

An order counts for a click when it is the same customer's (same e-mail, compared in lower
case), placed after the click and within the merchant's ``attribution_days``, and it
contains the product clicked; the revenue counted is what that product's lines brought in
(not the whole order). Each order is attributed once (to its latest qualifying click),
so two clicks on the same product never count one order twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ClickFact:
    click_id: str
    email: str
    product_id: str
    at: datetime
    placement: str


@dataclass(frozen=True, slots=True)
class OrderFact:
    order_id: str
    email: str
    placed_at: datetime
    revenue: Mapping[str, Decimal]  # store product id -> what its lines brought in
    currency: str


@dataclass(frozen=True, slots=True)
class Attributed:
    order_id: str
    click_id: str
    placement: str
    revenue: Decimal
    currency: str
    placed_at: datetime


def attribute(
    clicks: Sequence[ClickFact], orders: Iterable[OrderFact], days: int
) -> list[Attributed]:
    window = timedelta(days=days)
    by_email: dict[str, list[ClickFact]] = {}
    for c in clicks:
        by_email.setdefault(c.email.lower(), []).append(c)
    out: list[Attributed] = []
    for o in orders:
        eligible = [
            c
            for c in by_email.get(o.email.lower(), ())
            if c.product_id in o.revenue and c.at <= o.placed_at <= c.at + window
        ]
        if eligible:
            last = max(eligible, key=lambda c: (c.at, c.click_id))
            out.append(
                Attributed(o.order_id, last.click_id, last.placement,
                           o.revenue[last.product_id], o.currency, o.placed_at)
            )  # fmt: skip
    return out
