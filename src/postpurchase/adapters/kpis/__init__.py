"""KPIs from outside sources: Olist-format CSVs today (``read_olist``), and the chart.

The public face of the adapters of the KPI context; other contexts import from here only.
"""

from postpurchase.adapters.kpis.olist import (
    OlistKpiData,
    OlistKpiInputError,
    ReadReport,
    read_olist,
)

__all__ = ["OlistKpiData", "OlistKpiInputError", "ReadReport", "read_olist"]
