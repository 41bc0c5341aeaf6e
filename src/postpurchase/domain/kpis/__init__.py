"""KPIs of the delivery experience: pure definitions over plain order records.

The public face of the KPI context; other contexts import from here, never from the
modules inside (an import-linter contract holds them to it). Definitions, boundaries and
what each KPI leaves out are written down in docs/kpis.md.
"""

from postpurchase.domain.kpis.orders import (
    KpiOrder,
    OrderState,
    Punctuality,
    click_to_door_days,
    days_late,
    punctuality,
    review_score,
)
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
    "LATENESS_BANDS",
    "REPEAT_WINDOW",
    "REQUIRED_KEYS",
    "CohortMember",
    "KpiOrder",
    "KpiSummary",
    "MonthFigures",
    "OrderState",
    "Punctuality",
    "RepeatCohorts",
    "click_to_door_days",
    "days_late",
    "first_delivered",
    "lateness_band",
    "mean",
    "mean_interval",
    "punctuality",
    "quantile",
    "rate",
    "repeat_cohorts",
    "review_score",
    "summarise",
    "wilson_interval",
]
