"""What happens to a return, as facts other contexts subscribe to (notifications, inventory).

Each is written to the outbox in the transaction that made it (ADR 0003), topic = class name.
Amounts are Decimal text in ``currency``.
"""

from __future__ import annotations

from dataclasses import dataclass

from postpurchase.domain.events import Event


@dataclass(frozen=True, slots=True)
class ReturnEvent(Event):
    return_id: str
    order_id: str


@dataclass(frozen=True, slots=True)
class ReturnRequested(ReturnEvent):
    verdict: str  # approved | review | refused (the policy's, before any person looked)


@dataclass(frozen=True, slots=True)
class ReturnApproved(ReturnEvent):
    automatic: bool
    gift: bool = False  # a gift return: the giver (the order's contact) is not told


@dataclass(frozen=True, slots=True)
class ReturnRejected(ReturnEvent):
    reason: str


@dataclass(frozen=True, slots=True)
class ReturnLabelIssued(ReturnEvent):
    carrier: str | None
    tracking_number: str | None
    gift: bool = False


@dataclass(frozen=True, slots=True)
class ReturnInTransit(ReturnEvent):
    pass


@dataclass(frozen=True, slots=True)
class ReturnReceived(ReturnEvent):
    gift: bool = False


@dataclass(frozen=True, slots=True)
class ReturnInspected(ReturnEvent):
    grades: tuple[tuple[str, str], ...]  # (order line id, grade)


@dataclass(frozen=True, slots=True)
class ReturnItemRestocked(ReturnEvent):
    """Inventory subscribes: ``quantity`` units of ``sku`` are sellable again, in
    ``location`` when the inspector named one (else where the store keeps returns)."""

    line_id: str
    sku: str
    quantity: int
    location: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnItemDisposed(ReturnEvent):
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReturnRefunded(ReturnEvent):
    amount: str
    currency: str
    reference: str
    gift: bool = False


@dataclass(frozen=True, slots=True)
class ReturnCredited(ReturnEvent):
    amount: str
    currency: str
    reference: str
    gift: bool = False


@dataclass(frozen=True, slots=True)
class ReturnExchanged(ReturnEvent):
    exchange_order_id: str
