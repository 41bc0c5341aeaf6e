"""One small function per command. Dependencies arrive as named parameters (see bootstrap)."""

from __future__ import annotations

import secrets as random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from postpurchase.domain import commands, events
from postpurchase.domain.carrier_detection import CARRIERS, detect, normalise
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.ids import new_id, new_token
from postpurchase.domain.merchants import API_KEY_PREFIX, Merchant, hash_api_key, slugify
from postpurchase.domain.orders import Order, OrderLine, OrderRevision
from postpurchase.domain.secrets import SecretKind, validate_secret
from postpurchase.domain.shipments import Shipment, ShipmentLine, ShipmentRef, UnmatchedLine
from postpurchase.domain.status import OrderStatus
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.service_layer.merchant_secrets import new_tracking_secret, store_secrets
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.privacy import erase_customer
from postpurchase.service_layer.refunds import record_refund
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

MAX_CLOCK_SKEW = timedelta(days=1)  # a store clock may run ahead; a week ahead is a bug


@dataclass(frozen=True, slots=True)
class Created:
    """Result of an idempotent create: the id, and whether this call created it."""

    id: str
    created: bool


@dataclass(frozen=True, slots=True)
class SweepPolicy:
    """How long a shipment may stay quiet before we say so (per carrier, in days)."""

    no_scan_days: dict[str, int]
    default_no_scan_days: int = 5
    expire_days: int = 30

    def no_scan_after(self, carrier: str | None) -> timedelta:
        days = self.no_scan_days.get(carrier or "", self.default_no_scan_days)
        return timedelta(days=days)


class NewMerchant(NamedTuple):
    """What creating a merchant hands back once: its API key and our tracking-webhook
    secret (only a hash of the key and a sealed copy of the secret are kept)."""

    merchant: Merchant
    api_key: str
    tracking_secret: str


def create_merchant(
    uow: AbstractUnitOfWork,
    clock: Clock,
    name: str,
    *,
    slug: str | None = None,
    secrets: Mapping[SecretKind, str | None] | None = None,
) -> NewMerchant:
    """Create a tenant, its first API key and our tracking-webhook secret; platform-issued
    secrets given in ``secrets`` are stored too (sealed)."""
    for kind, value in (secrets or {}).items():
        if value is not None:
            validate_secret(value, field=kind.field)
    with uow:
        slug = slugify(slug or name)
        if uow.merchants.get_by_slug(slug) is not None:
            raise Conflict(f"a merchant with slug {slug!r} already exists", field="name")
        now = clock.now()
        merchant = Merchant(id=new_id(), name=name.strip(), slug=slug, created_at=now)
        uow.merchants.add(merchant)
        key = API_KEY_PREFIX + random.token_urlsafe(32)
        uow.merchants.add_api_key(merchant.id, hash_api_key(key), "default", now)
        tracking_secret = new_tracking_secret()
        store_secrets(
            uow, clock, merchant.id,
            {SecretKind.TRACKING_WEBHOOK: tracking_secret, **(secrets or {})},
        )  # fmt: skip
        uow.commit()
    return NewMerchant(merchant, key, tracking_secret)


