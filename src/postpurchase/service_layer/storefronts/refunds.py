"""Asking a connected store to refund, so that a retried refund never pays twice.

The order of steps is the point (no network I/O inside a database transaction):

1. In one transaction: check the request against what is refundable (refused before the
   store is called), and record the attempt ``pending`` under its idempotency key.
2. Outside any transaction: call the store.
3. In a second transaction: settle the attempt with the store's answer and record the
   refund on the order (keyed by the store's refund id, so the store's own ``refunds/create``
   webhook or a backfill finding it later changes nothing).

With ``audit`` (a person's refund, e.g. from the console) each step leaves its entry in its
own transaction: ``<action>.requested`` with the pending attempt before the store is called,
then ``<action>`` with the store's refund id in the settling transaction, or
``<action>.refused`` with the store's answer. A refund whose process died after the call is
thus still audited as requested (and the attempt stays pending until it is retried).

A retry with the same key returns the recorded result without calling the store. A key
still ``pending`` is either in flight (refused as a conflict) or, once older than
``STALE``, of unknown outcome: the store is asked whether a refund with that key exists
before anything is paid again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from postpurchase.domain import events
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money
from postpurchase.domain.refunds import Refund, RefundLine
from postpurchase.domain.storefronts import (
    AttemptStatus,
    RefundAttempt,
    RefundRequest,
    RefundResult,
    StoreConnection,
    StorePlatform,
    check_refund,
)
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.storefronts.ports import StorefrontRefunds, StoreRefused
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

STALE = timedelta(minutes=10)  # a pending attempt older than this lost its caller


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    result: RefundResult
    estimate: Money | None  # what we expected it to pay back (None on a replay)
    replayed: bool  # True: an earlier attempt under this key already refunded


def platform_of(order_source: str) -> StorePlatform:
    try:
        return StorePlatform(order_source)
    except ValueError:
        raise Conflict(
            f"the order came from {order_source!r}, not from a connected store", field="order_id"
        ) from None


def refund_order(
    uow: AbstractUnitOfWork,
    clock: Clock,
    stores: StorefrontRefunds,
    merchant_id: str,
    order_id: str,
    request: RefundRequest,
    *,
    audit: AuditEntry | None = None,
) -> RefundOutcome:
    """Refund ``request`` of one of the merchant's orders through its store (see above)."""
    key = request.idempotency_key
    with uow:
        order = uow.orders.get(merchant_id, order_id)
        if order is None:
            raise NotFound("no such order", field="order_id")
        platform = platform_of(order.source)
        connection = uow.connections.get(merchant_id, platform)
        if connection is None or not connection.active:
            raise Conflict(f"the merchant's {platform} store is not connected", field="order_id")
        now = clock.now()
        attempt = uow.storefront_refunds.get(merchant_id, key)
        if attempt is not None:
            _same_request(attempt, order_id, request)
            if attempt.status is AttemptStatus.SUCCEEDED and attempt.result is not None:
                if audit is not None:
                    _audit(uow, audit, "", now, status="replayed", reference=attempt.result)
                    uow.commit()
                return RefundOutcome(attempt.result, None, replayed=True)
            if attempt.status is AttemptStatus.PENDING and now - attempt.updated_at < STALE:
                raise Conflict(
                    "a refund under this idempotency key is in progress; retry later",
                    field="idempotency_key",
                )
        estimate = check_refund(order, uow.refunds.for_order(merchant_id, order.id), request)
        unknown = attempt is not None and attempt.status is AttemptStatus.PENDING
        if attempt is None:
            fresh = RefundAttempt(
                merchant_id, key, platform.value, order.id, request.fingerprint(),
                AttemptStatus.PENDING, now, now,
            )  # fmt: skip
            if not uow.storefront_refunds.begin(fresh):
                raise Conflict(
                    "a refund under this idempotency key is in progress; retry later",
                    field="idempotency_key",
                )
        else:
            uow.storefront_refunds.retry(merchant_id, key, now)
        if audit is not None:
            _audit(uow, audit, ".requested", now, status="requested")
        uow.commit()

    found = stores.find(connection, request) if unknown else None
    if found is not None:
        settled = _settle(uow, clock, order.id, connection, key, found, audit)
        return RefundOutcome(settled, None, True)
    try:
        result = stores.refund(connection, request)
    except StoreRefused as refused:
        with uow:
            uow.storefront_refunds.fail(merchant_id, key, refused.message, clock.now())
            if audit is not None:
                _audit(uow, audit, ".refused", clock.now(), status="refused",
                       detail=refused.message)  # fmt: skip
            uow.commit()
        raise Conflict(f"the store refused the refund: {refused.message}",
                       field=refused.field or "refund") from None  # fmt: skip
    settled = _settle(uow, clock, order.id, connection, key, result, audit)
    return RefundOutcome(settled, estimate, False)


def _audit(
    uow: AbstractUnitOfWork,
    entry: AuditEntry,
    suffix: str,
    at: datetime,
    *,
    status: str,
    reference: RefundResult | None = None,
    detail: str | None = None,
) -> None:
    """One step of a person's refund in the caller's transaction (see the module text)."""
    changes = {**entry.changes, "refund.status": [None, status]}
    if reference is not None:
        changes["refund.store_refund_id"] = [None, reference.store_refund_id]
    if detail is not None:
        changes["refund.store_answer"] = [None, detail[:500]]
    uow.audit.record(replace(entry, action=entry.action + suffix, at=at, changes=changes))


def _same_request(attempt: RefundAttempt, order_id: str, request: RefundRequest) -> None:
    if attempt.order_id != order_id or attempt.fingerprint != request.fingerprint():
        raise InvalidInput(
            "this idempotency key was used for a different refund", field="idempotency_key"
        )


def _settle(
    uow: AbstractUnitOfWork,
    clock: Clock,
    order_id: str,
    connection: StoreConnection,
    key: str,
    result: RefundResult,
    audit: AuditEntry | None = None,
) -> RefundResult:
    merchant_id = connection.merchant_id
    with uow:
        now = clock.now()
        uow.storefront_refunds.settle(merchant_id, key, result, now)
        order = uow.orders.get(merchant_id, order_id)
        if order is not None and result.amount.currency == order.currency:
            refund = Refund(
                id=new_id(),
                merchant_id=merchant_id,
                order_id=order.id,
                external_id=result.store_refund_id,
                created_at=result.created_at,
                amount=result.amount,
                shipping=result.shipping,
                lines=tuple(
                    RefundLine(
                        line.id if (line := order.line_named(x.store_line_id, "")) else None,
                        line.sku if line else f"line-{x.store_line_id}",
                        x.quantity,
                        x.amount,
                    )
                    for x in result.lines
                ),
            )
            if uow.refunds.add(refund, now):
                uow.raised.append(
                    events.RefundRecorded(
                        merchant_id, order.id, refund.id, str(refund.amount.amount),
                        refund.amount.currency,
                    )
                )  # fmt: skip
        if audit is not None:
            _audit(uow, audit, "", now, status="succeeded", reference=result)
        uow.commit()
    return result
