"""The store's ``supersede_many`` (a planning run's supersedes, one statement on PostgreSQL:
``bulk_pg``) does what the row-by-row UPDATEs did, on both databases: queued messages of
the merchant suppressed with their reason and time; sent ones, another merchant's, and
unknown ids untouched; a message named twice keeps the first reason."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from postpurchase.domain.ids import new_id
from postpurchase.domain.notifications import Channel, Message, MessageStatus
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.integration.notifications.conftest import make_notify, quiet_settings


def _message(merchant_id: str, status: MessageStatus, at: object) -> Message:
    return Message(
        id=new_id(), merchant_id=merchant_id, dedupe_key=new_id(), flow="shipped",
        channel=Channel.EMAIL, status=status, reason="queued", locale="en",
        subject_id=new_id(), order_id=None, shipment_id=None, customer_id=None,
        recipient="a@example.com", event_topic="ShipmentStatusChanged", event_id=1,
        event_at=at, urgent=False, created_at=at, send_after=at, updated_at=at,  # type: ignore[arg-type]
        next_attempt_at=at,  # type: ignore[arg-type]
    )  # fmt: skip


def test_supersede_many_matches_the_row_by_row_updates(engine: Engine) -> None:
    n = make_notify(engine, quiet_settings())
    other, *_ = handlers.create_merchant(n.platform.uow(), n.clock, "Other " + ref())
    now = n.clock.now()
    queued, twice, sent = (_message(n.merchant.id, MessageStatus.QUEUED, now) for _ in range(3))
    sent.status = MessageStatus.SENT
    theirs = _message(other.id, MessageStatus.QUEUED, now)
    later = now + timedelta(minutes=1)
    with n.service.uow() as uow:
        uow.store.add_messages([queued, twice, sent, theirs])
        uow.store.supersede_many(
            n.merchant.id,
            [
                (queued.id, "superseded by the newer 'delivered' update", later),
                (twice.id, "first", later),
                (twice.id, "second", later + timedelta(minutes=1)),
                (sent.id, "never", later),
                (theirs.id, "never", later),
                (new_id(), "never", later),
            ],
        )
        uow.commit()
    with n.service.uow() as uow:
        got = uow.store.get_messages([queued.id, twice.id, sent.id, theirs.id])
    assert (got[queued.id].status, got[queued.id].reason) == (
        MessageStatus.SUPPRESSED,
        "superseded by the newer 'delivered' update",
    )
    assert got[queued.id].updated_at == later and got[queued.id].next_attempt_at is None
    assert (got[twice.id].status, got[twice.id].reason) == (MessageStatus.SUPPRESSED, "first")
    assert (got[sent.id].status, got[sent.id].reason) == (MessageStatus.SENT, "queued")
    assert (got[theirs.id].status, got[theirs.id].reason) == (MessageStatus.QUEUED, "queued")
    assert got[theirs.id].next_attempt_at == now
