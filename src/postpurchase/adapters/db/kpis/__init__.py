"""The KPI and support-contact context's tables, read models and worker job (issue 14)."""
