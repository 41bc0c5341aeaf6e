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
    KeepIt,
    Reason,
    Resolution,
    ReturnPolicy,
    SkuCosts,
    default_policy,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.domain.returns.refunds import line_refund_cap, refund_for_quantity
from postpurchase.domain.returns.simulation import Tally

__all__ = [
    "TRANSITIONS",
    "CatalogueVariant",
    "CustomerLimit",
    "Decision",
    "Disposition",
    "Exchange",
    "ExchangeLine",
    "ExchangePlan",
    "Footprint",
    "Grade",
    "KeepIt",
    "LineRequest",
    "MethodOption",
    "MethodTerms",
    "Place",
    "PlannedLine",
    "Precision",
    "Quote",
    "QuotedLine",
    "Reason",
    "Resolution",
    "Return",
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
    "evaluate",
    "footprint",
    "held_quantities",
    "line_refund_cap",
    "options",
    "plan_exchange",
    "policy_from_dict",
    "policy_to_dict",
    "refund_for_quantity",
    "returnable_quantities",
]
