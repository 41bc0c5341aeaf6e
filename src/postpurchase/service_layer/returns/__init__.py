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
    "RefundIssuer",
    "ReturnAsk",
    "ReturnLabels",
    "ReturnQuery",
    "Returns",
]
