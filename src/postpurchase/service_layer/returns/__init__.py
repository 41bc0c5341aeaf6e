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
from postpurchase.service_layer.returns.exchanges_store import (
    StoreExchangeLine,
    StoreExchangeOrders,
    StoreExchangePort,
    StoreExchangeRequest,
    StoreExchangeResult,
    StoreReturnLine,
    exchange_request,
)
from postpurchase.service_layer.returns.gift_credits import (
    GiftCardOrder,
    GiftCardPort,
    GiftCardPorts,
    GiftCreditLedger,
    GiftCredits,
    GiftCreditsUnitOfWork,
)
from postpurchase.service_layer.returns.instant import CustomerHistory, InstantExchanges
from postpurchase.service_layer.returns.labels import ReturnLabelDesk
from postpurchase.service_layer.returns.ledger import LedgerIssuer
from postpurchase.service_layer.returns.parcel_label import ParcelLabelDesk, can_join, parcel_key
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
from postpurchase.service_layer.returns.timing import EarlyRefunds, paid_before
from postpurchase.service_layer.returns.tracking import LegState, ReturnLegs, register_leg

__all__ = [
    "MAX_PHOTO_BYTES",
    "POLICY_SUBJECT",
    "AbstractReturnsUnitOfWork",
    "CustomerHistory",
    "DeliveredLine",
    "EarlyRefunds",
    "ExchangeAsk",
    "ExchangeCatalogue",
    "ExchangeOrders",
    "GiftCardOrder",
    "GiftCardPort",
    "GiftCardPorts",
    "GiftCreditLedger",
    "GiftCredits",
    "GiftCreditsUnitOfWork",
    "InstantExchanges",
    "IssuedMoney",
    "Label",
    "LedgerIssuer",
    "LegState",
    "LineAsk",
    "OrderFacts",
    "Overview",
    "ParcelLabelDesk",
    "PastRequest",
    "PlacedExchangeOrders",
    "Preview",
    "RefundIssuer",
    "ReturnAsk",
    "ReturnLabelDesk",
    "ReturnLabels",
    "ReturnLegs",
    "ReturnQuery",
    "Returns",
    "StoreExchangeLine",
    "StoreExchangeOrders",
    "StoreExchangePort",
    "StoreExchangeRequest",
    "StoreExchangeResult",
    "StoreRefunds",
    "StoreReturnLine",
    "StorefrontReturnRefunds",
    "ask_of",
    "can_join",
    "exchange_command",
    "exchange_request",
    "paid_before",
    "parcel_key",
    "past_requests",
    "record_step",
    "refund_request",
    "register_leg",
    "replay",
    "snapshot",
    "subject_of",
    "to_exchange",
]

# The store's inventory on restock, and the store's reason definitions (issue 15, ADR 0031).
from postpurchase.service_layer.returns.store_stock import (
    Labelled,
    StockLedger,
    StockPorts,
    StockRequest,
    StockResult,
    StockUnitOfWork,
    StoreMappings,
    StoreStock,
    StoreStockPort,
    claim_store_restock,
)

__all__ += [
    "Labelled",
    "StockLedger",
    "StockPorts",
    "StockRequest",
    "StockResult",
    "StockUnitOfWork",
    "StoreMappings",
    "StoreStock",
    "StoreStockPort",
    "claim_store_restock",
]
from postpurchase.service_layer.returns.store_reasons import (  # noqa: E402
    ReasonPorts,
    ReasonsView,
    StoreReasons,
    StoreReasonsPort,
)

__all__ += ["ReasonPorts", "ReasonsView", "StoreReasons", "StoreReasonsPort"]
