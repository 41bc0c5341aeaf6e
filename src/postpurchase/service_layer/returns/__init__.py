"""The returns context's use cases and ports. Others import this package, not its modules."""

from __future__ import annotations

from postpurchase.service_layer.returns.audit import (
    POLICY_SUBJECT,
    record_step,
    snapshot,
    subject_of,
)
from postpurchase.service_layer.returns.choices import Preview, to_exchange
from postpurchase.service_layer.returns.context import ExchangeAsk, LineAsk, ReturnAsk
from postpurchase.service_layer.returns.exchange_orders import (
    PlacedExchangeOrders,
    exchange_command,
)
from postpurchase.service_layer.returns.labels import ReturnLabelDesk
from postpurchase.service_layer.returns.ledger import LedgerIssuer
from postpurchase.service_layer.returns.photos import MAX_PHOTO_BYTES
from postpurchase.service_layer.returns.ports import (
    AbstractReturnsUnitOfWork,
    DeliveredLine,
    ExchangeCatalogue,
    ExchangeOrders,
    IssuedMoney,
    Label,
    OrderFacts,
    RefundIssuer,
    ReturnLabels,
    ReturnQuery,
    StoreRefunds,
)
from postpurchase.service_layer.returns.services import (
    Overview,
    Returns,
)
from postpurchase.service_layer.returns.simulate import PastRequest, ask_of, past_requests, replay
from postpurchase.service_layer.returns.store_refunds import (
    StorefrontReturnRefunds,
    refund_request,
)

__all__ = [
    "MAX_PHOTO_BYTES",
    "POLICY_SUBJECT",
    "AbstractReturnsUnitOfWork",
    "DeliveredLine",
    "ExchangeAsk",
    "ExchangeCatalogue",
    "ExchangeOrders",
    "IssuedMoney",
    "Label",
    "LedgerIssuer",
    "LineAsk",
    "OrderFacts",
    "Overview",
    "PastRequest",
    "PlacedExchangeOrders",
    "Preview",
    "RefundIssuer",
    "ReturnAsk",
    "ReturnLabelDesk",
    "ReturnLabels",
    "ReturnQuery",
    "Returns",
    "StoreRefunds",
    "StorefrontReturnRefunds",
    "ask_of",
    "exchange_command",
    "past_requests",
    "record_step",
    "refund_request",
    "replay",
    "snapshot",
    "subject_of",
    "to_exchange",
]
