"""What the remedy use cases need: the rule and ledger store, and a way to reach the
refund port of the store an order came from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from postpurchase.domain.remedies import Remedy, RemedyRule
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.service_layer.storefronts.ports import StorefrontRefunds


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str
    merchant_id: str
    order_id: str
    order_number: str | None
    shipment_id: str | None
    kind: str
    amount: Decimal
    currency: str
    days_late: int
    promised: date
    status: str  # pending | issued | recorded | failed
    reference: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime


class RemedyStore(Protocol):
    def rule(self, merchant_id: str) -> RemedyRule: ...
    def save_rule(self, merchant_id: str, rule: RemedyRule, at: datetime) -> None: ...
    def get(self, merchant_id: str, order_id: str) -> LedgerEntry | None: ...
    def get_many(self, merchant_id: str, order_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        """The ledger rows of those orders that have one, by order id (one statement)."""
        ...

    def begin(
        self, merchant_id: str, order_id: str, shipment_id: str | None, remedy: Remedy,
        at: datetime,
    ) -> LedgerEntry | None: ...  # fmt: skip
    def settle(
        self, merchant_id: str, order_id: str, status: str, reference: str | None,
        error: str | None, at: datetime,
    ) -> None: ...  # fmt: skip


# The store platform's refund port, opened for one use (an HTTP client inside), or None
# when the platform has none.
RefundPorts = Callable[[StorePlatform], AbstractContextManager[StorefrontRefunds] | None]
