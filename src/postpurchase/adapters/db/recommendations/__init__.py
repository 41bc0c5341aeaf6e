"""Recommendations in the database: tables, the rules, catalogue facts, clicks. Other
contexts import this package only."""

from postpurchase.adapters.db.recommendations.store import SECTION, SqlRecommendationStore

__all__ = ["SECTION", "SqlRecommendationStore"]
