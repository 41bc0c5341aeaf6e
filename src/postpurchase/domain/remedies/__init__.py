"""The automatic remedy for late deliveries: the merchant's rule and the pure decision.
Other contexts import this package only."""

from postpurchase.domain.remedies.rule import (
    MAX_GRACE_DAYS,
    Remedy,
    RemedyKind,
    RemedyRule,
    days_late,
    decide,
    rule_from_dict,
    rule_from_stored,
    rule_to_dict,
)

__all__ = [
    "MAX_GRACE_DAYS",
    "Remedy",
    "RemedyKind",
    "RemedyRule",
    "days_late",
    "decide",
    "rule_from_dict",
    "rule_from_stored",
    "rule_to_dict",
]
