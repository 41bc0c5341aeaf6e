"""Returns, their lines and decisions, the policy versions, the money ledger, as SQL Core.

Explicit mapping (ADR 0002): a return is loaded whole (it has a handful of lines) and
written back whole at commit when it changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.refund_store import SqlRefundRepository
from postpurchase.adapters.db.repositories.orders import SqlOrderRepository
from postpurchase.adapters.db.returns import tables as rt
from postpurchase.adapters.db.sql import upsert_insert
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    Decision,
    Disposition,
    Exchange,
    ExchangeLine,
    Grade,
    Quote,
    Resolution,
    Return,
    ReturnLine,
    ReturnMethod,
    ReturnPolicy,
    ReturnStatus,
    default_policy,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer.returns.ports import DeliveredLine, OrderFacts, ReturnQuery


def _snapshot(r: Return) -> tuple[Any, ...]:
    return (
        r.status, r.rejection_reason, r.carrier, r.tracking_number, r.resolution_reference,
        r.review_reason, len(r.history), r.exchange.order_id if r.exchange else None,
        r.label_media_id, r.label_cost,
        tuple((x.grade, x.disposition, x.note, tuple(x.photos), x.location) for x in r.lines),
    )  # fmt: skip


_STEP_VERDICTS = {ReturnStatus.APPROVED: "approved", ReturnStatus.REJECTED: "refused"}


class SqlReturnRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._seen: dict[str, tuple[Return, tuple[Any, ...] | None]] = {}

    # ---- writes ------------------------------------------------------------------------------

    def add(self, ret: Return) -> bool:
        """False when the idempotency key was taken meanwhile (nothing written)."""
        stmt = (
            upsert_insert(self.conn, rt.returns)
            .values(**_row(ret))
            .on_conflict_do_nothing()
            .returning(rt.returns.c.id)
        )
        if self.conn.execute(stmt).first() is None:
            return False
        self.conn.execute(insert(rt.return_lines), _line_rows(ret))
        self._seen[ret.id] = (ret, _snapshot(ret))
        return True

    def flush(self) -> None:
        for ret, snap in self._seen.values():
            now = _snapshot(ret)
            if now == snap:
                continue
            row = _row(ret)
            self.conn.execute(
                update(rt.returns)
                .where(rt.returns.c.id == ret.id, rt.returns.c.merchant_id == ret.merchant_id)
                .values({k: v for k, v in row.items() if k not in ("id", "merchant_id")})
            )
            self.conn.execute(delete(rt.return_lines).where(rt.return_lines.c.return_id == ret.id))
            self.conn.execute(insert(rt.return_lines), _line_rows(ret))
            self._seen[ret.id] = (ret, now)

    def aggregates(self) -> Iterator[Return]:
        for ret, _ in self._seen.values():
            yield ret

    def record_decisions(
        self, ret: Return, quote: Quote | None, at: datetime, *, actor: str, note: str = "",
        extra: Sequence[Decision] = (),
    ) -> None:  # fmt: skip
        rows: list[dict[str, Any]] = []
        if quote is not None:
            for d in [*quote.all_decisions(), *extra]:
                rows.append(
                    {"merchant_id": ret.merchant_id, "return_id": ret.id, "line_id": d.line_id,
                     "actor": actor, "rule": d.rule, "verdict": d.verdict.value,
                     "explanation": d.explanation, "status": ret.status.value, "created_at": at}
                )  # fmt: skip
        else:
            rows.append(
                {"merchant_id": ret.merchant_id, "return_id": ret.id, "line_id": None,
                 "actor": actor, "rule": f"manual.{ret.status.value}",
                 "verdict": _STEP_VERDICTS.get(ret.status, "recorded"),
                 "explanation": note, "status": ret.status.value, "created_at": at}
            )  # fmt: skip
        self.flush()
        self.conn.execute(insert(rt.return_decisions), rows)

    # ---- reads -------------------------------------------------------------------------------

    def _load(self, where: Any, *, lock: bool = False, limit: int | None = None) -> list[Return]:
        q = select(rt.returns).where(where).order_by(rt.returns.c.created_at, rt.returns.c.id)
        if limit is not None:
            q = q.limit(limit)
        if lock and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        rows = list(self.conn.execute(q).mappings())
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        lines: dict[str, list[Any]] = {i: [] for i in ids}
        for line in self.conn.execute(
            select(rt.return_lines)
            .where(rt.return_lines.c.return_id.in_(ids))
            .order_by(rt.return_lines.c.return_id, rt.return_lines.c.position)
        ).mappings():
            lines[line["return_id"]].append(line)
        out = []
        for row in rows:
            known = self._seen.get(row["id"])
            if known is not None:
                out.append(known[0])
                continue
            ret = _return(row, lines[row["id"]])
            self._seen[ret.id] = (ret, _snapshot(ret))
            out.append(ret)
        return out

    def get(self, merchant_id: str, return_id: str, *, lock: bool = False) -> Return | None:
        c = rt.returns.c
        found = self._load(and_(c.merchant_id == merchant_id, c.id == return_id), lock=lock)
        return found[0] if found else None

    def by_key(self, merchant_id: str, key: str) -> Return | None:
        c = rt.returns.c
        found = self._load(and_(c.merchant_id == merchant_id, c.idempotency_key == key))
        return found[0] if found else None

    def for_order(self, merchant_id: str, order_id: str) -> list[Return]:
        c = rt.returns.c
        return self._load(and_(c.merchant_id == merchant_id, c.order_id == order_id))

    def by_tracking_number(self, merchant_id: str, number: str) -> list[Return]:
        """The returns travelling in one parcel (a consolidated return shares its number)."""
        c = rt.returns.c
        return self._load(and_(c.merchant_id == merchant_id, c.tracking_number == number))

    def search(self, merchant_id: str, q: ReturnQuery) -> list[Return]:
        """The merchant's returns, oldest first, after ``q.cursor`` (a return id)."""
        c = rt.returns.c
        where = [c.merchant_id == merchant_id]
        if q.status is not None:
            where.append(c.status == q.status.value)
        if q.order_id is not None:
            where.append(c.order_id == q.order_id)
        if q.created_from is not None:
            where.append(c.created_at >= q.created_from)
        if q.created_to is not None:
            where.append(c.created_at < q.created_to)
        if q.needs_review is not None:
            waiting = c.status == ReturnStatus.REQUESTED.value
            where.append(waiting if q.needs_review else ~waiting)
        if q.cursor:
            where.append(c.id > q.cursor)
        sel = select(rt.returns).where(and_(*where)).order_by(c.id).limit(q.limit)
        rows = list(self.conn.execute(sel).mappings())
        ids = [r["id"] for r in rows]
        return self._load(c.id.in_(ids)) if ids else []

    def count_for_customer(
        self, merchant_id: str, email: str, since: datetime, exclude: str | None = None
    ) -> int:
        c = rt.returns.c
        q = select(func.count()).where(
            c.merchant_id == merchant_id,
            c.customer_email == email.lower(),
            c.created_at >= since,
            c.status != ReturnStatus.REJECTED.value,
        )
        if exclude:
            q = q.where(c.id != exclude)
        return int(self.conn.execute(q).scalar_one())


