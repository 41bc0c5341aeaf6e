"""Labels: buying, storing and voiding shipping labels through the carrier port, address
checks before buying, and pickups. Other contexts import this package, not its modules."""

from __future__ import annotations

from postpurchase.service_layer.labels.addresses import AddressReport, validate_address
from postpurchase.service_layer.labels.ports import LabelCarriers, LabelLedger
from postpurchase.service_layer.labels.purchase import (
    STALE,
    LabelOutcome,
    buy_label,
    schedule_pickup,
    void_label,
)

__all__ = [
    "STALE",
    "AddressReport",
    "LabelCarriers",
    "LabelLedger",
    "LabelOutcome",
    "buy_label",
    "schedule_pickup",
    "validate_address",
    "void_label",
]
