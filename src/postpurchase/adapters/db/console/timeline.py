"""A customer's timeline for support: orders, shipments, scans, messages, returns, survey
answers (score, comment), support contacts and what the team did, newest first, on one page.
Found by e-mail address within the signed-in merchant only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console.search import like_escape
from postpurchase.adapters.db.console.tables import console_resolutions
from postpurchase.domain.console import Page, Paged

MAX_ENTRIES = 500
Ord, S, E, M = t.orders.c, t.shipments.c, t.tracking_events.c, t.notification_messages.c


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str  # order, shipment, scan, message, return, survey, contact, action
    title: str
    detail: str = ""
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Timeline:
    email: str
    name: str | None
    orders: int
    entries: list[Entry]
    truncated: bool


def _table(name: str) -> Any:
    """Another context's table by name (its modules are its own: import-linter)."""
    return t.metadata.tables.get(name)


def _join(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def _contacts(
    conn: Connection, merchant_id: str, email: str, ids: list[str], numbers: dict[str, str]
) -> list[Entry]:
    """Support contacts (the API and the helpdesk webhook) by this address or about one of
    these orders, with what the shipment was doing when the customer asked."""
    contacts = _table("support_contacts")
    if contacts is None:
        return []
    c = contacts.c
    out = []
    for x in conn.execute(
        select(c.source, c.ticket_id, c.subject, c.intent, c.order_status_contact,
               c.state_when_made, c.preventable, c.order_id, c.contacted_at)
        .where(c.merchant_id == merchant_id,
               or_(c.order_id.in_(ids), func.lower(c.customer_email) == email))
        .order_by(c.contacted_at.desc())
        .limit(MAX_ENTRIES)
    ):  # fmt: skip
        what = "order status" if x.order_status_contact else (x.intent or "other")
        title = f"Contacted support ({what.replace('_', ' ')})"
        state = f"while {x.state_when_made.replace('_', ' ')}" if x.state_when_made else None
        preventable = f"preventable: {x.preventable.replace('_', ' ')}" if x.preventable else None
        order = f"order {numbers[x.order_id]}" if x.order_id in numbers else None
        detail = _join(x.subject, f"{x.source} #{x.ticket_id}", state, preventable, order)
        link = f"/console/orders/{x.order_id}" if x.order_id in numbers else None
        out.append(Entry(x.contacted_at, "contact", title, detail, link))
    return out


def customer_timeline(conn: Connection, merchant_id: str, email: str) -> Timeline | None:
    email = email.strip().lower()
    orders = list(
        conn.execute(
            select(Ord.id, Ord.number, Ord.placed_at, Ord.status, Ord.currency, Ord.total,
                   Ord.customer_id)
            .where(Ord.merchant_id == merchant_id, func.lower(Ord.email) == email)
            .order_by(Ord.placed_at.desc())
            .limit(200)
        )
    )  # fmt: skip
    if not orders:
        return None
    ids = [o.id for o in orders]
    numbers = {o.id: o.number for o in orders}
    entries: list[Entry] = []
    for o in orders:
        amount = f"{o.total} {o.currency}" if o.total is not None else o.status
        entries.append(
            Entry(
                o.placed_at, "order", f"Order {o.number} placed", amount, f"/console/orders/{o.id}"
            )
        )
    parcels = {
        p.id: p
        for p in conn.execute(
            select(S.id, S.order_id, S.tracking_number, S.carrier, S.created_at).where(
                S.merchant_id == merchant_id, S.order_id.in_(ids)
            )
        )
    }
    for p in parcels.values():
        detail = _join(p.carrier, f"order {numbers[p.order_id]}")
        link = f"/console/shipments/{p.id}"
        entries.append(
            Entry(p.created_at, "shipment", f"Shipped {p.tracking_number}", detail, link)
        )
    if parcels:
        scans = conn.execute(
            select(E.shipment_id, E.occurred_at, E.status, E.substatus, E.description, E.city)
            .where(E.merchant_id == merchant_id, E.shipment_id.in_(list(parcels)))
            .order_by(E.occurred_at.desc())
            .limit(MAX_ENTRIES)
        )
        for e in scans:
            title = e.status.replace("_", " ").capitalize()
            if e.substatus:
                title += f" ({e.substatus.replace('_', ' ')})"
            detail = _join(e.description, e.city, parcels[e.shipment_id].tracking_number)
            entries.append(
                Entry(e.occurred_at, "scan", title, detail, f"/console/shipments/{e.shipment_id}")
            )
    messages = conn.execute(
        select(M.flow, M.channel, M.status, M.reason, M.created_at, M.sent_at, M.subject,
               M.order_id)
        .where(M.merchant_id == merchant_id,
               or_(M.order_id.in_(ids), func.lower(M.recipient) == email))
        .order_by(M.created_at.desc())
        .limit(MAX_ENTRIES)
    )  # fmt: skip
    for m in messages:
        title = f"{m.flow.replace('_', ' ').capitalize()} {m.channel}: {m.status}"
        detail = _join(m.subject, None if m.status == "sent" else m.reason)
        where = f"/console/orders/{m.order_id}" if m.order_id else None
        entries.append(Entry(m.sent_at or m.created_at, "message", title, detail, where))
    returns = _table("returns")
    if returns is not None:
        R = returns.c
        for r in conn.execute(
            select(R.number, R.status, R.created_at, R.order_id, R.resolution).where(
                R.merchant_id == merchant_id, R.order_id.in_(ids)
            )
        ):
            detail = _join(r.status, r.resolution, f"order {numbers[r.order_id]}")
            link = f"/console/orders/{r.order_id}"
            entries.append(Entry(r.created_at, "return", f"Return {r.number}", detail, link))
    rt = t.tracking_ratings.c
    for g in conn.execute(
        select(rt.order_id, rt.score, rt.comment, rt.source, rt.updated_at).where(
            rt.merchant_id == merchant_id, rt.order_id.in_(ids)
        )
    ):
        link = f"/console/orders/{g.order_id}"
        title = f"Rated the delivery {g.score}/5"
        where = (
            f"from the {'e-mail' if g.source == 'email' else 'tracking page'}" if g.source else None
        )
        detail = _join(
            f"“{g.comment}”" if g.comment else None, where, f"order {numbers[g.order_id]}"
        )
        entries.append(Entry(g.updated_at, "survey", title, detail, link))
    entries.extend(_contacts(conn, merchant_id, email, ids, numbers))
    if parcels:
        C = console_resolutions.c
        for a in conn.execute(
            select(C.shipment_id, C.kind, C.action, C.resolved_at, C.resolved_by, C.note).where(
                C.merchant_id == merchant_id, C.shipment_id.in_(list(parcels))
            )
        ):
            title = f"{a.action.capitalize()} ({a.kind.replace('_', ' ')})"
            link = f"/console/shipments/{a.shipment_id}"
            entries.append(
                Entry(a.resolved_at, "action", title, _join(a.resolved_by, a.note), link)
            )
    entries.sort(key=lambda x: x.at, reverse=True)
    name = None
    customer_ids = [o.customer_id for o in orders if o.customer_id]
    if customer_ids:
        name = conn.execute(
            select(t.customers.c.name).where(
                t.customers.c.merchant_id == merchant_id, t.customers.c.id == customer_ids[0]
            )
        ).scalar()
    return Timeline(email, name, len(orders), entries[:MAX_ENTRIES], len(entries) > MAX_ENTRIES)


@dataclass(frozen=True, slots=True)
class CustomerRow:
    email: str
    name: str | None
    orders: int
    last_order_at: datetime


def find_customers(
    conn: Connection, merchant_id: str, text: str, page: Page
) -> tuple[list[CustomerRow], Paged]:
    """Customers (by their orders' e-mail) matching e-mail or name, latest order first."""
    C = t.customers.c
    q = (
        select(func.lower(Ord.email).label("email"), func.max(C.name).label("name"),
               func.count().label("orders"), func.max(Ord.placed_at).label("last"))
        .select_from(t.orders.outerjoin(t.customers, C.id == Ord.customer_id))
        .where(Ord.merchant_id == merchant_id, Ord.email.is_not(None))
        .group_by(func.lower(Ord.email))
    )  # fmt: skip
    if text:
        like = f"%{like_escape(text.lower())}%"
        q = q.where(
            or_(
                func.lower(Ord.email).like(like, escape="\\"),
                func.lower(C.name).like(like, escape="\\"),
            )
        )
    ordered = q.order_by(func.max(Ord.placed_at).desc())
    rows = list(conn.execute(ordered.limit(page.per_page + 1).offset(page.offset)))
    more = len(rows) > page.per_page
    out = [CustomerRow(r.email, r.name, int(r.orders), r.last) for r in rows[: page.per_page]]
    return out, Paged(page.number, page.per_page, len(out), more)
