"""Returns: a bounded context of its own (policy, money, lifecycle).

Other contexts import from this package only (``postpurchase.domain.returns``), never from
its modules: an import-linter contract in pyproject.toml keeps it so.
"""

from __future__ import annotations

from postpurchase.domain.returns.decisions import (
    Decision,
    LineRequest,
    Quote,
    QuotedLine,
    ReturnRequestContext,
    Verdict,
    evaluate,
)
from postpurchase.domain.returns.lifecycle import (
    TRANSITIONS,
    Disposition,
    Grade,
    Return,
    ReturnLine,
    ReturnStatus,
    returnable_quantities,
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

__all__ = [
    "TRANSITIONS",
    "CustomerLimit",
    "Decision",
    "Disposition",
    "Grade",
    "KeepIt",
    "LineRequest",
    "Quote",
    "QuotedLine",
    "Reason",
    "Resolution",
    "Return",
    "ReturnLine",
    "ReturnPolicy",
    "ReturnRequestContext",
    "ReturnStatus",
    "SkuCosts",
    "Verdict",
    "default_policy",
    "evaluate",
    "line_refund_cap",
    "policy_from_dict",
    "policy_to_dict",
    "refund_for_quantity",
    "returnable_quantities",
]
