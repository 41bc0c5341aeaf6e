"""What the storefront contexts add to a message: recommended products behind signed,
counted links, and the merchant's late-delivery remedy rule. One short read connection of
its own; nothing here calls out.

Within :meth:`EnginePersonaliser.batch` (a planning run, ADR 0022) each merchant's two rule
documents are read once for the run, not once per message: a run plans hundreds of
messages at one moment, and a merchant's rules are settings, not per-order data. Only a
merchant with recommendations on still costs a catalogue read per message (the products
depend on the order's lines)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine

from postpurchase.adapters.db.recommendations import SqlRecommendationStore
from postpurchase.adapters.db.remedies import SqlRemedyStore
from postpurchase.domain.money import Money
from postpurchase.domain.notifications import ProductLink
from postpurchase.domain.orders import Order
from postpurchase.domain.recommendations import (
    Click,
    Placement,
    Recommendation,
    RecommendationRules,
    sign,
)
from postpurchase.domain.remedies import RemedyRule
from postpurchase.service_layer.notification_ports import Personal
from postpurchase.service_layer.recommendations import RecommendationStore, for_order

_Rules = tuple[RemedyRule, RecommendationRules]


class _KnownRules:
    """A recommendation store whose rules were read already (the catalogue is read)."""

    def __init__(self, inner: SqlRecommendationStore, rules: RecommendationRules) -> None:
        self.inner, self._rules = inner, rules

    def rules(self, merchant_id: str) -> RecommendationRules:
        return self._rules

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class EnginePersonaliser:
    def __init__(self, engine: Engine, base_url: str, keys: list[bytes]) -> None:
        self.engine = engine
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        self._run = threading.local()  # each worker thread plans its own runs

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Read each merchant's rules once while the block runs (one planning run)."""
        self._run.rules = {}
        try:
            yield
        finally:
            self._run.rules = None

    def _rules(self, merchant_id: str) -> _Rules:
        memo: dict[str, _Rules] | None = getattr(self._run, "rules", None)
        if memo is not None and merchant_id in memo:
            return memo[merchant_id]
        with self.engine.connect() as conn:
            found = (SqlRemedyStore(conn).rule(merchant_id),
                     SqlRecommendationStore(conn).rules(merchant_id))  # fmt: skip
        if memo is not None:
            memo[merchant_id] = found
        return found

    def __call__(self, merchant_id: str, order: Order, flow: str, now: datetime) -> Personal:
        rule, rules = self._rules(merchant_id)
        found: list[Recommendation] = []
        if rules.enabled and Placement.EMAIL in rules.placements:
            with self.engine.connect() as conn:
                found = for_order(
                    cast("RecommendationStore", _KnownRules(SqlRecommendationStore(conn), rules)),
                    merchant_id,
                    [li.sku for li in order.lines], Placement.EMAIL, now,
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
