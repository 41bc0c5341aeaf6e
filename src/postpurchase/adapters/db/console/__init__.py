"""The console in the database: tables, repositories, the unit of work and the read models
its pages use. Other contexts import this package only."""

from __future__ import annotations

from postpurchase.adapters.db.console.reads import overview_counts
from postpurchase.adapters.db.console.unit_of_work import SqlConsoleUnitOfWork

__all__ = ["SqlConsoleUnitOfWork", "overview_counts"]
