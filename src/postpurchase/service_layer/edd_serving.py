"""Which delivery-date model answers for a merchant, loaded once per process and swapped
without a restart when another one is activated.

``EngineCache.engine_for(merchant_id)`` is the one call every consumer makes (the tracking
page, the API's order and shipment views, notifications, intake's promise, the checkout
estimate): it returns the merchant's active model, or None for the rules layer. The cache is
keyed by (merchant, active version). Which version is active is read cheaply: at most once
per ``ttl`` seconds per merchant (a primary-key read), or for free when the caller already
read it with its own data (the tracking page's version row carries it: ``stamp=``).
Loading an artefact takes seconds, so callers that must not block (the page, on the event
loop) pass ``wait=False``: the load starts in a background thread and they get the model
they had (or the rules) until it is ready, and :meth:`EngineCache.warming` says so.

The port is small on purpose: the registry (a database) and the artefact format (an
adapter) sit behind :class:`ModelSource`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE, Estimate, EstimateRequest, Layer
from postpurchase.domain.errors import DomainError
from postpurchase.domain.order_details import ServiceLevel, estimate_service
from postpurchase.domain.orders import Order, OurPromise
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingState

log = logging.getLogger(__name__)

DEFAULT_TTL = 2.0  # seconds an activation may take to reach a process that reads no stamp
CONFIDENCE_TTL = 10.0  # seconds a changed promise confidence may take to reach a process
_UNKNOWN: Any = object()


class DeliveryEngine(Protocol):
    """What serving needs of a trained engine (``adapters.edd.EddEngine`` has it)."""

    def estimate(self, request: EstimateRequest, now: datetime | None = None) -> Estimate: ...

    def live(
        self,
        request: EstimateRequest,
        state: TrackingState,
        now: datetime,
        purchase: Estimate | None = None,
    ) -> Estimate: ...


class Promiser(Protocol):
    """Our promise at purchase for an order being placed (``place_order`` calls it)."""

    def __call__(self, cmd: PlaceOrder) -> OurPromise | None: ...


class ModelSource(Protocol):
    """Where models come from: the registry's active version and an artefact's engine."""

    def active_version(self, merchant_id: str) -> int | None: ...

    def load(self, merchant_id: str, version: int) -> tuple[DeliveryEngine, str]:
        """The engine and its model id (``edd-1+20180101.1f48...``); raises when unusable."""
        ...

    def promise_confidence(self, merchant_id: str) -> float:
        """The merchant's promise confidence setting (``CheckoutSettings``)."""
        ...


@dataclass(frozen=True, slots=True)
class ActiveModel:
    """A loaded model and where it came from (every estimate it makes says so)."""

    merchant_id: str
    version: int  # the registry's number, 1, 2, 3... per merchant
    model_version: str  # the artefact's own id
    engine: DeliveryEngine


class EngineSource(Protocol):
    """What consumers call: ``EngineCache`` is one; the notification wiring holds a lazy one."""

    def engine_for(self, merchant_id: str, *, wait: bool = True) -> ActiveModel | None: ...

    def confidence_for(self, merchant_id: str) -> float: ...


@dataclass(slots=True)
class _Slot:
    checked_at: float = -1e18
    active: int | None = None  # the version the registry says is active
    loaded: ActiveModel | None = None
    loading: int | None = None
    failed: int | None = None  # a version whose artefact would not load (not retried)
    confidence: float = DEFAULT_CONFIDENCE
    confidence_at: float = -1e18


