"""Read side of notifications: what the API and pages show. Every query is per merchant,
except the demo's "sent" page which is switched off in production."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from postpurchase.adapters.db import tables as t
from postpurchase.domain.errors import InvalidInput

M = t.notification_messages
D = t.webhook_deliveries
E = t.webhook_endpoints

_SUMMARY = [
    M.c.id, M.c.flow, M.c.channel, M.c.status, M.c.reason, M.c.recipient, M.c.locale,
    M.c.order_id, M.c.shipment_id, M.c.customer_id, M.c.event_topic, M.c.event_at, M.c.urgent,
    M.c.created_at, M.c.send_after, M.c.next_attempt_at, M.c.attempts, M.c.last_error,
    M.c.sent_at, M.c.updated_at, M.c.subject, M.c.provider_id,
]  # fmt: skip


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, row_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), row_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None


@dataclass(frozen=True, slots=True)
class MessageFilter:
    customer_id: str | None = None
    order_id: str | None = None
    shipment_id: str | None = None
    recipient: str | None = None
    status: str | None = None
    flow: str | None = None
    channel: str | None = None


def _page(
    conn: Connection, q: Any, created: Any, ident: Any, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    if cursor:
        at, rid = decode_cursor(cursor)
        q = q.where(or_(created < at, and_(created == at, ident < rid)))
    q = q.order_by(created.desc(), ident.desc()).limit(limit + 1)
    rows = [dict(r) for r in conn.execute(q).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
    return rows, nxt


def list_messages(
    conn: Connection,
    merchant_id: str,
    flt: MessageFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first: every message decided for a customer, order or shipment, with why."""
    q = select(*_SUMMARY).where(M.c.merchant_id == merchant_id)
    for column, value in (
        (M.c.customer_id, flt.customer_id), (M.c.order_id, flt.order_id),
        (M.c.shipment_id, flt.shipment_id), (M.c.status, flt.status), (M.c.flow, flt.flow),
        (M.c.channel, flt.channel),
    ):  # fmt: skip
        if value:
            q = q.where(column == value)
    if flt.recipient:
        q = q.where(M.c.recipient == flt.recipient.strip().lower())
    return _page(conn, q, M.c.created_at, M.c.id, limit, cursor)


def get_message(
    conn: Connection, merchant_id: str | None, message_id: str
) -> dict[str, Any] | None:
    q = select(M).where(M.c.id == message_id)
    if merchant_id is not None:
        q = q.where(M.c.merchant_id == merchant_id)
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def recent_messages(
    conn: Connection, *, status: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """All merchants (the demo page only)."""
    q = select(*_SUMMARY)
    if status:
        q = q.where(M.c.status == status)
    q = q.order_by(M.c.created_at.desc(), M.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]


def list_endpoints(conn: Connection, merchant_id: str) -> list[dict[str, Any]]:
    q = (
        select(E)
        .where(E.c.merchant_id == merchant_id, E.c.deleted_at.is_(None))
        .order_by(E.c.created_at, E.c.id)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def get_endpoint(conn: Connection, merchant_id: str, endpoint_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(E).where(
                E.c.merchant_id == merchant_id, E.c.id == endpoint_id, E.c.deleted_at.is_(None)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def list_deliveries(
    conn: Connection,
    merchant_id: str,
    endpoint_id: str,
    *,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    q = select(D).where(D.c.merchant_id == merchant_id, D.c.endpoint_id == endpoint_id)
    if status:
        q = q.where(D.c.status == status)
    return _page(conn, q, D.c.created_at, D.c.id, limit, cursor)


def get_delivery(conn: Connection, merchant_id: str, delivery_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(select(D).where(D.c.merchant_id == merchant_id, D.c.id == delivery_id))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def endpoint_exists(conn: Connection, merchant_id: str, endpoint_id: str) -> bool:
    """Deleted endpoints included: their deliveries stay listable."""
    q = select(E.c.id).where(E.c.merchant_id == merchant_id, E.c.id == endpoint_id)
    return conn.execute(q).first() is not None
