"""What the recommendations use cases need from storage, as a Protocol."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postpurchase.domain.recommendations import (
    Bought,
    Catalogue,
    Click,
    ClickFact,
    OrderFact,
    RecommendationRules,
)


class RecommendationStore(Protocol):
    def rules(self, merchant_id: str) -> RecommendationRules: ...
    def save_rules(self, merchant_id: str, rules: RecommendationRules, at: datetime) -> None: ...
    def catalogue(
        self, merchant_id: str, bought: Bought, rules: RecommendationRules, now: datetime
    ) -> Catalogue: ...
    def product_url(
        self, merchant_id: str, product_id: str, rules: RecommendationRules
    ) -> str | None: ...
    def record_click(self, click: Click, email: str | None, at: datetime) -> str: ...
    def clicks(self, merchant_id: str, since: datetime, until: datetime) -> list[ClickFact]: ...
    def orders_after(
        self, merchant_id: str, emails: set[str], since: datetime, until: datetime
    ) -> list[OrderFact]: ...
