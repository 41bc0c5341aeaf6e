"""Reads for the console's returns pages: the filtered queue, a return's order lines and the
policy's versions. Plain SQL on one connection; every query filters on the merchant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.returns import tables as rt


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """The queue's filters, already checked (the console parses and names a bad one)."""

    status: str | None = None
    reason: str | None = None
    resolution: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    search: str | None = None  # a return or order number, or an e-mail (or its beginning)
    needs_review: bool = False


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: str
    number: str
    order_id: str
    order_number: str
    email: str | None
    status: str
    resolution: str
    refund: Decimal
    currency: str
    review_reason: str | None
    created_at: datetime
    units: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: int
    created_at: datetime
    document: dict[str, Any]


def _where(merchant_id: str, f: QueueFilter) -> list[Any]:
    r, o = rt.returns.c, t.orders.c
    where: list[Any] = [r.merchant_id == merchant_id]
    if f.status:
        where.append(r.status == f.status)
    if f.needs_review:
        where.append(and_(r.status == "requested", r.review_reason.is_not(None)))
    if f.resolution:
        where.append(r.resolution == f.resolution)
    if f.created_from is not None:
        where.append(r.created_at >= f.created_from)
    if f.created_to is not None:
        where.append(r.created_at < f.created_to)
    if f.reason:
        lines = rt.return_lines.c
        where.append(exists().where(lines.return_id == r.id, lines.reason_code == f.reason))
    if f.search:
        text = f.search.strip()
        bare = text.lstrip("#")
        if "@" in text:
            where.append(r.customer_email.like(_prefix(text.lower()), escape="\\"))
        else:
            where.append(
                or_(
                    o.number == text, o.number == bare, o.number == f"#{bare}",
                    func.upper(r.number) == bare.upper(),
                    r.customer_email.like(_prefix(text.lower()), escape="\\"),
                )
            )  # fmt: skip
    return where


def _prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def returns_queue(
    conn: Connection, merchant_id: str, f: QueueFilter, *, limit: int, offset: int
) -> list[QueueRow]:
    """The merchant's returns matching ``f``, newest first, a page of them (with their units
    and reasons)."""
    r, o = rt.returns.c, t.orders.c
    q = (
        select(
            r.id,
            r.number,
            r.order_id,
            o.number.label("order_number"),
            r.customer_email,
            r.status,
            r.resolution,
            r.refund,
            r.currency,
            r.review_reason,
            r.created_at,
        )
        .join(t.orders, and_(o.id == r.order_id, o.merchant_id == r.merchant_id))
        .where(*_where(merchant_id, f))
        .order_by(r.created_at.desc(), r.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = list(conn.execute(q).mappings())
    if not rows:
        return []
    lines = rt.return_lines.c
    units: dict[str, int] = {}
    reasons: dict[str, list[str]] = {}
    for line in conn.execute(
        select(lines.return_id, lines.quantity, lines.reason_code)
        .where(lines.return_id.in_([row["id"] for row in rows]))
        .order_by(lines.return_id, lines.position)
    ).mappings():
        rid = line["return_id"]
        units[rid] = units.get(rid, 0) + int(line["quantity"])
        if line["reason_code"] not in reasons.setdefault(rid, []):
            reasons[rid].append(line["reason_code"])
    return [
        QueueRow(
            id=row["id"],
            number=row["number"],
            order_id=row["order_id"],
            order_number=row["order_number"],
            email=row["customer_email"],
            status=row["status"],
            resolution=row["resolution"],
            refund=row["refund"],
            currency=row["currency"],
            review_reason=row["review_reason"],
            created_at=row["created_at"],
            units=units.get(row["id"], 0),
            reasons=reasons.get(row["id"], []),
        )
        for row in rows
    ]


def line_names(conn: Connection, merchant_id: str, order_id: str) -> dict[str, str]:
    """The order's line names by line id (the return keeps SKUs; people read names)."""
    lines, o = t.order_lines.c, t.orders.c
    q = (
        select(lines.id, lines.name)
        .join(t.orders, o.id == lines.order_id)
        .where(o.merchant_id == merchant_id, o.id == order_id)
    )
    return {row.id: row.name for row in conn.execute(q)}


def policy_versions(conn: Connection, merchant_id: str, *, limit: int = 20) -> list[PolicyVersion]:
    """The saved versions, newest (the active one) first."""
    c = rt.return_policies.c
    q = (
        select(c.version, c.created_at, c.document)
        .where(c.merchant_id == merchant_id)
        .order_by(c.version.desc())
        .limit(limit)
    )
    return [
        PolicyVersion(row.version, row.created_at, dict(row.document)) for row in conn.execute(q)
    ]