def place_order(cmd: commands.PlaceOrder, uow: AbstractUnitOfWork, clock: Clock) -> Created:
    """Idempotent by the store's order id: the same order sent twice is stored once."""
    now = clock.now()
    if cmd.placed_at > now + MAX_CLOCK_SKEW or cmd.placed_at.year < 2000:
        raise InvalidInput("placed_at is in the future or implausibly old", field="placed_at")
    # A SKU may repeat only on lines the store tells apart by its own line id (Shopify does
    # split one variant over lines with different properties or discounts).
    keys = [line.facts.external_id or line.sku for line in cmd.lines]
    if len(set(keys)) != len(keys):
        raise InvalidInput("each sku may appear on one line only", field="lines")
    lines = [
        OrderLine(new_id(), li.sku, li.name, li.quantity, li.unit_price, li.weight_grams, li.facts)
        for li in cmd.lines
    ]
    with uow:
        existing = uow.orders.get_by_external_id(cmd.merchant_id, cmd.external_id)
        if existing is not None:
            _revise(uow, existing, cmd, lines, now)
            uow.commit()
            return Created(existing.id, created=False)
        customer_id = uow.customers.find_or_create(
            cmd.merchant_id, email=cmd.email, phone=cmd.phone, name=cmd.customer_name,
            locale=cmd.locale, at=now,
        )  # fmt: skip
        order = Order(
            id=new_id(),
            merchant_id=cmd.merchant_id,
            external_id=cmd.external_id,
            number=cmd.number or cmd.external_id,
            customer_id=customer_id,
            email=cmd.email,
            phone=cmd.phone,
            locale=cmd.locale,
            currency=cmd.currency,
            lines=lines,
            shipping_address=cmd.shipping_address,
            shipping_fee=cmd.shipping_fee,
            placed_at=cmd.placed_at,
            tracking_token=new_token(),
            promise=cmd.promise,
            source=cmd.source,
            timezone=cmd.timezone,
            totals=cmd.totals,
            details=cmd.details,
            source_updated_at=cmd.source_updated_at,
            created_at=now,
            updated_at=now,
        )
        order.events.append(events.OrderPlaced(cmd.merchant_id, order.id, cmd.placed_at))
        if cmd.cancelled_at is not None:  # first heard of after it was cancelled
            order.cancel(cmd.cancelled_at, cmd.cancel_reason)
        uow.orders.add(order)
        uow.commit()
        return Created(order.id, created=True)


def _revise(
    uow: AbstractUnitOfWork,
    order: Order,
    cmd: commands.PlaceOrder,
    lines: list[OrderLine],
    now: datetime,
) -> None:
    """A store's newer snapshot of an order we hold (orders/updated, /cancelled, a re-sent
    create after an edit): applied when newer, ignored when older, so any order of arrival
    ends in the same state."""
    revision = OrderRevision(
        number=cmd.number or order.number,
        email=cmd.email,
        phone=cmd.phone,
        currency=cmd.currency,
        lines=lines,
        shipping_address=cmd.shipping_address,
        shipping_fee=cmd.shipping_fee,
        totals=cmd.totals,
        details=cmd.details,
        source_updated_at=cmd.source_updated_at,
        promise=cmd.promise,
    )
    if not order.revise(revision, now):
        return
    if cmd.cancelled_at is not None:
        order.cancel(cmd.cancelled_at, cmd.cancel_reason)
    shipments = uow.shipments.for_orders(order.merchant_id, [order.id])
    order.refresh_status([s.view() for s in shipments])
    uow.orders.revise(order)


def cancel_order(cmd: commands.CancelOrder, uow: AbstractUnitOfWork, clock: Clock) -> None:
    with uow:
        order = uow.orders.get(cmd.merchant_id, cmd.order_id, lock=True)
        if order is None:
            raise NotFound("no such order", field="order_id")
        order.cancel(cmd.at or clock.now(), cmd.reason)
        order.updated_at = clock.now()
        uow.commit()


def cancel_order_by_external_id(
    cmd: commands.CancelOrderByExternalId, uow: AbstractUnitOfWork, clock: Clock
) -> bool:
    """False when the store's order is unknown here (e.g. placed before the store was
    connected): nothing to cancel, and nothing for the store to retry."""
    with uow:
        order = uow.orders.get_by_external_id(cmd.merchant_id, cmd.external_id)
    if order is None:
        return False
    cancel_order(commands.CancelOrder(cmd.merchant_id, order.id, cmd.reason, cmd.at), uow, clock)
    return True


@dataclass(frozen=True, slots=True)
class FulfillmentResult:
    shipments: list[Created]
    warnings: list[str]  # e.g. lines the order does not have, kept as unmatched


