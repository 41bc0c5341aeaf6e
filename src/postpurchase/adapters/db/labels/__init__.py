"""Labels in the database: the table and the ledger (``uow.labels``). Other contexts import
this package only."""

from __future__ import annotations

from postpurchase.adapters.db.labels.ledger import SqlLabelLedger

__all__ = ["SqlLabelLedger"]
