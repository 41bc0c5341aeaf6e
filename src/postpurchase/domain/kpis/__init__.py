"""KPIs of the delivery experience: pure definitions over plain order records.

The public face of the KPI context; other contexts import from here, never from the
modules inside (an import-linter contract holds them to it). Definitions, boundaries and
what each KPI leaves out are written down in docs/kpis.md.
"""

from postpurchase.domain.kpis.delivery import (
    REPEAT_DAYS,
    Cohort,
    DeliveryCounts,
    ShipmentFacts,
    ShipmentRecord,
    lane_label,
    per_hundred,
    quantile_from_histogram,
    region_label,
    shipment_facts,
)
from postpurchase.domain.kpis.messages import VersionSums, version_kpis
from postpurchase.domain.kpis.orders import (
    KpiOrder,
    OrderState,
    Punctuality,
    click_to_door_days,
    days_late,
    punctuality,
    review_score,
)
from postpurchase.domain.kpis.promises import Accuracy, ShownPromise, accuracy
from postpurchase.domain.kpis.query import LANE, KpiQuery, bucket_start, default_range
from postpurchase.domain.kpis.repeat import (
    REPEAT_WINDOW,
    CohortMember,
    RepeatCohorts,
    first_delivered,
    repeat_cohorts,
)
from postpurchase.domain.kpis.stats import mean, mean_interval, quantile, rate, wilson_interval
from postpurchase.domain.kpis.summary import (
    LATENESS_BANDS,
    REQUIRED_KEYS,
    KpiSummary,
    MonthFigures,
    lateness_band,
    summarise,
)

__all__ = [
    "LANE",
    "LATENESS_BANDS",
    "REPEAT_DAYS",
    "REPEAT_WINDOW",
    "REQUIRED_KEYS",
    "Accuracy",
    "Cohort",
    "CohortMember",
    "DeliveryCounts",
    "KpiOrder",
    "KpiQuery",
    "KpiSummary",
    "MonthFigures",
    "OrderState",
    "Punctuality",
    "RepeatCohorts",
    "ShipmentFacts",
    "ShipmentRecord",
    "ShownPromise",
    "VersionSums",
    "accuracy",
    "bucket_start",
    "click_to_door_days",
    "days_late",
    "default_range",
    "first_delivered",
    "lane_label",
    "lateness_band",
    "mean",
    "mean_interval",
    "per_hundred",
    "punctuality",
    "quantile",
    "quantile_from_histogram",
    "rate",
    "region_label",
    "repeat_cohorts",
    "review_score",
    "shipment_facts",
    "summarise",
    "version_kpis",
    "wilson_interval",
]
