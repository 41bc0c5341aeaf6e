"""Product recommendations on the tracking page and in messages: the merchant's rules, the
pure engine that applies them, signed click links and the attribution of orders to clicks.
Other contexts import this package only."""

from postpurchase.domain.recommendations.attribution import (
    Attributed,
    ClickFact,
    OrderFact,
    attribute,
)
from postpurchase.domain.recommendations.links import Click, sign, verify
from postpurchase.domain.recommendations.rules import (
    MAX_ATTRIBUTION_DAYS,
    MAX_ITEMS,
    MAX_MANUAL,
    Bought,
    Candidate,
    Catalogue,
    Placement,
    Recommendation,
    RecommendationRules,
    Strategy,
    bought_products,
    in_stock,
    parse_store_url,
    recommend,
    rules_from_dict,
    rules_from_stored,
    rules_to_dict,
)

__all__ = [
    "MAX_ATTRIBUTION_DAYS",
    "MAX_ITEMS",
    "MAX_MANUAL",
    "Attributed",
    "Bought",
    "Candidate",
    "Catalogue",
    "Click",
    "ClickFact",
    "OrderFact",
    "Placement",
    "Recommendation",
    "RecommendationRules",
    "Strategy",
    "attribute",
    "bought_products",
    "in_stock",
    "parse_store_url",
    "recommend",
    "rules_from_dict",
    "rules_from_stored",
    "rules_to_dict",
    "sign",
    "verify",
]
