"""Refunds a store made: money given back per line and for shipping.

Recorded, not decided here: the store (or, later, our returns flow through the store's
refund port) pays the refund; we keep what was paid back so the order, the support timeline
and the KPIs tell the truth about what the shopper kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, total


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_id: str | None  # our order line, None when the store's line is unknown to us
    sku: str
    quantity: int
    amount: Money
    restock: str | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    merchant_id: str
    order_id: str
    external_id: str
    created_at: datetime
    amount: Money  # what went back to the shopper in total
    shipping: Money  # of which for shipping
    lines: tuple[RefundLine, ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        currency = self.amount.currency
        if self.amount.is_negative() or self.shipping.is_negative():
            raise InvalidInput("a refund's amounts must not be negative", field="amount")
        if self.shipping.currency != currency:
            raise InvalidInput("shipping is refunded in another currency", field="shipping")
        for i, line in enumerate(self.lines):
            if line.amount.currency != currency or line.amount.is_negative():
                raise InvalidInput("must be a non-negative amount", field=f"lines[{i}].amount")
            if isinstance(line.quantity, bool) or line.quantity < 0:
                raise InvalidInput("must be a non-negative integer", field=f"lines[{i}].quantity")

    @property
    def lines_amount(self) -> Money:
        return total([line.amount for line in self.lines], self.amount.currency)


def refunded_total(refunds: list[Refund], currency: str) -> Money:
    return total([r.amount for r in refunds], currency)
