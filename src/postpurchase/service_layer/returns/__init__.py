"""The returns context's use cases and ports. Others import this package, not its modules."""

from __future__ import annotations

from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    DeliveredLine,
    IssuedMoney,
    Label,
    OrderFacts,
    RefundIssuer,
    ReturnLabels,
    ReturnQuery,
)
from postpurchase.service_layer.returns.services import (
    LedgerIssuer,
    LineAsk,
    Overview,
    ReturnAsk,
    Returns,
)

__all__ = [
    "AbstractReturnsUnitOfWork",
    "DeliveredLine",
    "IssuedMoney",
    "Label",
    "LedgerIssuer",
    "LineAsk",
    "OrderFacts",
    "Overview",
    "RefundIssuer",
    "ReturnAsk",
    "ReturnLabels",
    "ReturnQuery",
    "Returns",
]
