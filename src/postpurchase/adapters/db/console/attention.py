"""The exceptions queue in SQL: the same rule as ``domain.console.kinds_of`` (a property test
holds them together), minus what a person resolved since the shipment's last news."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    exists,
    false,
    func,
    not_,
    or_,
    select,
)

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console.tables import console_resolutions
from postpurchase.domain.console import Attention
from postpurchase.domain.console.attention import ADDRESS, FINISHED, QUIET, RETURNED

S, Ord, R, C = t.shipments.c, t.orders.c, console_resolutions.c, t.customers.c


_PROMISED = t.orders.alias("promised")  # the shipment's own order, in a subquery


def promise_column() -> ColumnElement[Any]:
    """The latest date promised to the customer: the store's, else ours.

    A scalar subquery per open parcel (a primary-key lookup of its order) rather than a
    join: joined, PostgreSQL hashed the store's every order (a sequential scan of 220,000
    rows at 200,000 shipments) to find the promises of the ~12,000 parcels still open.
    """
    p = _PROMISED.c
    return (
        select(func.coalesce(p.promise_latest, p.our_promise))
        .where(p.id == S.order_id)
        .scalar_subquery()
    )


def kind_condition(kind: Attention, now: datetime, no_scan_days: int) -> ColumnElement[bool]:
    quiet_since = func.coalesce(S.last_scan_at, S.created_at)
    match kind:
        case Attention.LATE:
            return and_(promise_column().is_not(None), promise_column() < now.date())
        case Attention.NO_SCAN:
            return or_(
                and_(S.status == "exception", S.substatus.in_(sorted(QUIET))),
                and_(
                    S.status != "available_for_pickup",
                    quiet_since <= now - timedelta(days=no_scan_days),
                ),
            )
        case Attention.FAILED_ATTEMPT:
            return S.status == "attempt_failed"
        case Attention.INVALID_TRACKING:
            return S.tracking_valid == false()
        case Attention.ADDRESS_PROBLEM:
            return S.substatus == ADDRESS
        case Attention.RETURNED_TO_SENDER:
            return S.substatus == RETURNED
        case Attention.CARRIER_EXCEPTION:
            return and_(
                S.status == "exception",
                or_(S.substatus.is_(None), S.substatus.not_in(sorted(QUIET | {ADDRESS, RETURNED}))),
            )
    raise ValueError(kind)  # pragma: no cover


def resolved(kind: Attention) -> ColumnElement[bool]:
    return exists().where(
        R.merchant_id == S.merchant_id,
        R.shipment_id == S.id,
        R.kind == kind.value,
        or_(S.last_event_at.is_(None), S.last_event_at <= R.resolved_at),
    )


def is_open() -> ColumnElement[bool]:
    """Not finished, written as literals so PostgreSQL matches the partial index
    ``ix_shipments_open_merchant`` (a bound parameter would hide the value from a cached
    generic plan)."""
    return S.status.not_in(
        bindparam("finished", sorted(FINISHED), expanding=True, literal_execute=True)
    )


def needs(kinds: list[Attention], now: datetime, no_scan_days: int) -> ColumnElement[bool]:
    """Open, and at least one of ``kinds`` applies and is not resolved."""
    return and_(
        is_open(),
        or_(*(and_(kind_condition(k, now, no_scan_days), not_(resolved(k))) for k in kinds)),
    )


def attention_count(conn: Connection, merchant_id: str, now: datetime, no_scan_days: int) -> int:
    q = (
        select(func.count())
        .select_from(t.shipments)
        .where(S.merchant_id == merchant_id, needs(list(Attention), now, no_scan_days))
    )
    return int(conn.execute(q).scalar_one())


@dataclass(frozen=True, slots=True)
class QueueRow:
    shipment_id: str
    order_id: str
    order_number: str
    customer_name: str | None
    email: str | None
    tracking_number: str
    carrier: str | None
    status: str
    substatus: str | None
    tracking_valid: bool
    created_at: datetime
    last_scan_at: datetime | None
    last_event_at: datetime | None
    promise: date | None
    kinds: tuple[Attention, ...]  # unresolved kinds that apply


def queue(
    conn: Connection,
    merchant_id: str,
    now: datetime,
    no_scan_days: int,
    *,
    kind: Attention | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[QueueRow], dict[str, int]]:
    """A page of the queue (oldest promise first) and the count of each kind."""
    kinds = [kind] if kind else list(Attention)
    flags = [
        and_(kind_condition(k, now, no_scan_days), not_(resolved(k))).label(k.value)
        for k in Attention
    ]
    promise = promise_column()
    # The page of open parcels first (shipments and their orders' promises only), then the
    # order and customer of those rows alone.
    page = (
        select(
            S.id, S.order_id, S.tracking_number, S.carrier, S.status, S.substatus,
            S.tracking_valid, S.created_at, S.last_scan_at, S.last_event_at,
            promise.label("promise"), *flags,
        )
        .where(S.merchant_id == merchant_id, needs(kinds, now, no_scan_days))
        .order_by(promise.is_(None), promise, S.created_at, S.id)
        .limit(limit)
        .offset(offset)
        .subquery("queue_page")
    )  # fmt: skip
    P = page.c
    q = (
        select(page, Ord.number, C.name.label("customer_name"), Ord.email)
        .select_from(
            page.join(t.orders, Ord.id == P.order_id).outerjoin(
                t.customers, C.id == Ord.customer_id
            )
        )
        .where(Ord.merchant_id == merchant_id)
        .order_by(P.promise.is_(None), P.promise, P.created_at, P.id)
    )
    rows = [
        QueueRow(
            r.id,
            r.order_id,
            r.number,
            r.customer_name,
            r.email,
            r.tracking_number,
            r.carrier,
            r.status,
            r.substatus,
            bool(r.tracking_valid),
            r.created_at,
            r.last_scan_at,
            r.last_event_at,
            r.promise,
            tuple(k for k in Attention if getattr(r, k.value)),
        )
        for r in conn.execute(q)
    ]
    return rows, kind_counts(conn, merchant_id, now, no_scan_days)


def kind_counts(
    conn: Connection, merchant_id: str, now: datetime, no_scan_days: int
) -> dict[str, int]:
    """Every kind's count in one pass over the store's open parcels (one query, not one per
    kind: each pass reads the same rows)."""
    q = (
        select(*(func.count().filter(
                     and_(kind_condition(k, now, no_scan_days), not_(resolved(k)))
                 ).label(k.value)
                 for k in Attention))
        .select_from(t.shipments)
        .where(S.merchant_id == merchant_id, is_open())
    )  # fmt: skip
    found = conn.execute(q).one()
    return {k.value: int(getattr(found, k.value)) for k in Attention}
