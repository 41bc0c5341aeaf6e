"""Our promise at purchase: the merchant's active model, else the rules layer, once at intake.

The same engine and the same request the tracking page uses (``request_from``), so the
promise stored on the order is the figure the page, the messages and the JSON twin show.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.edd.types import Estimate
from postpurchase.domain.orders import OurPromise
from postpurchase.service_layer.edd_serving import EngineCache, request_from

log = logging.getLogger(__name__)


def _row(cmd: PlaceOrder) -> dict[str, Any]:
    """The command as the read-model row ``request_from`` takes."""
    level = cmd.details.service_level
    return {
        "merchant_id": cmd.merchant_id,
        "shipping_address": cmd.shipping_address.as_dict(),
        "placed_at": cmd.placed_at,
        "details": {"service_level": level.value} if level is not None else {},
        "lines": [{"weight_grams": li.weight_grams, "quantity": li.quantity} for li in cmd.lines],
        # The store's own promise, known at intake: a feature for models trained with it.
        "promise_latest": cmd.promise.latest if cmd.promise else None,
    }


def rules_estimate_for(request: Any) -> Estimate:
    from postpurchase.adapters.edd.calendars import business_calendar
    from postpurchase.domain.edd.rules import rules_estimate

    dest = request.destination
    origin = request.origin or dest
    return rules_estimate(
        request,
        origin_calendar=business_calendar(origin.country, None),
        destination_calendar=business_calendar(dest.country, dest.region),
    )


class EnginePromiser:
    """``Promiser`` for ``place_order``: the active model through the process's cache."""

    def __init__(self, db: Engine, models: EngineCache | None = None) -> None:
        self.db = db
        self._models = models

    @property
    def models(self) -> EngineCache:
        if self._models is None:
            from postpurchase.adapters.model_serving import models_for

            self._models = models_for(self.db)
        return self._models

    def __call__(self, cmd: PlaceOrder) -> OurPromise | None:
        confidence = self.models.confidence_for(cmd.merchant_id)
        request = request_from(_row(cmd), None, confidence=confidence)
        active = self.models.engine_for(cmd.merchant_id)
        version = None
        if active is not None:
            try:
                est = active.engine.estimate(request)
                version = active.version
            except Exception:
                log.warning("active model failed at intake; rules instead", exc_info=True)
                est = rules_estimate_for(request)
        else:
            est = rules_estimate_for(request)
        return OurPromise(est.promise, est.p50, est.confidence, est.layer.value, est.model, version)
