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

from collections.abc import Callable, Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class _Delivered:
    """What ``apply_remedy`` needs from a ``ShipmentDelivered`` payload."""

    merchant_id: str
    order_id: str
    shipment_id: str | None
    delivered_at: datetime


def _delivered(payload: Mapping[str, Any]) -> _Delivered | None:
    raw = payload.get("delivered_at")
    merchant_id, order_id = payload.get("merchant_id"), payload.get("order_id")
    if (
        not isinstance(raw, str)
        or not isinstance(merchant_id, str)
        or not isinstance(order_id, str)
    ):
        return None
    sid = payload.get("shipment_id")
    return _Delivered(
        merchant_id, order_id, sid if isinstance(sid, str) else None, datetime.fromisoformat(raw)
    )


def on_delivered(
    new_uow: Callable[[], AbstractUnitOfWork], clock: Clock, ports: RefundPorts,
    payload: Mapping[str, Any],
) -> Applied | None:  # fmt: skip
    """The outbox subscriber's body for ``ShipmentDelivered``."""
    d = _delivered(payload)
    if d is None:
        return None
    return apply_remedy(
        new_uow, clock, ports, d.merchant_id, d.order_id, d.shipment_id, d.delivered_at
    )


def on_delivered_many(
    new_uow: Callable[[], AbstractUnitOfWork], clock: Clock, ports: RefundPorts,
    rows: Sequence[tuple[int, Mapping[str, Any]]],
) -> dict[int, Exception]:  # fmt: skip
    """:func:`on_delivered` for a batch of outbox rows (``(row id, payload)`` in outbox
    order); returns the rows that failed, with why.

    One transaction reads, per merchant, the rule, the ledger rows of every order of the
    batch and (when the rule is on) the orders, and settles every row whose outcome is
    already known to be "nothing to do": its order's remedy is settled, or there is none to
    give (the rule is off, the order is gone, on time, promised nothing, paid no shipping).
    Only the rest -- a remedy to give or a pending one to finish -- go through
    :func:`apply_remedy` one by one, in order, which re-reads everything itself. So a
    batch does exactly what its rows would have done one at a time, and the common case (no
    remedy due) costs three statements per merchant instead of a transaction per event.
    """
    parsed = [(row_id, _delivered(payload)) for row_id, payload in rows]
    by_merchant: dict[str, set[str]] = {}
    for _, d in parsed:
        if d is not None:
            by_merchant.setdefault(d.merchant_id, set()).add(d.order_id)
    rules: dict[str, RemedyRule] = {}
    held: dict[tuple[str, str], LedgerEntry] = {}
    orders: dict[tuple[str, str], Order] = {}
    with new_uow() as uow:
        for merchant_id, order_ids in sorted(by_merchant.items()):
            ids = sorted(order_ids)
            rules[merchant_id] = rule = uow.remedies.rule(merchant_id)
            for order_id, found in uow.remedies.get_many(merchant_id, ids).items():
                held[merchant_id, order_id] = found
            if rule.enabled:
                for loaded in uow.orders.get_many(merchant_id, ids):
                    orders[merchant_id, loaded.id] = loaded
    failed: dict[int, Exception] = {}
    for row_id, d in parsed:
        if d is None:
            continue
        key = (d.merchant_id, d.order_id)
        entry, order = held.get(key), orders.get(key)
        if entry is not None and entry.status != "pending":
            continue  # settled already: apply_remedy would return it untouched
        if entry is None and (
            order is None
            or decide(
                rules[d.merchant_id], original_promise(order),
                delivered_on(order, d.delivered_at), order.money.shipping,
            ) is None
        ):  # fmt: skip
            continue  # nothing to give: apply_remedy would write nothing
        try:
            apply_remedy(
                new_uow, clock, ports, d.merchant_id, d.order_id, d.shipment_id, d.delivered_at
            )
        except Exception as exc:
            failed[row_id] = exc
    return failed
