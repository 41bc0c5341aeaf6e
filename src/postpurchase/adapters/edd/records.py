"""The one record shape the learned layer trains on, whatever the source.

Olist CSVs, the platform's own database and test fixtures all become
``DeliveredShipmentRecord`` rows, so training, replay and the benchmarks share one path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from postpurchase.domain.addresses import Address
from postpurchase.domain.edd.types import EstimateRequest

# Olist (and the shopper-facing dates of the evaluation) live in São Paulo time.
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@dataclass(frozen=True, slots=True)
class DeliveredShipmentRecord:
    """One shipment that reached the shopper, with what was known when it was ordered.

    Times must be time-zone aware. ``handed_over_at`` is the carrier's first scan (None when
    the source never recorded it). ``extras`` are numeric order-time facts a model may use
    (``order_value``, ``freight_value``, ``items``, ``handling_deadline_days``...);
    ``quoted_promise`` is the date the store promised the shopper at the time: it scores the
    store's own promise, and a model trained with ``EngineConfig.store_promise_feature``
    also reads it as an order-time feature (it is known at purchase).
    """

    record_id: str
    ordered_at: datetime
    delivered_at: datetime
    destination_country: str
    destination_postal_code: str | None = None
    destination_region: str | None = None
    origin_country: str | None = None
    origin_postal_code: str | None = None
    origin_region: str | None = None
    origin_id: str | None = None
    carrier: str | None = None
    service: str | None = None
    weight_grams: float | None = None
    volume_cm3: float | None = None
    handed_over_at: datetime | None = None
    extras: Mapping[str, float] = field(default_factory=dict)
    quoted_promise: date | None = None

    def __post_init__(self) -> None:
        for name in ("ordered_at", "delivered_at", "handed_over_at"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{name} must be time-zone aware")
        if self.delivered_at < self.ordered_at:
            raise ValueError("delivered before it was ordered")

    def request(self, confidence: float = 0.95) -> EstimateRequest:
        """The order-time question this record answers (what the engine saw at purchase)."""
        origin = None
        if self.origin_country:
            origin = Address(self.origin_country, self.origin_postal_code, self.origin_region)
        return EstimateRequest(
            destination=Address(
                self.destination_country, self.destination_postal_code, self.destination_region
            ),
            ordered_at=self.ordered_at,
            origin=origin,
            origin_id=self.origin_id,
            carrier=self.carrier,
            service=self.service,
            weight_grams=self.weight_grams,
            volume_cm3=self.volume_cm3,
            confidence=confidence,
            extras=self.extras,
            store_promise=self.quoted_promise,
        )
