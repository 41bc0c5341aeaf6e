"""Repositories: SQL Core in, domain objects out.

Explicit mapping (not ORM instrumentation) keeps the domain free of SQLAlchemy and the hot
path lean: a batch of 1,000 scans costs a handful of set-based statements. Aggregates that
are loaded or added are remembered (``seen``) and written back on flush if they changed.

The repositories live one aggregate to a module in this package; this module re-exports
them (and the shared SQL helpers) so ``from postpurchase.adapters.db.repositories import``
keeps working.
"""

from postpurchase.adapters.db.repositories.merchants import (
    SqlCustomerRepository,
    SqlMerchantRepository,
)
from postpurchase.adapters.db.repositories.orders import SqlOrderRepository
from postpurchase.adapters.db.repositories.receipts import (
    SqlCounters,
    SqlWebhookReceipts,
    outbox_rows,
    topic_of,
)
from postpurchase.adapters.db.repositories.shipments import SqlShipmentRepository
from postpurchase.adapters.db.repositories.tracking_events import (
    SqlTrackingEventStore,
    event_row,
    tracking_event,
    unfolded,
)
from postpurchase.adapters.db.sql import CHUNK, _chunks, one_of, upsert_insert

__all__ = [
    "CHUNK",
    "SqlCounters",
    "SqlCustomerRepository",
    "SqlMerchantRepository",
    "SqlOrderRepository",
    "SqlShipmentRepository",
    "SqlTrackingEventStore",
    "SqlWebhookReceipts",
    "_chunks",
    "event_row",
    "one_of",
    "outbox_rows",
    "topic_of",
    "tracking_event",
    "unfolded",
    "upsert_insert",
]
