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
    text,
    true,
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


def open_parcels(merchant_id: str) -> Any:
    """The store's open parcels with their promise, looked up once each (ADR 0030).

    MATERIALIZED on PostgreSQL: inlined, every mention of the promise (the late rule, the
    sort, the flags) was its own subplan, four primary-key lookups per open parcel, and the
    cost they added to the estimate switched on JIT compilation (~0.5 s of a 1.4 s page at
    200,000 shipments). SQLite evaluates the CTE as written either way.
    """
    return (
        select(
            S.id, S.merchant_id, S.order_id, S.tracking_number, S.carrier, S.status,
            S.substatus, S.tracking_valid, S.created_at, S.last_scan_at, S.last_event_at,
            promise_column().label("promise"),
        )
        .where(S.merchant_id == merchant_id, is_open())
        .cte("open_parcels")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )  # fmt: skip


def kind_condition(
    kind: Attention, now: datetime, no_scan_days: int, cols: Any = S
) -> ColumnElement[bool]:
    """``kind``'s rule over ``cols``: the shipments table (its promise looked up), or the
    open parcels (their ``promise`` column)."""
    quiet_since = func.coalesce(cols.last_scan_at, cols.created_at)
    match kind:
        case Attention.LATE:
            promise = cols.promise if "promise" in cols else promise_column()
            return promise < now.date()  # NULL (nothing promised) is not late
        case Attention.NO_SCAN:
            return or_(
                and_(cols.status == "exception", cols.substatus.in_(sorted(QUIET))),
                and_(
                    cols.status != "available_for_pickup",
                    quiet_since <= now - timedelta(days=no_scan_days),
                ),
            )
        case Attention.FAILED_ATTEMPT:
            return cols.status == "attempt_failed"  # type: ignore[no-any-return]
        case Attention.INVALID_TRACKING:
            return cols.tracking_valid == false()  # type: ignore[no-any-return]
        case Attention.ADDRESS_PROBLEM:
            return cols.substatus == ADDRESS  # type: ignore[no-any-return]
        case Attention.RETURNED_TO_SENDER:
            return cols.substatus == RETURNED  # type: ignore[no-any-return]
        case Attention.CARRIER_EXCEPTION:
            return and_(
                cols.status == "exception",
                or_(
                    cols.substatus.is_(None),
                    cols.substatus.not_in(sorted(QUIET | {ADDRESS, RETURNED})),
                ),
            )
    raise ValueError(kind)  # pragma: no cover


def resolved(kind: Attention, cols: Any = S) -> ColumnElement[bool]:
    return exists().where(
        R.merchant_id == cols.merchant_id,
        R.shipment_id == cols.id,
        R.kind == kind.value,
        or_(cols.last_event_at.is_(None), cols.last_event_at <= R.resolved_at),
    )


def is_open() -> ColumnElement[bool]:
    """Not finished, written as literals so PostgreSQL matches the partial index
    ``ix_shipments_open_merchant`` (a bound parameter would hide the value from a cached
    generic plan)."""
    return S.status.not_in(
        bindparam("finished", sorted(FINISHED), expanding=True, literal_execute=True)
    )


def applies(kind: Attention, now: datetime, no_scan_days: int, cols: Any) -> ColumnElement[bool]:
    """``kind`` applies to the parcel and nobody resolved it since its last news."""
    return and_(kind_condition(kind, now, no_scan_days, cols), not_(resolved(kind, cols)))


def without_jit(conn: Connection) -> None:
    """No JIT compilation for this transaction's queue reads on PostgreSQL: their estimate
    (a primary-key lookup per open parcel) crosses ``jit_above_cost``, and compiling took
    ~0.45 s of a page whose execution reads ~12,000 rows (ADR 0030)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL jit = off"))


def attention_count(conn: Connection, merchant_id: str, now: datetime, no_scan_days: int) -> int:
    without_jit(conn)
    o = open_parcels(merchant_id).c
    q = select(func.count()).where(or_(*(applies(k, now, no_scan_days, o) for k in Attention)))
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
    """A page of the queue (oldest promise first) and the count of each kind, in one
    statement: the open parcels are read and judged once for both (ADR 0030)."""
    kinds = [kind] if kind else list(Attention)
    without_jit(conn)
    o = open_parcels(merchant_id).c
    flagged = (
        select(o, *(applies(k, now, no_scan_days, o).label(k.value) for k in Attention))
        .cte("flagged")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    f = flagged.c
    counts = select(
        *(func.count().filter(f[k.value]).label(f"n_{k.value}") for k in Attention)
    ).subquery("counts")
    # The page of open parcels first (shipments and their orders' promises only), then the
    # order and customer of those rows alone; the counts row is there even with no page.
    page = (
        select(flagged)
        .where(or_(*(f[k.value] for k in kinds)))
        .order_by(f.promise.is_(None), f.promise, f.created_at, f.id)
        .limit(limit)
        .offset(offset)
        .subquery("queue_page")
    )
    P = page.c
    q = (
        select(counts, page, Ord.number, C.name.label("customer_name"), Ord.email)
        .select_from(
            counts.outerjoin(page, true())
            .outerjoin(t.orders, and_(Ord.id == P.order_id, Ord.merchant_id == merchant_id))
            .outerjoin(t.customers, C.id == Ord.customer_id)
        )
        .order_by(P.promise.is_(None), P.promise, P.created_at, P.id)
    )
    found = conn.execute(q).all()
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
        for r in found
        if r.id is not None and r.number is not None
    ]
    return rows, {k.value: int(getattr(found[0], f"n_{k.value}")) for k in Attention}
