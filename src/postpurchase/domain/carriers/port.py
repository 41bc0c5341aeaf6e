"""The carrier port: every operation postpurchase asks of a carrier account.

Adapters (karrio's connectors, the simulated carrier) implement it; the service layer only
sees this. Each call does network I/O, so it is never made inside a database transaction;
each raises :class:`~postpurchase.domain.carriers.errors.CarrierError` naming the cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers.model import (
    AddressCheck,
    Label,
    LabelRequest,
    Pickup,
    PickupRequest,
    RateQuote,
    RateRequest,
    TrackBatch,
)


class CarrierGateway(Protocol):
    """One carrier account, reachable over the network."""

    carrier: str  # our slug (``ups``, ``canada_post``...)
    max_batch: int  # most tracking numbers one ``track`` call may carry
    # Whether ``buy_label`` honours ``LabelRequest.idempotency_key`` (the same key never buys
    # twice at the carrier). Without it a purchase of unknown outcome is never re-sent.
    label_keys_honoured: bool

    def track(self, numbers: Sequence[str]) -> TrackBatch:
        """Scans of up to ``max_batch`` numbers; unknown numbers come back as problems."""
        ...

    def rate(self, request: RateRequest) -> list[RateQuote]: ...

    def buy_label(self, request: LabelRequest) -> Label: ...

    def void_label(self, label: Label) -> None: ...

    def validate_address(self, address: Address) -> AddressCheck: ...

    def schedule_pickup(self, request: PickupRequest) -> Pickup: ...

    def check(self) -> None:
        """Prove the credentials work (``carriers test``); raises ``CarrierError``."""
        ...
