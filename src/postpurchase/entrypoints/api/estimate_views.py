"""The estimate the tracking page shows, on the API's order and shipment views.

The very same decision (:func:`choose` and :func:`estimate_view`, with the served model) so
an integrator reading the API never sees another date than the shopper: the layer and
model version behind it, and whether (and since when) it is late.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from postpurchase.bootstrap import Platform
from postpurchase.entrypoints.api.edd_schemas import EstimateOut
from postpurchase.entrypoints.api.response_schemas import OrderOut
from postpurchase.entrypoints.web.estimates import Estimator, choose
from postpurchase.entrypoints.web.i18n import shopper_zone, translator
from postpurchase.entrypoints.web.page_models import EstimateView
from postpurchase.entrypoints.web.page_parts import estimate_view


def served(platform: Platform) -> Estimator:
    """The served estimator for a thread (it may wait for a model to load)."""
    from postpurchase.adapters.model_serving import models_for
    from postpurchase.entrypoints.web.served_estimates import ServedEstimator

    return ServedEstimator(models_for(platform.engine), wait=True)


def _out(view: EstimateView) -> EstimateOut:
    return EstimateOut(
        kind=view.kind,
        start=view.start,
        end=view.end,
        late=view.late,
        late_since=view.late_since,
        source=view.source,
        layer=view.layer,
        model=view.model,
        model_version=view.model_version,
    )


def estimate_of(
    order: Mapping[str, Any],
    shipment: Mapping[str, Any] | None,
    now: datetime,
    estimator: Estimator,
) -> EstimateOut:
    address = order.get("shipping_address") or {}
    tz = shopper_zone(order.get("timezone"), None, address.get("country"), address.get("region"))
    local = now.astimezone(tz)
    cancelled = order.get("status") == "cancelled"
    chosen = None if cancelled else choose(order, shipment, local, estimator)
    view = estimate_view(
        translator("en"),
        chosen,
        today=local.date(),
        status=shipment["status"] if shipment else None,
        substatus=shipment.get("substatus") if shipment else None,
        delivered_at=shipment.get("delivered_at") if shipment else None,
        tz=tz,
        carrier_name=None,
        status_at=shipment.get("status_at") if shipment else None,
    )
    return _out(view)


def with_estimates(out: OrderOut, order: Mapping[str, Any], platform: Platform) -> OrderOut:
    """``out`` with each shipment's estimate and the order's (our promise at purchase is
    stored, so the presenter already set it)."""
    estimator = served(platform)
    now = platform.clock.now()
    by_id = {s["id"]: s for s in order.get("shipments") or []}
    pending = []
    for s in out.shipments:
        row = by_id.get(s.id)
        if row is not None:
            s.estimate = estimate_of(order, row, now, estimator)
            if s.estimate.kind not in ("delivered", "unavailable"):
                pending.append(s.estimate)
    if not out.shipments:
        out.estimate = estimate_of(order, None, now, estimator)
    elif pending:  # the order arrives with its last parcel
        out.estimate = max(pending, key=lambda e: (e.end is not None, e.end or now.date()))
    else:
        out.estimate = out.shipments[-1].estimate
    return out
