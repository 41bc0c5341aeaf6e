"""The automatic remedy's use cases and ports. Others import this package, not its modules."""

from postpurchase.service_layer.remedies.ports import LedgerEntry, RefundPorts, RemedyStore
from postpurchase.service_layer.remedies.services import (
    Applied,
    apply_remedy,
    delivered_on,
    on_delivered,
    on_delivered_many,
    original_promise,
    update_rule,
)

__all__ = [
    "Applied",
    "LedgerEntry",
    "RefundPorts",
    "RemedyStore",
    "apply_remedy",
    "delivered_on",
    "on_delivered",
    "on_delivered_many",
    "original_promise",
    "update_rule",
]