def record_fulfillment(
    cmd: commands.RecordFulfillment, uow: AbstractUnitOfWork, clock: Clock
) -> FulfillmentResult:
    """Create the fulfilment's shipments once, then apply the status the store reports."""
    with uow:
        order = uow.orders.get_by_external_id(cmd.merchant_id, cmd.order_external_id)
    if order is None:
        raise NotFound(
            f"order {cmd.order_external_id!r} is not known yet; retry later", field="order_id"
        )
    if cmd.cancelled or not cmd.tracking_numbers:
        return FulfillmentResult([], [])
    single = len(cmd.tracking_numbers) == 1
    created: list[Created] = []
    for n, number in enumerate(cmd.tracking_numbers):
        external = cmd.fulfillment_id if single else f"{cmd.fulfillment_id}:{n}"
        url = cmd.tracking_urls[n] if n < len(cmd.tracking_urls) else None
        created.append(
            create_shipment(
                commands.CreateShipment(
                    merchant_id=cmd.merchant_id,
                    order_id=order.id,
                    tracking_number=number,
                    carrier=cmd.carrier,
                    service=cmd.service,
                    # several parcels under one fulfilment: the store does not say which
                    # lines went in which, so each covers the fulfilment as a whole
                    lines=cmd.lines if single else (),
                    external_id=external,
                    created_at=cmd.created_at,
                    tracking_url=url,
                    facts=cmd.facts,
                    keep_unmatched=True,
                ),
                uow,
                clock,
            )
        )
    if cmd.events:
        updates = tuple(
            commands.TrackingUpdate(number, cmd.carrier, cmd.events, ref=number)
            for number in cmd.tracking_numbers
        )
        record_tracking(commands.RecordTracking(cmd.merchant_id, updates), uow, clock)
    warnings = [
        f"line {u.sku!r} (x{u.quantity}) is not on order {order.number}; kept as unmatched"
        for u in _unmatched(order, cmd.lines)
    ]
    return FulfillmentResult(created, warnings)


def create_shipment(cmd: commands.CreateShipment, uow: AbstractUnitOfWork, clock: Clock) -> Created:
    """Idempotent by (order, tracking number) and by the store's fulfilment id."""
    if cmd.carrier is not None and cmd.carrier not in CARRIERS:
        raise InvalidInput(f"unknown carrier {cmd.carrier!r}", field="carrier")
    # A number pasted with words around it ("Tracking #: 1z999… (UPS)") is stored as the
    # number detection found in it; one no format fits is stored as typed, normalised.
    detection = detect(cmd.tracking_number, cmd.carrier)
    number = detection.number if detection.format else normalise(cmd.tracking_number)
    if not number:
        raise InvalidInput("tracking number must not be empty", field="tracking_number")
    with uow:
        order = uow.orders.get(cmd.merchant_id, cmd.order_id, lock=True)
        if order is None:
            raise NotFound("no such order", field="order_id")
        if order.status is OrderStatus.CANCELLED:
            raise Conflict("the order is cancelled", field="order_id")
        siblings = uow.shipments.for_orders(cmd.merchant_id, [order.id])
        for s in siblings:
            if s.tracking_number == number or (
                cmd.external_id is not None and s.external_id == cmd.external_id
            ):
                return Created(s.id, created=False)
        lines = _shipment_lines(order, cmd.lines, siblings, lenient=cmd.keep_unmatched)
        facts = cmd.facts
        if cmd.keep_unmatched:
            facts = replace(facts, unmatched_lines=tuple(_unmatched(order, cmd.lines)))
        now = clock.now()
        shipment = Shipment(
            id=new_id(),
            merchant_id=cmd.merchant_id,
            order_id=order.id,
            tracking_number=number,
            carrier=detection.carrier or cmd.carrier,
            tracking_valid=detection.valid,
            created_at=cmd.created_at or now,
            service=cmd.service,
            lines=lines,
            origin=cmd.origin,
            destination=order.shipping_address,
            external_id=cmd.external_id,
            tracking_url=cmd.tracking_url,
            facts=facts,
        )
        shipment.events.append(
            events.ShipmentCreated(
                cmd.merchant_id, shipment.id, order.id, shipment.carrier, shipment.tracking_number
            )
        )
        if not detection.valid:
            shipment.events.append(
                events.TrackingNumberInvalid(
                    cmd.merchant_id, shipment.id, order.id, number, shipment.carrier
                )
            )
        uow.shipments.add(shipment)
        if cmd.events:
            _record(uow, cmd.merchant_id, shipment, list(cmd.events), now)
        order.refresh_status([s.view() for s in [*siblings, shipment]])
        uow.commit()
        return Created(shipment.id, created=True)


