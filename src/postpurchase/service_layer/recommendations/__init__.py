"""Recommendations' use cases and port. Others import this package, not its modules."""

from postpurchase.service_layer.recommendations.ports import RecommendationStore
from postpurchase.service_layer.recommendations.services import (
    LINK_PURPOSE,
    DayCount,
    Followed,
    follow,
    for_order,
    report,
    update_rules,
)

__all__ = [
    "LINK_PURPOSE",
    "DayCount",
    "Followed",
    "RecommendationStore",
    "follow",
    "for_order",
    "report",
    "update_rules",
]