def _row(r: Return) -> dict[str, Any]:
    return {
        "id": r.id, "merchant_id": r.merchant_id, "order_id": r.order_id, "number": r.number,
        "status": r.status.value, "resolution": r.resolution.value, "currency": r.currency,
        "refund": r.refund.amount, "bonus": r.bonus.amount, "fees": r.fees.amount,
        "gift": r.gift, "customer_email": r.customer_email, "gift_email": r.gift_email,
        "idempotency_key": r.idempotency_key,
        "review_reason": r.review_reason, "rejection_reason": r.rejection_reason,
        "carrier": r.carrier, "tracking_number": r.tracking_number,
        "resolution_reference": r.resolution_reference, "policy_version": r.policy_version,
        "history": [[s.value, at.isoformat()] for s, at in r.history],
        "created_at": r.created_at, "updated_at": r.updated_at or r.created_at,
        "method": r.method.value if r.method else None, "co2e_kg": r.co2e_kg,
        "exchange": _exchange_doc(r.exchange),
        "label_media_id": r.label_media_id, "qr_media_id": r.qr_media_id,
        "label_cost": r.label_cost.amount if r.label_cost else None,
        "label_currency": r.label_cost.currency if r.label_cost else None,
    }  # fmt: skip


def _exchange_doc(x: Exchange | None) -> dict[str, Any] | None:
    if x is None:
        return None
    return {
        "lines": [
            {"order_line_id": e.order_line_id, "sku": e.sku, "variant_id": e.variant_id,
             "title": e.title, "quantity": e.quantity, "unit_price": str(e.unit_price.amount)}
            for e in x.lines
        ],
        "charge": str(x.charge.amount),
        "order_id": x.order_id,
    }  # fmt: skip


