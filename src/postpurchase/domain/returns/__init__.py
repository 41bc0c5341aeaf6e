"""Returns: a bounded context of its own (policy, money, lifecycle).

Other contexts import from this package only (``postpurchase.domain.returns``), never from
its modules: an import-linter contract in pyproject.toml keeps it so.
"""

from __future__ import annotations

from postpurchase.domain.returns.analytics import ReturnsAnalytics, SkuRate, analyse
from postpurchase.domain.returns.decisions import (
    Decision,
    LineRequest,
    Quote,
    QuotedLine,
    ReturnRequestContext,
    Verdict,
    evaluate,
)
from postpurchase.domain.returns.exchanges import (
    CatalogueVariant,
    ExchangePlan,
    PlannedLine,
    plan_exchange,
)
from postpurchase.domain.returns.geo import Place, distance
from postpurchase.domain.returns.gift_credit import (
    GiftCredit,
    GiftCreditKind,
    GiftCreditStatus,
    ReturnGiftCreditIssued,
    new_gift_code,
    shown_code,
)
from postpurchase.domain.returns.instant import instant_exchange
from postpurchase.domain.returns.lifecycle import (
    TRANSITIONS,
    Disposition,
    Exchange,
    ExchangeLine,
    Grade,
    Return,
    ReturnLine,
    ReturnStatus,
    held_quantities,
    returnable_quantities,
)
from postpurchase.domain.returns.methods import (
    Footprint,
    MethodOption,
    MethodTerms,
    Precision,
    ReturnMethod,
    footprint,
    options,
)
from postpurchase.domain.returns.policy import (
    CustomerLimit,
    InstantExchange,
    KeepIt,
    PortalLabel,
    Reason,
    RefundTiming,
    Resolution,
    ReturnPolicy,
    SkuCosts,
    default_policy,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.domain.returns.refunds import (
    exchange_line_cap,
    line_refund_cap,
    refund_for_quantity,
)
from postpurchase.domain.returns.simulation import Tally
from postpurchase.domain.returns.timing import (
    PAID_EVENTS,
    RefundDeadline,
    due_early,
    pays_early,
    record_paid_early,
    statutory_refund_deadline,
)

__all__ = [
    "PAID_EVENTS",
    "TRANSITIONS",
    "CatalogueVariant",
    "CustomerLimit",
    "Decision",
    "Disposition",
    "Exchange",
    "ExchangeLine",
    "ExchangePlan",
    "Footprint",
    "GiftCredit",
    "GiftCreditKind",
    "GiftCreditStatus",
    "Grade",
    "InstantExchange",
    "KeepIt",
    "LineRequest",
    "MethodOption",
    "MethodTerms",
    "Place",
    "PlannedLine",
    "PortalLabel",
    "Precision",
    "Quote",
    "QuotedLine",
    "Reason",
    "RefundDeadline",
    "RefundTiming",
    "Resolution",
    "Return",
    "ReturnGiftCreditIssued",
    "ReturnLine",
    "ReturnMethod",
    "ReturnPolicy",
    "ReturnRequestContext",
    "ReturnStatus",
    "ReturnsAnalytics",
    "SkuCosts",
    "SkuRate",
    "Tally",
    "Verdict",
    "analyse",
    "default_policy",
    "distance",
    "due_early",
    "evaluate",
    "exchange_line_cap",
    "footprint",
    "held_quantities",
    "instant_exchange",
    "line_refund_cap",
    "new_gift_code",
    "options",
    "pays_early",
    "plan_exchange",
    "policy_from_dict",
    "policy_to_dict",
    "record_paid_early",
    "refund_for_quantity",
    "returnable_quantities",
    "shown_code",
    "statutory_refund_deadline",
]

# Store-side inventory and reasons (issue 15): a block of its own to ease merging.
from postpurchase.domain.returns.store_reasons import (
    MappedReason,
    ReasonDefinition,
    legacy_reason,
    map_reason,
    uses_definitions,
)
from postpurchase.domain.returns.store_stock import (
    RESTOCK,
    StockAdjustment,
    StockOwner,
    StockReason,
    StockStatus,
    idempotency_key,
    reference_uri,
)

__all__ += [
    "RESTOCK",
    "MappedReason",
    "ReasonDefinition",
    "StockAdjustment",
    "StockOwner",
    "StockReason",
    "StockStatus",
    "idempotency_key",
    "legacy_reason",
    "map_reason",
    "reference_uri",
    "uses_definitions",
]
