"""What the background work still has to do, read from the database (cluster-wide).

One place for the backlog figures that ``/healthz/backlog`` shows and ``/metrics`` exports:
they are facts about the shared database, so they are the same whichever API or worker
process is asked, and they stay right with any number of processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.repositories.tracking_events import unfolded


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    depth: int
    oldest_seconds: float | None  # how long the oldest waiting item has waited


@dataclass(frozen=True, slots=True)
class Backlog:
    queues: tuple[Queue, ...]
    notification_failures: dict[str, int]  # by channel, last 24 hours
    unrecognised_codes: dict[str, int]  # by carrier, all time
    # attempts whose outcome is unknown (claimed, never recorded: the sender died or lost
    # its claim) and so were sent again -- possible duplicates -- by channel (email, sms,
    # webhook), rows updated in the last 24 hours
    unknown_outcomes: dict[str, int] = field(default_factory=dict)


def _age(now: datetime, at: datetime | None) -> float | None:
    return round(max((now - at).total_seconds(), 0.0), 1) if at is not None else None


def backlog(conn: Connection, now: datetime) -> Backlog:
    events = t.tracking_events.c
    scans, oldest_id = unfolded(conn)
    oldest_scan = (
        conn.execute(select(events.received_at).where(events.id == oldest_id)).scalar_one_or_none()
        if oldest_id is not None
        else None
    )
    o = t.outbox.c
    outbox, outbox_oldest = conn.execute(
        select(func.count(), func.min(o.created_at)).where(o.processed_at.is_(None))
    ).one()
    w = t.webhook_inbox.c
    inbox, inbox_oldest = conn.execute(
        select(func.count(), func.min(w.received_at)).where(w.processed_at.is_(None))
    ).one()
    m = t.notification_messages.c
    due, due_oldest = conn.execute(
        select(func.count(), func.min(m.send_after)).where(
            m.status == "queued", m.send_after <= now
        )
    ).one()
    failed = {
        str(channel): int(n)
        for channel, n in conn.execute(
            select(m.channel, func.count())
            .where(m.status == "failed", m.updated_at >= now - timedelta(days=1))
            .group_by(m.channel)
        ).all()
    }
    since = now - timedelta(days=1)
    resent = {
        str(channel): int(n or 0)
        for channel, n in conn.execute(
            select(m.channel, func.sum(m.unknown_outcomes))
            .where(m.unknown_outcomes > 0, m.updated_at >= since)
            .group_by(m.channel)
        ).all()
    }
    d = t.webhook_deliveries.c
    hooks = conn.execute(
        select(func.sum(d.unknown_outcomes)).where(d.unknown_outcomes > 0, d.updated_at >= since)
    ).scalar()
    if hooks:
        resent["webhook"] = int(hooks)
    u = t.unrecognised_codes.c
    unknown = {
        str(carrier or "unknown"): int(n or 0)
        for carrier, n in conn.execute(
            select(u.carrier, func.sum(u.count)).group_by(u.carrier)
        ).all()
    }
    return Backlog(
        queues=(
            Queue("tracking_fold", int(scans), _age(now, oldest_scan)),
            Queue("outbox", int(outbox), _age(now, outbox_oldest)),
            Queue("webhook_inbox", int(inbox), _age(now, inbox_oldest)),
            Queue("notifications_due", int(due), _age(now, due_oldest)),
        ),
        notification_failures=failed,
        unrecognised_codes=unknown,
        unknown_outcomes=resent,
    )