def _exchange(doc: Any, cur: str) -> Exchange | None:
    if not doc:
        return None
    return Exchange(
        [
            ExchangeLine(e["order_line_id"], e["sku"], e["variant_id"], e["title"],
                         int(e["quantity"]), _money(e["unit_price"], cur))
            for e in doc["lines"]
        ],
        _money(doc["charge"], cur),
        doc.get("order_id"),
    )  # fmt: skip


def _line_rows(r: Return) -> list[dict[str, Any]]:
    return [
        {
            "return_id": r.id,
            "order_line_id": x.order_line_id,
            "position": i,
            "sku": x.sku,
            "quantity": x.quantity,
            "reason_code": x.reason_code,
            "refund": x.refund.amount,
            "rule": x.rule,
            "grade": x.grade.value if x.grade else None,
            "disposition": x.disposition.value if x.disposition else None,
            "note": x.note,
            "photos": list(x.photos) or None,
            "location": x.location,
        }
        for i, x in enumerate(r.lines)
    ]


def _money(value: Any, currency: str) -> Money:
    return Money(Decimal(str(value)), currency)


def _return(row: Any, lines: list[Any]) -> Return:
    cur = row["currency"]
    return Return(
        id=row["id"],
        merchant_id=row["merchant_id"],
        order_id=row["order_id"],
        number=row["number"],
        lines=[
            ReturnLine(
                order_line_id=x["order_line_id"],
                sku=x["sku"],
                quantity=x["quantity"],
                reason_code=x["reason_code"],
                refund=_money(x["refund"], cur),
                rule=x["rule"],
                grade=Grade(x["grade"]) if x["grade"] else None,
                disposition=Disposition(x["disposition"]) if x["disposition"] else None,
                note=x["note"],
                photos=list(x["photos"] or ()),
                location=x["location"],
            )
            for x in lines
        ],
        resolution=Resolution(row["resolution"]),
        currency=cur,
        refund=_money(row["refund"], cur),
        bonus=_money(row["bonus"], cur),
        fees=_money(row["fees"], cur),
        policy_version=row["policy_version"],
        created_at=row["created_at"],
        status=ReturnStatus(row["status"]),
        gift=bool(row["gift"]),
        customer_email=row["customer_email"],
        gift_email=row["gift_email"],
        idempotency_key=row["idempotency_key"],
        review_reason=row["review_reason"],
        rejection_reason=row["rejection_reason"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        resolution_reference=row["resolution_reference"],
        updated_at=row["updated_at"],
        history=[(ReturnStatus(s), datetime.fromisoformat(at)) for s, at in row["history"]],
        method=ReturnMethod(row["method"]) if row["method"] else None,
        co2e_kg=Decimal(str(row["co2e_kg"])) if row["co2e_kg"] is not None else None,
        exchange=_exchange(row["exchange"], cur),
        label_media_id=row["label_media_id"],
        qr_media_id=row["qr_media_id"],
        label_cost=(
            _money(row["label_cost"], row["label_currency"])
            if row["label_cost"] is not None and row["label_currency"]
            else None
        ),
    )


class SqlPolicyStore:
    """Versioned policies: each save is a new version; the newest is the active one."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def active(self, merchant_id: str) -> ReturnPolicy:
        c = rt.return_policies.c
        doc = self.conn.execute(
            select(c.document)
            .where(c.merchant_id == merchant_id)
            .order_by(c.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        return default_policy() if doc is None else policy_from_dict(doc)

    def save(self, merchant_id: str, policy: ReturnPolicy, at: datetime) -> ReturnPolicy:
        c = rt.return_policies.c
        latest = self.conn.execute(
            select(func.max(c.version)).where(c.merchant_id == merchant_id)
        ).scalar_one_or_none()
        version = (latest or 0) + 1
        doc = policy_to_dict(policy)
        doc["version"] = version
        saved = policy_from_dict(doc)
        self.conn.execute(
            insert(rt.return_policies).values(
                merchant_id=merchant_id, version=version, document=doc, created_at=at
            )
        )
        return saved


class SqlLedger:
    """The money ledger: one row per (return, kind); recording twice is refused by the
    unique key, so a refund is never paid twice."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(
        self, ret: Return, kind: str, amount: Money, at: datetime, reference: str | None = None
    ) -> str:
        entry = new_id()
        self.conn.execute(
            insert(rt.return_ledger).values(
                id=entry,
                merchant_id=ret.merchant_id,
                return_id=ret.id,
                order_id=ret.order_id,
                kind=kind,
                currency=amount.currency,
                amount=amount.amount,
                reference=reference,
                created_at=at,
            )
        )
        return f"ledger:{entry}"

    def entries(self, merchant_id: str, return_id: str) -> list[dict[str, object]]:
        c = rt.return_ledger.c
        rows = self.conn.execute(
            select(c.id, c.kind, c.currency, c.amount, c.reference, c.created_at)
            .where(c.merchant_id == merchant_id, c.return_id == return_id)
            .order_by(c.created_at, c.id)
        ).mappings()
        return [dict(r) for r in rows]