def _unmatched(order: Order, wanted: Iterable[commands.ShipmentLineInput]) -> list[UnmatchedLine]:
    return [
        UnmatchedLine(w.sku, w.quantity, w.title, w.line_external_id)
        for w in wanted
        if order.line_named(w.line_external_id, w.sku) is None
    ]


def _shipment_lines(
    order: Order,
    wanted: Iterable[commands.ShipmentLineInput],
    siblings: list[Shipment],
    *,
    lenient: bool = False,
) -> list[ShipmentLine]:
    """Order lines a parcel carries. ``lenient`` (a store's own fulfilment): lines the order
    lacks are skipped (the caller keeps them as unmatched) and quantities are taken as the
    store reports them; otherwise both are refused, naming the line."""
    already: dict[str, int] = defaultdict(int)
    for s in siblings:
        for sl in s.lines:
            already[sl.line_id] += sl.quantity
    lines: list[ShipmentLine] = []
    for i, w in enumerate(wanted):
        line = order.line_named(w.line_external_id, w.sku)
        if line is None:
            if lenient:
                continue
            raise InvalidInput(f"sku {w.sku!r} is not on the order", field=f"lines[{i}].sku")
        if w.quantity < 1 or (not lenient and already[line.id] + w.quantity > line.quantity):
            left = line.quantity - already[line.id]
            raise InvalidInput(
                f"quantity {w.quantity} of {w.sku!r} exceeds the {left} left to ship",
                field=f"lines[{i}].quantity",
            )
        already[line.id] += w.quantity
        lines.append(ShipmentLine(line.id, line.sku, w.quantity))
    return lines


def _record(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    shipment: Shipment,
    candidates: list[TrackingEvent],
    now: datetime,
) -> int:
    new = uow.tracking.add_new(merchant_id, [(shipment.id, e) for e in candidates], now)
    fresh = [e for e in candidates if (shipment.id, e.fingerprint) in new]
    shipment.record(fresh, lambda: uow.tracking.history([shipment.id])[shipment.id])
    return len(fresh)


def record_tracking(
    cmd: commands.RecordTracking, uow: AbstractUnitOfWork, clock: Clock
) -> list[dict[str, Any]]:
    """Inline ingestion: store and fold a batch of scans in one transaction; one result per
    update, in order.

    Costs a fixed number of queries per batch (not per event): shipments by number, one
    idempotent insert of all events, history only for shipments that received an
    out-of-order event, then the affected orders.
    """
    now = clock.now()
    with uow:
        numbers = {normalise(u.tracking_number) for u in cmd.updates}
        found = uow.shipments.by_tracking_numbers(cmd.merchant_id, numbers, lock=True)
        targets, pairs = _route(cmd.updates, found)
        new = uow.tracking.add_new(cmd.merchant_id, pairs, now) if pairs else set()
        results, fresh = _tally(targets, new)
        shipments = {s.id: s for _, s in targets if s is not None}
        for u, s in targets:
            if s is not None:
                s.learn(u.service, u.tracking_url)
        _fold(uow, cmd.merchant_id, shipments, fresh, now)
        uow.commit()
    return results


