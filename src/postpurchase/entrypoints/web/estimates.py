"""Which delivery date the shopper sees, and where it came from.

Sources, best first: the delivery-date engine when it is confident (a learned model, no
fallback reason), the carrier's own estimate from its scans, the promise made at checkout,
and last the engine's rough answer (the rules layer alone is a generic transit table, so a
carrier's date or the shop's promise beats it; it is shown as a window and called rough).
A parcel that is lost, damaged, refused, returned or silent for weeks gets no date at all:
an honest "we don't know" beats a date we know to be wrong.

The engine is reached through :data:`Estimator`, a plain callable, so the delivery-date work
can plug its learned model in (``app.state.delivery_estimator``) without this module knowing
how it is built. The default glues the engine's public rules and live layers together and is
imported lazily: a missing or failing engine costs the page its best date, never the page.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import DomainError
from postpurchase.domain.order_details import ServiceLevel, estimate_service
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import Location, TrackingState

log = logging.getLogger(__name__)

NO_DATE_SUBSTATUSES = frozenset(
    {Substatus.LOST, Substatus.DAMAGED, Substatus.RETURNED_TO_SENDER, Substatus.REFUSED}
)


@dataclass(frozen=True, slots=True)
class EngineEstimate:
    """What the page needs of the engine's ``Estimate``: a likely date, a latest date, and
    whether it is confident (learned and calibrated) or rough (rules or a fallback)."""

    likely: date
    latest: date
    confident: bool
    model: str
    layer: str = "rules"  # rules | learned | live: the engine layer that answered
    model_version: int | None = None  # the merchant's registry version, when a model did


# (order row, shipment row or None, now in the shopper's zone) -> estimate or None
Estimator = Callable[[Mapping[str, Any], Mapping[str, Any] | None, datetime], EngineEstimate | None]


@dataclass(frozen=True, slots=True)
class Chosen:
    """The date (or window) to show and its source: engine, carrier, promise or rough."""

    start: date
    end: date
    source: str
    # Who answered: an engine layer (rules | learned | live), "carrier" or "store".
    layer: str | None = None
    model: str | None = None
    model_version: int | None = None
    late_since: date | None = None  # the first day past an earlier date that was not kept


def _of(engine: EngineEstimate, source: str, late_since: date | None = None) -> Chosen:
    return Chosen(
        engine.likely, engine.latest, source, engine.layer, engine.model, engine.model_version,
        late_since,
    )  # fmt: skip


def tracking_state(row: Mapping[str, Any]) -> TrackingState:
    """The domain's view of a stored shipment, for the live estimate."""
    loc = row.get("last_location")
    return TrackingState(
        status=ShipmentStatus(row["status"]),
        substatus=row.get("substatus"),
        status_at=row.get("status_at"),
        last_event_at=row.get("last_event_at"),
        last_scan_at=row.get("last_scan_at"),
        handed_over_at=row.get("handed_over_at"),
        delivered_at=row.get("delivered_at"),
        carrier_estimate=row.get("carrier_estimate"),
        last_location=Location(**loc) if isinstance(loc, dict) else None,
        event_count=row.get("event_count") or 0,
    )


class RulesEstimator:
    """The default: the engine's rules layer at purchase, re-estimated by its live layer.

    Built on generic transit tables, it is never confident (``may_be_confident``), so
    :func:`choose` asks it only when neither the carrier nor the checkout promise has a date.
    """

    may_be_confident = False

    def __call__(
        self, order: Mapping[str, Any], shipment: Mapping[str, Any] | None, now: datetime
    ) -> EngineEstimate | None:
        return _rules_and_live(order, shipment, now)


engine_estimator = RulesEstimator()


def _service_level(details: Mapping[str, Any] | None) -> ServiceLevel | None:
    raw = str((details or {}).get("service_level"))
    return ServiceLevel(raw) if raw in ServiceLevel._value2member_map_ else None


