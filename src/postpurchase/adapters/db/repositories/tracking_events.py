"""Tracking events: stored once per (shipment, fingerprint), marked for the folder, read
back as history; plus the row mapping the ingest benchmark reuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select, text, tuple_, update

from postpurchase.adapters.db import bulk
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.sql import _chunks, one_of
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import Location, TrackingEvent


class SqlTrackingEventStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_new(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        return self._store(merchant_id, items, received_at, queue=False)

    def append(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        return self._store(merchant_id, items, received_at, queue=True)

    def _store(
        self,
        merchant_id: str,
        items: Sequence[tuple[str, TrackingEvent]],
        received_at: datetime,
        *,
        queue: bool,
    ) -> set[tuple[str, str]]:
        """Insert the events not stored before; with ``queue`` mark each new one for the
        folder (``fold_seq``, ADR 0036). Returns (shipment_id, fingerprint) of the new."""
        if not items:
            return set()
        # In key order: two unlocked batches that share re-sent scans then wait on each
        # other's unique-key entries in one order, and cannot deadlock.
        rows = sorted(
            (event_row(merchant_id, sid, e, received_at) for sid, e in items),
            key=lambda r: (r["shipment_id"], r["fingerprint"]),
        )
        if queue:
            seq = _fold_seq(self.conn)
            for row in rows:
                row["fold_seq"] = seq
        key = ("shipment_id", "fingerprint")
        inserted: set[tuple[str, str]] = set()
        for chunk in _chunks(rows, 1000):
            returned = bulk.insert_rows(
                self.conn, t.tracking_events, chunk, on_conflict=key, returning=key
            )
            inserted.update((r[0], r[1]) for r in returned)
        return inserted

    def claim_pending(self, limit: int) -> list[tuple[str, str, TrackingEvent]]:
        """The next deferred scans past the fold mark, in (fold_seq, id) order, and the mark
        moved past them (committed with the fold, or not at all).

        The mark's row is locked for the transaction: folders take turns. On PostgreSQL ids
        are drawn before commit, so a scan with a lower id can commit after one with a
        higher id; only scans up to the horizon (:func:`_horizon`: no deferred accept open
        below it) are taken, and a later one is never passed before it is committed.
        """
        horizon = _horizon(self.conn)
        m, e = t.tracking_fold_mark.c, t.tracking_events.c
        mark = self.conn.execute(select(m.seq, m.event_id).where(m.id == 1).with_for_update()).one()
        q = select(t.tracking_events).where(
            e.fold_seq.is_not(None), tuple_(e.fold_seq, e.id) > tuple_(mark.seq, mark.event_id)
        )
        if horizon is not None:
            q = q.where(e.id <= horizon)
        rows = self.conn.execute(q.order_by(e.fold_seq, e.id).limit(limit)).mappings().all()
        if not rows:
            return []
        last = rows[-1]
        self.conn.execute(
            update(t.tracking_fold_mark)
            .where(m.id == 1)
            .values(seq=last["fold_seq"], event_id=last["id"])
        )
        return [(r["merchant_id"], r["shipment_id"], tracking_event(r)) for r in rows]

    def history(self, shipment_ids: Iterable[str]) -> dict[str, list[TrackingEvent]]:
        ids = sorted(set(shipment_ids))
        out: dict[str, list[TrackingEvent]] = {sid: [] for sid in ids}
        for chunk in _chunks(ids):
            q = select(t.tracking_events).where(
                one_of(self.conn, t.tracking_events.c.shipment_id, chunk)
            )
            for r in self.conn.execute(q).mappings():
                out[r["shipment_id"]].append(tracking_event(r))
        return out


def event_row(
    merchant_id: str, shipment_id: str, e: TrackingEvent, received_at: datetime
) -> dict[str, Any]:
    loc = e.location
    return {
        "merchant_id": merchant_id,
        "shipment_id": shipment_id,
        "fingerprint": e.fingerprint,
        "occurred_at": e.occurred_at,
        "status": e.status.value,
        "substatus": e.substatus,
        "carrier_code": e.carrier_code,
        "description": e.description,
        "city": loc.city if loc else None,
        "region": loc.region if loc else None,
        "postal_code": loc.postal_code if loc else None,
        "country": loc.country if loc else None,
        "source": e.source,
        "source_event_id": e.source_event_id,
        "recognised": e.recognised,
        "correction": e.correction,
        "estimated_delivery": e.estimated_delivery,
        "received_at": received_at,
        "signed_by": e.signed_by,
    }


def tracking_event(r: Any) -> TrackingEvent:
    has_loc = any(r[k] for k in ("city", "region", "postal_code", "country"))
    return TrackingEvent(
        occurred_at=r["occurred_at"],
        status=ShipmentStatus(r["status"]),
        substatus=r["substatus"],
        carrier_code=r["carrier_code"],
        description=r["description"],
        location=Location(r["city"], r["region"], r["postal_code"], r["country"])
        if has_loc
        else None,
        source=r["source"],
        source_event_id=r["source_event_id"],
        recognised=r["recognised"],
        correction=r["correction"],
        estimated_delivery=r["estimated_delivery"],
        fingerprint=r["fingerprint"],
        signed_by=r["signed_by"],
    )


# PostgreSQL: a deferred accept holds this advisory lock shared until it commits; the folder
# takes it exclusively for one statement to learn how far every such transaction is over.
_ACCEPT_LOCK = (0x7472, 0x6B31)  # the two-key form: the outbox's locks use the one-key form
HORIZON_WAIT = timedelta(seconds=2)


def _fold_seq(conn: Connection) -> int:
    """The first part of the fold order of this transaction's deferred scans (ADR 0036);
    on PostgreSQL, first the accept lock, shared, held to the commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:a, :b)"), _lock_key())
    return 0