def accept_tracking(
    cmd: commands.RecordTracking, uow: AbstractUnitOfWork, clock: Clock
) -> list[dict[str, Any]]:
    """Deferred ingestion (ADR 0005): store the new scans and queue them for the folder.

    The answer is the same as inline (new and duplicate counts are exact: the unique key
    decides), but statuses move when the worker runs :func:`fold_tracking`. No order is
    locked or written here, and a shipment only the first time a source tells its service
    level or tracking page, which is what lets one process accept a feed several times
    faster than it can fold it one request at a time.
    """
    now = clock.now()
    with uow:
        numbers = {normalise(u.tracking_number) for u in cmd.updates}
        targets, pairs = _route(cmd.updates, uow.shipments.locate(cmd.merchant_id, numbers))
        new = uow.tracking.append(cmd.merchant_id, pairs, now) if pairs else set()
        results, _ = _tally(targets, new)
        teaching = {
            ref.id: u
            for u, ref in targets
            if ref is not None and ref.would_learn(u.service, u.tracking_url)
        }
        if teaching:
            for s in uow.shipments.get_many(cmd.merchant_id, teaching):
                s.learn(teaching[s.id].service, teaching[s.id].tracking_url)
        uow.commit()
    if new:
        uow.worker_needed = True
    return results


def fold_tracking(cmd: commands.FoldTracking, uow: AbstractUnitOfWork, clock: Clock) -> int:
    """Fold queued scans into their shipments and orders; returns how many were claimed.

    Any number of folders may run beside each other and beside inline ingestion: a claim is
    exclusive, shipments are locked in id order, and a scan that a concurrent re-fold
    already counted can never take the incremental path again (it does not sort after the
    state), so each scan counts exactly once.
    """
    now = clock.now()
    with uow:
        claimed = uow.tracking.claim_pending(cmd.limit)
        if not claimed:
            return 0
        grouped: dict[str, dict[str, list[TrackingEvent]]] = defaultdict(lambda: defaultdict(list))
        for merchant_id, shipment_id, event in claimed:
            grouped[merchant_id][shipment_id].append(event)
        # Every shipment lock before any order lock, in one global order (merchant, id), as
        # inline ingestion does: the stale sweep holds shipments while it waits for orders.
        locked = {m: uow.shipments.get_many(m, grouped[m]) for m in sorted(grouped)}
        for merchant_id, shipments in locked.items():
            _fold(uow, merchant_id, {s.id: s for s in shipments}, grouped[merchant_id], now)
        uow.commit()
    return len(claimed)


_Target = TypeVar("_Target", Shipment, ShipmentRef)


def _route(
    updates: Iterable[commands.TrackingUpdate], found: Iterable[_Target]
) -> tuple[list[tuple[commands.TrackingUpdate, _Target | None]], list[tuple[str, TrackingEvent]]]:
    """Which shipment each update is for, and the (shipment id, event) pairs to store.

    An update whose source named no carrier is read as scans of the shipment's carrier
    (``TrackingUpdate.for_carrier``): its carrier-specific codes then mean what that
    carrier means by them, in both ingestion modes, before anything is stored or counted.
    """
    by_number: dict[str, list[_Target]] = defaultdict(list)
    for s in found:
        by_number[s.tracking_number].append(s)
    targets: list[tuple[commands.TrackingUpdate, _Target | None]] = []
    pairs: list[tuple[str, TrackingEvent]] = []
    for u in updates:
        shipment = _pick(by_number.get(normalise(u.tracking_number), []), u.carrier)
        if shipment is not None:
            u = u.for_carrier(shipment.carrier)
            pairs.extend((shipment.id, e) for e in u.events)
        targets.append((u, shipment))
    return targets, pairs


