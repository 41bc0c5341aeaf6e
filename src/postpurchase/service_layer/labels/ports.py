"""Ports of the labels context: the label ledger (in the unit of work as ``uow.labels``)
and the carriers a merchant has accounts at."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postpurchase.domain.carriers import CarrierGateway
from postpurchase.domain.labels import LabelRecord


class LabelLedger(Protocol):
    """Label purchases keyed by (merchant, idempotency key): written ``pending`` before the
    carrier is called, settled after."""

    def get(self, merchant_id: str, key: str) -> LabelRecord | None: ...
    def by_id(self, merchant_id: str, label_id: str) -> LabelRecord | None: ...
    def for_order(self, merchant_id: str, order_id: str) -> list[LabelRecord]: ...

    def begin(self, record: LabelRecord) -> bool:
        """Insert the pending row; False when the key exists (another caller won)."""
        ...

    def update(self, record: LabelRecord) -> None:
        """Write the row's status and what the carrier answered."""
        ...

    def track_now(self, merchant_id: str, shipment_id: str, account_id: str, at: datetime) -> None:
        """Make the shipment due for polling at ``at`` (no wait for the next enrolment)."""
        ...

    def stop_tracking(self, shipment_id: str, at: datetime, reason: str) -> None: ...


class LabelCarriers(Protocol):
    """The merchant's carrier accounts as gateways (reads its own short transaction; building
    a gateway makes no network call)."""

    def gateway(self, merchant_id: str, carrier: str) -> tuple[CarrierGateway, str]:
        """(gateway, account id); raises ``NotFound`` naming ``carrier`` without an account."""
        ...
