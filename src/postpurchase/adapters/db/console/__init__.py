"""The console in the database: tables, repositories, the unit of work and the read models
its pages use. Other contexts import this package only."""

from __future__ import annotations

from postpurchase.adapters.db.console.attention import QueueRow, attention_count, queue
from postpurchase.adapters.db.console.detail import (
    OrderDetail,
    SentMessage,
    ShipmentDetail,
    order_detail,
    shipment_detail,
)
from postpurchase.adapters.db.console.reads import overview_counts
from postpurchase.adapters.db.console.search import OrderRow, carriers_in_use, search_orders
from postpurchase.adapters.db.console.timeline import (
    CustomerRow,
    Timeline,
    customer_timeline,
    find_customers,
)
from postpurchase.adapters.db.console.unit_of_work import SqlConsoleUnitOfWork

__all__ = [
    "CustomerRow",
    "OrderDetail",
    "OrderRow",
    "QueueRow",
    "SentMessage",
    "ShipmentDetail",
    "SqlConsoleUnitOfWork",
    "Timeline",
    "attention_count",
    "carriers_in_use",
    "customer_timeline",
    "find_customers",
    "order_detail",
    "overview_counts",
    "queue",
    "search_orders",
    "shipment_detail",
]