def _rules_and_live(
    order: Mapping[str, Any],
    shipment: Mapping[str, Any] | None,
    now: datetime,
    confidence: float | None = None,
) -> EngineEstimate | None:
    try:
        from postpurchase.adapters.edd.calendars import business_calendar
        from postpurchase.domain import edd
        from postpurchase.domain.edd.rules import hand_over_date
    except ImportError:  # pragma: no cover - the engine is part of the package today
        return None
    try:
        destination = Address.from_dict(order["shipping_address"])
        origin_raw = shipment.get("origin") if shipment else None
        origin = Address.from_dict(origin_raw) if isinstance(origin_raw, dict) else None
        origin_cal = business_calendar((origin or destination).country, None)
        dest_cal = business_calendar(destination.country, destination.region)
        request = edd.EstimateRequest(
            destination=destination,
            ordered_at=order["placed_at"].astimezone(now.tzinfo),
            origin=origin,
            carrier=shipment.get("carrier") if shipment else None,
            service=estimate_service(
                shipment.get("service") if shipment else None,
                _service_level(order.get("details")),
            ),
            confidence=edd.DEFAULT_CONFIDENCE if confidence is None else confidence,
        )
        purchase = edd.rules_estimate(
            request, origin_calendar=origin_cal, destination_calendar=dest_cal
        )
        if shipment is None:
            return EngineEstimate(purchase.p50, purchase.promise, False, purchase.model, "rules")
        handover, _ = hand_over_date(request.ordered_at, request, origin_cal)
        points = (
            (0.1, (purchase.p10 - handover).days),
            (0.5, (purchase.p50 - handover).days),
            (0.9, (purchase.p90 - handover).days),
            (purchase.confidence, (purchase.promise - handover).days),
        )
        transit = edd.TransitQuantiles.from_values(
            [p for p, _ in points], [max(0, d) for _, d in points], purchase.model
        )
        inputs = edd.LiveInputs(
            transit=transit,
            confidence=purchase.confidence,
            calendar=dest_cal,
            destination_region=destination.region,
        )
        live = edd.live_estimate(tracking_state(shipment), now, inputs, purchase)
        # Built on the rules table, so never "confident", however clean the lane.
        return EngineEstimate(live.p50, live.promise, False, live.model, "rules")
    except (DomainError, KeyError, TypeError, ValueError):
        log.warning("delivery-date engine could not estimate", exc_info=True)
        return None


def _stamp(estimate: Any) -> tuple[str | None, str | None, int | None]:
    """(layer, model, model version) of our promise at purchase, as stored on the order."""
    if not isinstance(estimate, Mapping):
        return None, None, None
    version = estimate.get("model_version")
    return estimate.get("layer"), estimate.get("model"), int(version) if version else None


def _ours(promise: date, estimate: Any) -> Chosen:
    """Our promise at purchase, as its window (p50 to promise): called rough when the rules
    layer made it (a generic transit table), else a promise of ours."""
    layer, model, version = _stamp(estimate)
    p50 = promise
    if isinstance(estimate, Mapping) and estimate.get("p50"):
        with contextlib.suppress(ValueError):
            p50 = min(promise, date.fromisoformat(str(estimate["p50"])))
    source = "rough" if layer in (None, "rules") else "promise"
    return Chosen(p50, promise, source, layer, model, version)


def _may_be_confident(estimator: Estimator | None, order: Mapping[str, Any]) -> bool:
    """Whether the estimator may beat the carrier's date for this order (a served model may
    for a merchant with an active model; the rules layer never does)."""
    may = getattr(estimator, "may_be_confident", True)
    return bool(may(order) if callable(may) else may)


def choose(
    order: Mapping[str, Any],
    shipment: Mapping[str, Any] | None,
    now: datetime,
    estimator: Estimator | None,
) -> Chosen | None:
    """The best honest date for a parcel (or for an order with no parcel yet).

    A date that has passed without a delivery is not shown as if it still held: the engine's
    live layer re-estimates from the time elapsed and the answer says since when it is late.
    """
    if shipment is not None:
        status = shipment["status"]
        if status == ShipmentStatus.DELIVERED or status == ShipmentStatus.EXPIRED:
            return None
        if status == ShipmentStatus.EXCEPTION and shipment.get("substatus") in NO_DATE_SUBSTATUSES:
            return None

    asked: list[EngineEstimate | None] = []

    def ask() -> EngineEstimate | None:
        if asked:
            return asked[0]
        found = None
        if estimator is not None:
            try:
                found = estimator(order, shipment, now)
            except Exception:  # a plugged-in engine must never take the page down
                log.exception("delivery estimator failed")
        asked.append(found)
        return found

    today = now.date()
    may_be_confident = _may_be_confident(estimator, order)
    if may_be_confident:
        engine = ask()
        if engine is not None and engine.confident:
            return _of(engine, "engine")
    carrier = shipment.get("carrier_estimate") if shipment else None
    picked: Chosen | None = None
    if carrier is not None:
        picked = Chosen(carrier, carrier, "carrier", "carrier")
    elif (latest := order.get("promise_latest")) is not None:
        picked = Chosen(order.get("promise_earliest") or latest, latest, "promise", "store")
    elif (ours := order.get("our_promise")) is not None:  # ours, made at intake
        picked = _ours(ours, order.get("our_estimate"))
    if picked is not None and picked.end >= today:
        return picked
    engine = ask()
    if picked is not None:  # the carrier's or the shop's date passed: re-estimate from now
        since = picked.end + timedelta(days=1)
        if engine is not None and engine.latest >= today:
            return _of(engine, "engine" if engine.confident else "rough", since)
        return replace(picked, late_since=since)
    if engine is not None:
        return _of(engine, "engine" if engine.confident else "rough")
    return None