def _tally(
    targets: list[tuple[commands.TrackingUpdate, _Target | None]], new: set[tuple[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, list[TrackingEvent]]]:
    """One result per update, and the events stored for the first time, per shipment."""
    new = set(new)
    results: list[dict[str, Any]] = []
    fresh_by_shipment: dict[str, list[TrackingEvent]] = defaultdict(list)
    for u, shipment in targets:
        if shipment is None:
            results.append(_result(u, "unknown_tracking_number", 0, len(u.events)))
            continue
        fresh = [e for e in u.events if (shipment.id, e.fingerprint) in new]
        new -= {(shipment.id, e.fingerprint) for e in fresh}
        fresh_by_shipment[shipment.id].extend(fresh)
        results.append(_result(u, "accepted", len(fresh), len(u.events) - len(fresh)))
    return results, fresh_by_shipment


def _fold(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    shipments: dict[str, Shipment],
    fresh_by_shipment: dict[str, list[TrackingEvent]],
    now: datetime,
) -> None:
    """Apply each shipment's new events (re-folding the ones that got a late event), count
    unrecognised codes, and re-derive the orders whose shipments changed status."""
    fresh_by_shipment = {
        sid: fresh for sid, fresh in fresh_by_shipment.items() if fresh and sid in shipments
    }
    late = [
        sid
        for sid, fresh in fresh_by_shipment.items()
        if not shipments[sid].state.follows(min(fresh, key=lambda e: e.sort_key))
    ]
    histories = uow.tracking.history(late) if late else {}
    changed_orders: set[str] = set()
    for sid, fresh in fresh_by_shipment.items():
        s = shipments[sid]
        before = s.state.status
        s.record(fresh, lambda sid=sid: histories[sid])  # type: ignore[misc]
        for e in fresh:
            if not e.recognised:
                uow.counters.increment_unrecognised(
                    merchant_id, e.source, s.carrier, e.carrier_code, now
                )
        if s.state.status is not before:
            changed_orders.add(s.order_id)
    _refresh_orders(uow, merchant_id, changed_orders, now)


def _pick(candidates: list[_Target], carrier: str | None) -> _Target | None:
    """The same number can (rarely) exist at two carriers; the source's carrier decides."""
    if not candidates:
        return None
    if carrier:
        for s in candidates:
            if s.carrier == carrier:
                return s
    return max(candidates, key=lambda s: s.created_at)


def _result(u: commands.TrackingUpdate, status: str, new: int, dup: int) -> dict[str, Any]:
    return {
        "ref": u.ref,
        "tracking_number": u.tracking_number,
        "result": status,
        "new_events": new,
        "duplicates": dup,
    }


def _refresh_orders(
    uow: AbstractUnitOfWork, merchant_id: str, order_ids: set[str], now: datetime
) -> None:
    if not order_ids:
        return
    progress = uow.orders.progress_many(merchant_id, order_ids)
    views = uow.shipments.views_for_orders(merchant_id, order_ids)
    for order in progress:
        order.refresh(views.get(order.id, []), now)


def sweep_stale_shipments(
    cmd: commands.SweepStaleShipments, uow: AbstractUnitOfWork, policy: SweepPolicy
) -> int:
    """Flag shipments that went quiet (exception/delayed) or silent for good (expired).

    Runs across merchants (a system job); every write stays inside the shipment's tenant.
    """
    shortest = min([policy.default_no_scan_days, *policy.no_scan_days.values()])
    flagged = 0
    with uow:
        quiet = uow.shipments.quiet_since(cmd.now - timedelta(days=shortest), limit=5000)
        touched: dict[str, set[str]] = defaultdict(set)
        for s in quiet:
            event = s.stale_event(
                cmd.now,
                no_scan_after=policy.no_scan_after(s.carrier),
                expire_after=timedelta(days=policy.expire_days),
            )
            if event is None:
                continue
            _record(uow, s.merchant_id, s, [event], cmd.now)
            touched[s.merchant_id].add(s.order_id)
            flagged += 1
        for merchant_id, order_ids in touched.items():
            _refresh_orders(uow, merchant_id, order_ids, cmd.now)
        uow.commit()
    return flagged


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.PlaceOrder: place_order,
    commands.CancelOrder: cancel_order,
    commands.CancelOrderByExternalId: cancel_order_by_external_id,
    commands.RecordFulfillment: record_fulfillment,
    commands.CreateShipment: create_shipment,
    commands.RecordTracking: record_tracking,
    commands.FoldTracking: fold_tracking,
    commands.SweepStaleShipments: sweep_stale_shipments,
    commands.RecordRefund: record_refund,
    commands.EraseCustomer: erase_customer,
}

EVENT_HANDLERS: dict[type[events.Event], list[Callable[..., Any]]] = {}