class EngineCache:
    """Per-process cache of each merchant's active model (thread-safe)."""

    def __init__(
        self,
        source: ModelSource,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.ttl = ttl
        self.clock = clock
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self.loads = 0  # artefacts loaded by this process (tests, metrics)

    def _slot(self, merchant_id: str) -> _Slot:
        with self._lock:
            slot = self._slots.get(merchant_id)
            if slot is None:
                slot = self._slots[merchant_id] = _Slot()
            return slot

    def engine_for(
        self, merchant_id: str, *, stamp: int | None = _UNKNOWN, wait: bool = True
    ) -> ActiveModel | None:
        """The merchant's active model, or None when the rules layer answers.

        ``stamp``: the active version the caller read with its own data (skips the check).
        ``wait=False``: never block on a load; the previous model (or None) meanwhile.
        """
        slot = self._slot(merchant_id)
        now = self.clock()
        if stamp is not _UNKNOWN:
            slot.active, slot.checked_at = stamp, now
        elif now - slot.checked_at >= self.ttl:
            try:
                slot.active = self.source.active_version(merchant_id)
            except Exception:  # the database is down: keep serving what we have
                log.warning("could not read the active delivery-date model", exc_info=True)
            slot.checked_at = now
        wanted = slot.active
        if wanted is None:
            slot.loaded = None
            return None
        if slot.loaded is not None and slot.loaded.version == wanted:
            return slot.loaded
        if slot.failed == wanted:
            return None  # activation refuses broken files; this is a belt to those braces
        if wait:
            self._load(merchant_id, wanted, slot)
            return slot.loaded if slot.loaded and slot.loaded.version == wanted else None
        with self._lock:
            start = slot.loading != wanted
            if start:
                slot.loading = wanted
        if start:
            threading.Thread(
                target=self._load, args=(merchant_id, wanted, slot), daemon=True
            ).start()
        return slot.loaded

    def confidence_for(self, merchant_id: str) -> float:
        """The merchant's promise confidence: what every promise served for it states
        (``EstimateRequest.confidence``), read at most once per ``CONFIDENCE_TTL`` seconds;
        the last value known (or the default) while the database cannot be read."""
        slot = self._slot(merchant_id)
        now = self.clock()
        if now - slot.confidence_at >= CONFIDENCE_TTL:
            try:
                slot.confidence = self.source.promise_confidence(merchant_id)
            except Exception:
                log.warning("could not read the promise confidence", exc_info=True)
            slot.confidence_at = now
        return slot.confidence

    def warming(self, merchant_id: str) -> bool:
        """Whether this process is still loading the merchant's active model (an answer given
        meanwhile comes from the previous model or the rules and must not be cached long)."""
        slot = self._slots.get(merchant_id)
        if slot is None or slot.active is None:
            return False
        loaded = slot.loaded.version if slot.loaded else None
        return loaded != slot.active and slot.failed != slot.active

    def _load(self, merchant_id: str, version: int, slot: _Slot) -> None:
        try:
            engine, model_version = self.source.load(merchant_id, version)
        except Exception:
            log.exception("delivery-date model %s v%s would not load", merchant_id, version)
            slot.failed = version
            return
        finally:
            with self._lock:
                if slot.loading == version:
                    slot.loading = None
        self.loads += 1
        slot.loaded = ActiveModel(merchant_id, version, model_version, engine)

    def put(self, merchant_id: str, model: ActiveModel) -> None:
        """Hand a model this process just trained or activated straight to the cache."""
        slot = self._slot(merchant_id)
        slot.loaded, slot.active, slot.checked_at = model, model.version, self.clock()
        slot.failed = None

    def forget(self, merchant_id: str | None = None) -> None:
        with self._lock:
            if merchant_id is None:
                self._slots.clear()
            else:
                self._slots.pop(merchant_id, None)


def _service_level(details: Mapping[str, Any] | None) -> ServiceLevel | None:
    raw = str((details or {}).get("service_level"))
    return ServiceLevel(raw) if raw in ServiceLevel._value2member_map_ else None


def request_from(
    order: Mapping[str, Any],
    shipment: Mapping[str, Any] | None,
    *,
    confidence: float | None = None,
) -> EstimateRequest:
    """The engine's question for a stored order (and its parcel, once there is one).

    ``order`` is a read-model row (``shipping_address``, ``placed_at``, ``details``,
    ``lines`` with ``weight_grams`` when known, and the store's own promise
    ``promise_latest``, which a model trained with it reads as a feature); raises
    ``DomainError``/``KeyError`` on rows the engine cannot use, which callers turn into
    the rules layer.
    """
    destination = Address.from_dict(order["shipping_address"])
    origin_raw = shipment.get("origin") if shipment else None
    origin = Address.from_dict(origin_raw) if isinstance(origin_raw, dict) else None
    weight = 0
    for line in order.get("lines") or []:
        w = line.get("weight_grams")
        if w:
            weight += int(w) * int(line.get("quantity") or 1)
    extra: dict[str, Any] = {}
    if confidence is not None:
        extra["confidence"] = confidence
    return EstimateRequest(
        destination=destination,
        ordered_at=order["placed_at"],
        origin=origin,
        carrier=shipment.get("carrier") if shipment else None,
        service=estimate_service(
            shipment.get("service") if shipment else None, _service_level(order.get("details"))
        ),
        weight_grams=float(weight) if weight else None,
        store_promise=_as_date(order.get("promise_latest")),
        **extra,
    )


def _as_date(value: Any) -> date | None:
    """The store's promise from a row: a date (rows), an ISO string (JSON), or nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _domain_request(
    order: Order, shipment: Shipment | None, confidence: float = DEFAULT_CONFIDENCE
) -> EstimateRequest:
    weight = sum((li.weight_grams or 0) * li.quantity for li in order.lines)
    return EstimateRequest(
        destination=order.shipping_address,
        ordered_at=order.placed_at,
        origin=shipment.origin if shipment else None,
        carrier=shipment.carrier if shipment else None,
        service=estimate_service(
            shipment.service if shipment else None, order.details.service_level
        ),
        weight_grams=float(weight) if weight else None,
        confidence=confidence,
        store_promise=order.promise.latest if order.promise else None,
    )


def delivery_date(
    order: Order,
    shipment: Shipment | None,
    now_local: datetime,
    models: EngineSource | None,
) -> date | None:
    """The date a message states, decided as the tracking page decides it: the active
    model's when it is confident, else the carrier's, the store's promise, then ours at
    purchase; a date already past is never stated (the page says "late" instead).
    ``now_local`` is in the shopper's zone."""
    today = now_local.date()
    state = shipment.state if shipment is not None else None
    if state is not None and state.status in (ShipmentStatus.DELIVERED, ShipmentStatus.EXPIRED):
        return None
    # Planning runs inside the notification transaction: never wait there for a model to
    # load (seconds); until this process has it, the carrier's and the promises' dates.
    active = models.engine_for(order.merchant_id, wait=False) if models is not None else None
    if active is not None:
        try:
            confidence = models.confidence_for(order.merchant_id) if models else DEFAULT_CONFIDENCE
            request = _domain_request(order, shipment, confidence)
            est = active.engine.estimate(request)
            if shipment is not None and state is not None:
                est = active.engine.live(request, state, now_local, est)
            if est.reason is None and est.layer is not Layer.RULES and est.promise >= today:
                return est.promise
        except (DomainError, KeyError, TypeError, ValueError):
            log.warning("delivery-date model failed for a message", exc_info=True)
    candidates = (
        state.carrier_estimate if state is not None else None,
        order.promise.latest if order.promise is not None else None,
        order.our_promise.promise if order.our_promise is not None else None,
    )
    picked = next((d for d in candidates if d is not None), None)
    return picked if picked is not None and picked >= today else None


def out_for_delivery_today(status_at: datetime | None, send_at: datetime, tz: tzinfo) -> bool:
    """Whether an "arriving today" message sent at ``send_at`` is about a scan of that day."""
    if status_at is None:
        return True  # nothing says which day: the scan is the event being sent now
    return status_at.astimezone(tz).date() == send_at.astimezone(tz).date()
