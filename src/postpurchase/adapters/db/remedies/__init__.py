"""Remedies in the database: tables, the rule and ledger store, and the reads for the
customer timeline and the KPI. Other contexts import this package only."""

from postpurchase.adapters.db.remedies.store import (
    SqlRemedyStore,
    ledger_page,
    remedies_for_customer,
    remedy_counts,
)

__all__ = ["SqlRemedyStore", "ledger_page", "remedies_for_customer", "remedy_counts"]
