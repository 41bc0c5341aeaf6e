"""Shipping labels: what was asked to be bought, the ledger that makes buying idempotent,
customs declarations and the carriers' parcel limits. Pure: no I/O.

Other contexts import this package, not its modules.
"""

from __future__ import annotations

from postpurchase.domain.carriers.customs import (
    ContentType,
    Customs,
    CustomsItem,
    needs_customs,
)
from postpurchase.domain.labels.model import (
    LABELLESS_DROP_OFF,
    PARCEL_LIMITS,
    LabelPurchase,
    LabelRecord,
    LabelStatus,
    ParcelLimit,
    check_parcels,
)

__all__ = [
    "LABELLESS_DROP_OFF",
    "PARCEL_LIMITS",
    "ContentType",
    "Customs",
    "CustomsItem",
    "LabelPurchase",
    "LabelRecord",
    "LabelStatus",
    "ParcelLimit",
    "check_parcels",
    "needs_customs",
]
