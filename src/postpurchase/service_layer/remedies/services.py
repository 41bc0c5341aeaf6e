"""The automatic remedy, applied once per order when a late delivery is recorded.

Steps (no network I/O inside a database transaction):

1. One transaction: read the rule and the order, decide (``domain.remedies.decide``) and
   write a ``pending`` ledger row. The row is unique per order, so a second delivered event
   (another parcel, a replayed outbox row) finds it and goes no further than step 2 for a
   row still pending, and nowhere for a settled one.
2. No transaction: when the order came from a connected store, refund the shipping fee
   through the storefront refund port (``refund_order``, with ``remedy:<order id>`` as its
   idempotency key, so a retry after a crash never pays twice). Otherwise our ledger is the
   record (``recorded``), as for returns (ADR 0014).
3. One transaction: settle the row (``issued`` with the store's refund id, ``recorded`` or
   ``failed`` with the store's reason).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from postpurchase.domain.errors import DomainError
from postpurchase.domain.money import Money
from postpurchase.domain.notification_timing import zone
from postpurchase.domain.orders import Order
from postpurchase.domain.remedies import (
    RemedyKind,
    RemedyRule,
    decide,
    rule_from_dict,
    rule_to_dict,
)
from postpurchase.domain.storefronts import RefundRequest, StorePlatform
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.remedies.ports import LedgerEntry, RefundPorts

if TYPE_CHECKING:  # the unit of work imports this package's ports
    from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def original_promise(order: Order) -> date | None:
    """The promise a late delivery is measured against: the store's checkout promise (its
    latest day) when the shop sent one, as the tracking page shows it; else ours, made at
    purchase (it never changes)."""
    if order.promise is not None:
        return order.promise.latest
    return order.our_promise.promise if order.our_promise is not None else None


def delivered_on(order: Order, delivered_at: datetime) -> date:
    """The calendar day of the delivery where the shopper lives (their zone, else UTC)."""
    return delivered_at.astimezone(zone(order.timezone or "UTC")).date()


def update_rule(
    uow: AbstractUnitOfWork, clock: Clock, merchant_id: str, patch: Mapping[str, Any], actor: str
) -> RemedyRule:
    # Imported here: service_layer.audit imports the unit of work, which imports our ports.
    from postpurchase.service_layer.audit import record_change

    with uow:
        before = uow.remedies.rule(merchant_id)
        after = rule_from_dict(patch, before)
        old, new = rule_to_dict(before), rule_to_dict(after)
        if old != new:
            now = clock.now()
            uow.remedies.save_rule(merchant_id, after, now)
            record_change(
                uow,
                merchant_id,
                actor=actor,
                action="remedies.update",
                subject="remedies",
                at=now,
                before=old,
                after=new,
            )
            uow.commit()
    return after


@dataclass(frozen=True, slots=True)
class Applied:
    entry: LedgerEntry
    fresh: bool  # False: the order had its remedy already (nothing was paid this time)


def apply_remedy(
    new_uow: Callable[[], AbstractUnitOfWork],
    clock: Clock,
    ports: RefundPorts,
    merchant_id: str,
    order_id: str,
    shipment_id: str | None,
    delivered_at: datetime,
) -> Applied | None:
    """Give the order its remedy if the merchant's rule says so (see the module's steps)."""
    with new_uow() as uow:
        rule = uow.remedies.rule(merchant_id)
        order = uow.orders.get(merchant_id, order_id)
        if order is None:
            return None
        held = uow.remedies.get(merchant_id, order_id)
        if held is not None and held.status != "pending":
            return Applied(held, fresh=False)
        if held is None:
            remedy = decide(
                rule, original_promise(order), delivered_on(order, delivered_at),
                order.money.shipping,
            )  # fmt: skip
            if remedy is None:
                return None
            held = uow.remedies.begin(merchant_id, order_id, shipment_id, remedy, clock.now())
            if held is None:  # another worker wrote it first
                return None
            uow.commit()
        try:
            platform: StorePlatform | None = StorePlatform(order.source)
        except ValueError:
            platform = None
        connected = False
        if platform is not None:
            conn = uow.connections.get(merchant_id, platform)
            connected = conn is not None and conn.active
    status, error = "recorded", None
    reference: str | None = f"ledger:{held.id}"
    port = ports(platform) if platform is not None and connected else None
    if port is not None:
        request = RefundRequest(
            order.external_id, order.currency,
            shipping=Money(held.amount, held.currency),
            note=f"Late delivery: {held.days_late} day(s) after the promised "
            f"{held.promised.isoformat()}",
            to_store_credit=held.kind == RemedyKind.STORE_CREDIT,
            idempotency_key=f"remedy:{order_id}",
        )  # fmt: skip
        from postpurchase.service_layer.storefronts.refunds import refund_order

        try:
            with port as stores:
                outcome = refund_order(new_uow(), clock, stores, merchant_id, order_id, request)
            status, reference = "issued", outcome.result.store_refund_id
        except DomainError as refused:
            status, reference, error = "failed", None, refused.message
    with new_uow() as uow:
        uow.remedies.settle(merchant_id, order_id, status, reference, error, clock.now())
        uow.commit()
        settled = uow.remedies.get(merchant_id, order_id)
    assert settled is not None
    return Applied(settled, fresh=True)


def on_delivered(
    new_uow: Callable[[], AbstractUnitOfWork], clock: Clock, ports: RefundPorts,
    payload: Mapping[str, Any],
) -> Applied | None:  # fmt: skip
    """The outbox subscriber's body for ``ShipmentDelivered``."""
    raw = payload.get("delivered_at")
    merchant_id, order_id = payload.get("merchant_id"), payload.get("order_id")
    if (
        not isinstance(raw, str)
        or not isinstance(merchant_id, str)
        or not isinstance(order_id, str)
    ):
        return None
    sid = payload.get("shipment_id")
    return apply_remedy(
        new_uow, clock, ports, merchant_id, order_id, sid if isinstance(sid, str) else None,
        datetime.fromisoformat(raw),
    )  # fmt: skip
