"""Estimated delivery dates: pure types, business-day maths, rules and the live re-estimate.

Three layers, each falling back to the one before: rules (``rules``) need no history, the
learned layer lives in ``postpurchase.adapters.edd`` (it needs numpy and LightGBM), and the
live layer (``live``) re-estimates from scans using whichever transit distribution the
lower layers provide.
"""

from postpurchase.domain.edd.calendar import BusinessCalendar, holiday_set, no_holidays
from postpurchase.domain.edd.live import LiveInputs, TransitQuantiles, live_estimate
from postpurchase.domain.edd.rules import (
    DEFAULT_TABLE,
    TransitDays,
    TransitTable,
    Zone,
    lane_of,
    rules_estimate,
)
from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE, Estimate, EstimateRequest, Layer

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_TABLE",
    "BusinessCalendar",
    "Estimate",
    "EstimateRequest",
    "Layer",
    "LiveInputs",
    "TransitDays",
    "TransitQuantiles",
    "TransitTable",
    "Zone",
    "holiday_set",
    "lane_of",
    "live_estimate",
    "no_holidays",
    "rules_estimate",
]