class SqlOrderFacts:
    """The order, its delivered quantities per line and the store's refunds per line."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def sold(self, merchant_id: str, since: datetime, until: datetime) -> dict[str, int]:
        return sold_units(self.conn, merchant_id, since, until)

    def facts(self, merchant_id: str, order_id: str, *, lock: bool = False) -> OrderFacts | None:
        """``lock``: hold the order row until commit (PostgreSQL), so two returns asked for
        at once cannot both take the same units."""
        order = SqlOrderRepository(self.conn).get(merchant_id, order_id, lock=lock)
        if order is None:
            return None
        c = t.shipments.c
        delivered: dict[str, DeliveredLine] = {}

        def add(line_id: str, qty: int, at: datetime | None) -> None:
            old = delivered.get(line_id)
            when = max((x for x in (old.delivered_at if old else None, at) if x), default=None)
            delivered[line_id] = DeliveredLine((old.quantity if old else 0) + qty, when)

        for lines, at in self.conn.execute(
            select(c.lines, c.delivered_at).where(
                c.merchant_id == merchant_id,
                c.order_id == order_id,
                c.status == ShipmentStatus.DELIVERED.value,
            )
        ):
            if not lines:  # a parcel that does not say what it carries carries everything
                for line in order.lines:
                    if line.ships:
                        add(line.id, line.quantity, at)
                continue
            for line_id, _sku, qty in lines:
                if line_id:
                    add(line_id, int(qty), at)
        refunded: dict[str, Money] = {}
        for refund in SqlRefundRepository(self.conn).for_order(merchant_id, order_id):
            for rl in refund.lines:
                if rl.line_id and rl.amount.currency == order.currency:
                    refunded[rl.line_id] = (
                        refunded.get(rl.line_id, Money.zero(order.currency)) + rl.amount
                    )
        return OrderFacts(
            order=order,
            delivered=delivered,
            refunded=refunded,
            destination_country=order.shipping_address.country,
            timezone=order.timezone,
        )


def sold_units(
    conn: Connection, merchant_id: str, since: datetime, until: datetime
) -> dict[str, int]:
    """Units sold per SKU in orders placed in ``[since, until)``."""
    o, ol = t.orders.c, t.order_lines.c
    rows = conn.execute(
        select(ol.sku, func.sum(ol.quantity))
        .join_from(t.order_lines, t.orders, o.id == ol.order_id)
        .where(o.merchant_id == merchant_id, o.placed_at >= since, o.placed_at < until)
        .group_by(ol.sku)
    )
    return {str(sku): int(n or 0) for sku, n in rows}


def order_by_token(conn: Connection, token: str) -> tuple[str, str, str] | None:
    """(merchant id, order id, checkout locale) of the order a tracking token opens: the
    shopper's portal uses the same unguessable token as the tracking page."""
    c = t.orders.c
    row = conn.execute(
        select(c.merchant_id, c.id, c.locale).where(c.tracking_token == token)
    ).first()
    return (row[0], row[1], row[2]) if row else None
