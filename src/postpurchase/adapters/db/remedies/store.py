"""Remedies in the database: the merchant's rule, the ledger (one row per order at most),
and the reads of it for the customer timeline and the KPI. Tenant-scoped throughout."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.remedies import tables as rt
from postpurchase.adapters.db.settings_sections import read_section, write_section
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import minor_units
from postpurchase.domain.remedies import Remedy, RemedyRule, rule_from_stored, rule_to_dict
from postpurchase.service_layer.remedies.ports import LedgerEntry

SECTION = "automatic_remedy"  # the rule's key in ``merchants.settings``

L = rt.remedy_ledger.c


def _exact(value: Any, currency: str) -> Decimal:
    """In the currency's minor units (PostgreSQL's NUMERIC(20, 6) gives 4.900000)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-minor_units(currency)))


def _entry(r: Any) -> LedgerEntry:
    return LedgerEntry(
        id=r.id, merchant_id=r.merchant_id, order_id=r.order_id,
        order_number=getattr(r, "number", None), shipment_id=r.shipment_id, kind=r.kind,
        amount=_exact(r.amount, r.currency), currency=r.currency, days_late=r.days_late,
        promised=r.promised, status=r.status, reference=r.reference, error=r.error,
        created_at=r.created_at, updated_at=r.updated_at,
    )  # fmt: skip


def _ledger_query() -> Any:
    return select(rt.remedy_ledger, t.orders.c.number).select_from(
        rt.remedy_ledger.join(t.orders, t.orders.c.id == L.order_id)
    )


class SqlRemedyStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def rule(self, merchant_id: str) -> RemedyRule:
        """The ``automatic_remedy`` section of the merchant's settings (migration 0029 moved
        the rule there from its own table; ADR 0025)."""
        return rule_from_stored(read_section(self.conn, merchant_id, SECTION))

    def acting(self, merchant_ids: set[str]) -> set[str]:
        """Of ``merchant_ids``, those for which a ``ShipmentDelivered`` may do anything here:
        the rule is on, or a pending remedy waits to be finished (``on_delivered_many``
        passes over every other one). Read before the event's outbox row is written
        (ADR 0041)."""
        on = {m for m in merchant_ids if self.rule(m).enabled}
        rest = sorted(merchant_ids - on)
        if rest:
            pending = select(L.merchant_id).where(L.merchant_id.in_(rest), L.status == "pending")
            on.update(self.conn.execute(pending.distinct()).scalars())
        return on

    def save_rule(self, merchant_id: str, rule: RemedyRule, at: datetime) -> None:
        """Write the whole section into the merchant's settings, the rest left as it is."""
        write_section(self.conn, merchant_id, SECTION, rule_to_dict(rule))

    def get(self, merchant_id: str, order_id: str) -> LedgerEntry | None:
        row = self.conn.execute(
            _ledger_query().where(L.merchant_id == merchant_id, L.order_id == order_id)
        ).first()
        return _entry(row) if row is not None else None

    def get_many(self, merchant_id: str, order_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        if not order_ids:
            return {}
        rows = self.conn.execute(
            _ledger_query().where(L.merchant_id == merchant_id, L.order_id.in_(set(order_ids)))
        ).all()
        return {e.order_id: e for e in map(_entry, rows)}

    def begin(
        self, merchant_id: str, order_id: str, shipment_id: str | None, remedy: Remedy,
        at: datetime,
    ) -> LedgerEntry | None:  # fmt: skip
        """Write the pending row; None when the order has one already (the unique
        constraint decides between two workers; a savepoint keeps the transaction usable)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(rt.remedy_ledger).values(
                        id=new_id(), merchant_id=merchant_id, order_id=order_id,
                        shipment_id=shipment_id, kind=remedy.kind.value,
                        currency=remedy.amount.currency, amount=remedy.amount.amount,
                        days_late=remedy.days_late, promised=remedy.promised, status="pending",
                        created_at=at, updated_at=at,
                    )
                )  # fmt: skip
        except IntegrityError:
            return None
        return self.get(merchant_id, order_id)

    def settle(
        self, merchant_id: str, order_id: str, status: str, reference: str | None,
        error: str | None, at: datetime,
    ) -> None:  # fmt: skip
        self.conn.execute(
            update(rt.remedy_ledger)
            .where(L.merchant_id == merchant_id, L.order_id == order_id)
            .values(status=status, reference=reference, error=error, updated_at=at)
        )


# ---- reads (the console's customer timeline, the API, the KPI) ------------------------------


def ledger_page(
    conn: Connection, merchant_id: str, *, limit: int = 50, before: datetime | None = None,
    order_id: str | None = None,
) -> list[LedgerEntry]:  # fmt: skip
    """The merchant's remedies, newest first."""
    q = _ledger_query().where(L.merchant_id == merchant_id)
    if before is not None:
        q = q.where(L.created_at < before)
    if order_id is not None:
        q = q.where(L.order_id == order_id)
    return [_entry(r) for r in conn.execute(q.order_by(L.created_at.desc(), L.id).limit(limit))]


def remedies_for_customer(conn: Connection, merchant_id: str, email: str) -> list[LedgerEntry]:
    """A customer's remedies (by the orders' e-mail, any case), newest first: the customer
    timeline shows them beside the orders, messages and returns."""
    q = _ledger_query().where(
        L.merchant_id == merchant_id,
        t.orders.c.merchant_id == merchant_id,
        func.lower(t.orders.c.email) == email.strip().lower(),
    )
    return [_entry(r) for r in conn.execute(q.order_by(L.created_at.desc(), L.id))]


def remedy_counts(
    conn: Connection, merchant_id: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Per day (UTC) and kind: remedies given and their amount per currency; pending and
    failed ones are counted apart (they are not money given yet)."""
    rows = conn.execute(
        select(L.created_at, L.kind, L.status, L.currency, L.amount).where(
            L.merchant_id == merchant_id, L.created_at >= since, L.created_at < until
        )
    )
    days: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"given": 0, "pending": 0, "failed": 0, "amount": defaultdict(Decimal)}
    )
    for r in rows:
        d = days[(r.created_at.date().isoformat(), r.kind)]
        if r.status in ("issued", "recorded"):
            d["given"] += 1
            d["amount"][r.currency] += _exact(r.amount, r.currency)
        elif r.status == "pending":
            d["pending"] += 1
        else:
            d["failed"] += 1
    return [
        {"day": day, "kind": kind, "given": v["given"], "pending": v["pending"],
         "failed": v["failed"], "amount": {c: str(a) for c, a in sorted(v["amount"].items())}}
        for (day, kind), v in sorted(days.items())
    ]  # fmt: skip