def _lock_key() -> dict[str, int]:
    return {"a": _ACCEPT_LOCK[0], "b": _ACCEPT_LOCK[1]}


def _horizon(conn: Connection) -> int | None:
    """PostgreSQL: the highest scan id below which every deferred scan is committed (or
    rolled back). Got while no deferred accept is open: the accept lock taken exclusively
    (waiting for open accepts to end; new ones wait behind it for these two statements),
    then, in a new statement and so a new snapshot, the highest id, and the lock let go.
    Ids come from one sequence (no per-session cache): an accept that starts after gets a
    higher id. SQLite has one writer, and the fold holds it: no horizon needed."""
    if conn.dialect.name != "postgresql":
        return None
    # A wait bounded by HORIZON_WAIT: an accept stuck open (a hung API process) fails this
    # fold, which is retried, instead of holding every new accept queued behind the folder.
    was = conn.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    wait = f"{int(HORIZON_WAIT.total_seconds() * 1000)}ms"
    conn.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": wait})
    conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), _lock_key())
    try:
        top = conn.execute(
            text(
                "SELECT (SELECT max(id) FROM tracking_events), pg_advisory_unlock(:a, :b),"
                " set_config('lock_timeout', :was, true)"
            ),
            {**_lock_key(), "was": was},
        ).one()[0]
    except BaseException:
        conn.invalidate()  # the session ends, and the lock with it
        raise
    return int(top) if top is not None else 0


def unfolded(conn: Connection, merchant_id: str | None = None) -> tuple[int, int | None]:
    """Deferred scans not yet folded (of one merchant, or all): how many, and the id of
    the next one to fold."""
    m, e = t.tracking_fold_mark.c, t.tracking_events.c
    mark = conn.execute(select(m.seq, m.event_id).where(m.id == 1)).one()
    past = and_(e.fold_seq.is_not(None), tuple_(e.fold_seq, e.id) > tuple_(mark.seq, mark.event_id))
    if merchant_id is not None:
        past = and_(past, e.merchant_id == merchant_id)
    n = conn.execute(select(func.count()).select_from(t.tracking_events).where(past)).scalar_one()
    first = conn.execute(
        select(e.id).where(past).order_by(e.fold_seq, e.id).limit(1)
    ).scalar_one_or_none()
    return int(n), first
