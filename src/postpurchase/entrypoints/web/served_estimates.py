"""The estimator every surface serves: the merchant's active model, else the rules layer.

Installed as ``app.state.delivery_estimator`` (the tracking page and its JSON twin), and used
by the API's order and shipment views, so a page and the API never disagree. The model comes
from the process's :class:`EngineCache` (``adapters.model_serving.models_for``): a model
trained or activated in any process is served here within the page's freshness bound, with
no restart. The tracking page hands over the active version it read with the order
(``order["edd_model"]``), so checking it costs nothing; while this process loads a new model
(seconds) the page keeps the previous answer and is not cached (:meth:`warming`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from postpurchase.domain.edd.types import Layer
from postpurchase.domain.errors import DomainError
from postpurchase.entrypoints.web.estimates import (
    EngineEstimate,
    _rules_and_live,
    tracking_state,
)
from postpurchase.service_layer.edd_serving import EngineCache, request_from

log = logging.getLogger(__name__)
STAMP = "edd_model"  # key of the active version on an order row read with it (the page)


class ServedEstimator:
    """(order, shipment, now) -> the active model's estimate, or the rules layer's."""

    def __init__(self, models: EngineCache, *, wait: bool = False) -> None:
        self.models = models
        self.wait = wait  # False on the event loop (the page); True in threads (the API)

    def _active(self, order: Mapping[str, Any]) -> Any:
        merchant_id = order.get("merchant_id")
        if not merchant_id:
            return None
        if STAMP in order:
            return self.models.engine_for(merchant_id, stamp=order[STAMP], wait=self.wait)
        return self.models.engine_for(merchant_id, wait=self.wait)

    def may_be_confident(self, order: Mapping[str, Any]) -> bool:
        """Only a learned model may outrank the carrier's own date."""
        return self._active(order) is not None

    def warming(self, merchant_id: str) -> bool:
        return self.models.warming(merchant_id)

    def __call__(
        self, order: Mapping[str, Any], shipment: Mapping[str, Any] | None, now: datetime
    ) -> EngineEstimate | None:
        active = self._active(order)
        merchant_id = order.get("merchant_id")
        confidence = self.models.confidence_for(merchant_id) if merchant_id else None
        if active is None:
            return _rules_and_live(order, shipment, now, confidence)
        try:
            request = request_from(order, shipment, confidence=confidence)
            purchase = active.engine.estimate(request)
            est = purchase
            if shipment is not None:
                est = active.engine.live(request, tracking_state(shipment), now, purchase)
        except (DomainError, KeyError, TypeError, ValueError):
            log.warning("delivery-date model could not estimate; rules instead", exc_info=True)
            return _rules_and_live(order, shipment, now, confidence)
        confident = est.reason is None and est.layer is not Layer.RULES
        return EngineEstimate(
            est.p50, est.promise, confident, est.model, est.layer.value, active.version
        )
