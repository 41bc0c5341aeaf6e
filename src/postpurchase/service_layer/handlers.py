"""One small function per command. Dependencies arrive as named parameters (see bootstrap).

Tracking ingestion and the stale sweep live in ``tracking``; this module maps every command
to its handler and re-exports those names.
"""

from __future__ import annotations

import logging
import secrets as random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from postpurchase.domain import commands, events
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.carrier_detection import CARRIERS, detect, normalise
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.ids import new_id, new_token
from postpurchase.domain.merchants import API_KEY_PREFIX, Merchant, hash_api_key, slugify
from postpurchase.domain.orders import Order, OrderLine, OrderRevision, OurPromise
from postpurchase.domain.secrets import SecretKind
from postpurchase.domain.shipments import Shipment, ShipmentLine, UnmatchedLine
from postpurchase.domain.status import OrderStatus
from postpurchase.service_layer.edd_serving import Promiser
from postpurchase.service_layer.merchant_secrets import new_tracking_secret, store_secrets
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.privacy import erase_customer
from postpurchase.service_layer.refunds import record_refund
from postpurchase.service_layer.storefronts import handlers as storefront_handlers
from postpurchase.service_layer.tracking import (
    SweepPolicy,
    _record,
    accept_tracking,
    fold_tracking,
    record_tracking,
    sweep_stale_shipments,
)
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)

MAX_CLOCK_SKEW = timedelta(days=1)  # a store clock may run ahead; a week ahead is a bug


@dataclass(frozen=True, slots=True)
class Created:
    """Result of an idempotent create: the id, and whether this call created it."""

    id: str
    created: bool


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


def place_order(
    cmd: commands.PlaceOrder,
    uow: AbstractUnitOfWork,
    clock: Clock,
    promiser: Promiser | None = None,
) -> Created:
    """Idempotent by the store's order id: the same order sent twice is stored once.

    ``promiser`` makes our own promise at purchase (the merchant's active delivery-date
    model, else the rules), before the transaction: it may load a model. It is stored only
    on a new order; a known one keeps the promise it was given.
    """
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
    ours = _our_promise(promiser, cmd)
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
            our_promise=ours,
        )
        order.events.append(events.OrderPlaced(cmd.merchant_id, order.id, cmd.placed_at))
        if cmd.cancelled_at is not None:  # first heard of after it was cancelled
            order.cancel(cmd.cancelled_at, cmd.cancel_reason)
        uow.orders.add(order)
        uow.commit()
        return Created(order.id, created=True)


def _our_promise(promiser: Promiser | None, cmd: commands.PlaceOrder) -> OurPromise | None:
    if promiser is None:
        return None
    try:
        return promiser(cmd)
    except Exception:  # an order is never refused for want of a delivery date
        log.warning("no promise at purchase for %s", cmd.external_id, exc_info=True)
        return None


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
                if cmd.audit is not None:  # asked again by a person: audited, nothing new
                    _audit_created(uow, cmd.audit, s.id, created=False)
                    uow.commit()
                return Created(s.id, created=False)
        lines = (
            _shipment_lines(order, cmd.lines, siblings, lenient=cmd.keep_unmatched)
            if cmd.return_id is None
            else []  # a return leg carries no outbound lines
        )
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
            return_id=cmd.return_id,
        )
        if cmd.return_id is None:
            shipment.events.append(
                events.ShipmentCreated(
                    cmd.merchant_id, shipment.id, order.id, shipment.carrier, number
                )
            )
        else:  # no "shipped" message, no fulfilment written back to the store
            shipment.events.append(
                events.ReturnShipmentCreated(
                    cmd.merchant_id, shipment.id, order.id, cmd.return_id, shipment.carrier, number
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
        order.refresh_status([s.view() for s in [*siblings, shipment] if s.return_id is None])
        if cmd.audit is not None:
            _audit_created(uow, cmd.audit, shipment.id, created=True)
        uow.commit()
        return Created(shipment.id, created=True)


def _audit_created(
    uow: AbstractUnitOfWork, entry: AuditEntry, shipment_id: str, *, created: bool
) -> None:
    """The caller's audit entry with the shipment it led to, in the shipment's transaction."""
    changes = {
        **entry.changes,
        "shipment": [None, f"shipment:{shipment_id}"],
        "created": [None, created],
    }
    uow.audit.record(replace(entry, changes=changes))


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
    **storefront_handlers.COMMAND_HANDLERS,  # connected stores: lifecycle, privacy, catalogue
}

EVENT_HANDLERS: dict[type[events.Event], list[Callable[..., Any]]] = {}

__all__ = [
    "COMMAND_HANDLERS",
    "EVENT_HANDLERS",
    "MAX_CLOCK_SKEW",
    "Created",
    "FulfillmentResult",
    "NewMerchant",
    "SweepPolicy",
    "accept_tracking",
    "cancel_order",
    "cancel_order_by_external_id",
    "create_merchant",
    "create_shipment",
    "fold_tracking",
    "place_order",
    "record_fulfillment",
    "record_tracking",
    "sweep_stale_shipments",
]
