"""Returns in the database: tables, the repository, the policy store, the ledger, the unit of
work. Other contexts import this package only."""

from __future__ import annotations

from postpurchase.adapters.db.returns.console_reads import (
    PolicyVersion,
    QueueFilter,
    QueueRow,
    line_names,
    policy_versions,
    returns_queue,
)
from postpurchase.adapters.db.returns.gift_credits import (
    SqlGiftCreditsUnitOfWork,
    return_gift_credits,
    sealed_gift_code,
)
from postpurchase.adapters.db.returns.history import SqlCustomerHistory, store_variant_ids
from postpurchase.adapters.db.returns.parcel_reads import open_return_ids
from postpurchase.adapters.db.returns.repository import order_by_token
from postpurchase.adapters.db.returns.unit_of_work import SqlReturnsUnitOfWork

__all__ = [
    "PolicyVersion",
    "QueueFilter",
    "QueueRow",
    "SqlCustomerHistory",
    "SqlGiftCreditsUnitOfWork",
    "SqlReturnsUnitOfWork",
    "line_names",
    "open_return_ids",
    "order_by_token",
    "policy_versions",
    "return_gift_credits",
    "returns_queue",
    "sealed_gift_code",
    "store_variant_ids",
]

# Store-side inventory ledger and mappings (issue 15, ADR 0031).
from postpurchase.adapters.db.returns.store_stock import SqlStockLedger, SqlStoreMappings

__all__ += ["SqlStockLedger", "SqlStoreMappings"]
