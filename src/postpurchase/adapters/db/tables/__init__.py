"""The schema, one module per context; every name importable from here as before.

Every tenant-owned row carries ``merchant_id``; every query filters on it. The contexts
with packages of their own (console, KPIs, labels, ...) keep their tables there, on the
same metadata, imported at the end so Alembic's autogenerate sees one schema.
"""

from __future__ import annotations

from postpurchase.adapters.db.tables._base import Id, Json, metadata
from postpurchase.adapters.db.tables.carriers import (
    carrier_accounts,
    shipment_polls,
)
from postpurchase.adapters.db.tables.cluster import (
    periodic_runs,
    rate_buckets,
)
from postpurchase.adapters.db.tables.edd import (
    edd_active,
    edd_jobs,
    edd_models,
)
from postpurchase.adapters.db.tables.foundation import (
    audit_log,
    media_files,
)
from postpurchase.adapters.db.tables.notifications import (
    notification_messages,
    notification_optouts,
    ops_alerts,
    webhook_deliveries,
    webhook_endpoints,
)
from postpurchase.adapters.db.tables.queues import (
    outbox,
    webhook_inbox,
    webhook_receipts,
)
from postpurchase.adapters.db.tables.sales import (
    customers,
    order_lines,
    orders,
    refunds,
)
from postpurchase.adapters.db.tables.stores import (
    product_variants,
    products,
    store_connections,
    storefront_refunds,
)
from postpurchase.adapters.db.tables.tenants import (
    api_keys,
    merchant_secrets,
    merchants,
    publishable_keys,
)
from postpurchase.adapters.db.tables.tracking import (
    shipments,
    tracking_events,
    tracking_fold_mark,
    tracking_ratings,
    unrecognised_codes,
)

# isort: split
# The contexts' own tables, on the same metadata: imported last, since they import ``Id``,
# ``Json`` and ``metadata`` from this package.
from postpurchase.adapters.db.console import tables as console_tables  # noqa: F401
from postpurchase.adapters.db.kpis import tables as kpi_tables  # noqa: F401
from postpurchase.adapters.db.labels import tables as labels_tables  # noqa: F401
from postpurchase.adapters.db.recommendations import tables as recommendations_tables  # noqa: F401
from postpurchase.adapters.db.remedies import tables as remedies_tables  # noqa: F401
from postpurchase.adapters.db.returns import stock_tables as returns_stock_tables  # noqa: F401
from postpurchase.adapters.db.returns import tables as returns_tables  # noqa: F401
from postpurchase.adapters.db.templates import tables as templates_tables  # noqa: F401

__all__ = [
    "Id",
    "Json",
    "api_keys",
    "audit_log",
    "carrier_accounts",
    "customers",
    "edd_active",
    "edd_jobs",
    "edd_models",
    "media_files",
    "merchant_secrets",
    "merchants",
    "metadata",
    "notification_messages",
    "notification_optouts",
    "ops_alerts",
    "order_lines",
    "orders",
    "outbox",
    "periodic_runs",
    "product_variants",
    "products",
    "publishable_keys",
    "rate_buckets",
    "refunds",
    "shipment_polls",
    "shipments",
    "store_connections",
    "storefront_refunds",
    "tracking_events",
    "tracking_fold_mark",
    "tracking_ratings",
    "unrecognised_codes",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_inbox",
    "webhook_receipts",
]
