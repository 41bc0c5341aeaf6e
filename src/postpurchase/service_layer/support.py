"""Recording a support contact: recognise it, link it to the order, judge the moment.

Why a service: the API and the helpdesk webhook both record contacts, and both must link
and judge them the same way. The rules are pure (domain.support); this composes them with
what the store knows, through the ``ContactStore`` port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Protocol

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.support import (
    order_number_hints,
    preventability,
    recognise,
    state_when_made,
)
from postpurchase.service_layer.ports import Clock

MAX_TAGS = 50


@dataclass(frozen=True, slots=True)
class ContactIn:
    source: str
    ticket_id: str
    customer_email: str | None = None
    subject: str | None = None
    tags: tuple[str, ...] = ()
    intent: str | None = None
    channel: str | None = None
    body: str | None = None
    order_id: str | None = None
    order_number: str | None = None
    contacted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the store knows of the order a contact is about, at the time of the contact."""

    order_id: str
    zone: tzinfo
    promise: date | None
    shipment_id: str | None = None
    carrier: str | None = None
    events: Sequence[tuple[datetime, str]] = field(default_factory=tuple)
    last_flow: str | None = None


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: str
    merchant_id: str
    source: str
    ticket_id: str
    customer_email: str | None
    subject: str | None
    tags: tuple[str, ...]
    intent: str | None
    channel: str | None
    order_status_contact: bool
    recognised_by: str | None
    order_id: str | None
    shipment_id: str | None
    carrier: str | None
    state_when_made: str | None
    preventable: str | None
    last_flow: str | None
    contacted_at: datetime
    recorded_at: datetime


class ContactStore(Protocol):
    def order_facts(
        self,
        merchant_id: str,
        *,
        order_id: str | None,
        numbers: Sequence[str],
        email: str | None,
        at: datetime,
    ) -> OrderFacts | None: ...

    def save(self, row: ContactRow) -> tuple[ContactRow, bool]:
        """Store it; a ticket already recorded (same source and id) is returned as stored,
        with ``False``."""
        ...


def record_contact(
    store: ContactStore, clock: Clock, merchant_id: str, contact: ContactIn, new_id: str
) -> tuple[ContactRow, bool]:
    now = clock.now()
    at = contact.contacted_at or now
    if at.utcoffset() is None:
        raise InvalidInput("contacted_at needs a time zone offset", field="contacted_at")
    if at > now:
        raise InvalidInput("contacted_at is in the future", field="contacted_at")
    if len(contact.tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    seen = recognise(
        intent=contact.intent, tags=contact.tags, subject=contact.subject, body=contact.body
    )
    numbers = ([contact.order_number] if contact.order_number else []) + order_number_hints(
        contact.subject, contact.body
    )
    facts = store.order_facts(
        merchant_id, order_id=contact.order_id, numbers=numbers, email=contact.customer_email,
        at=at,
    )  # fmt: skip
    if contact.order_id is not None and facts is None:
        raise InvalidInput("no such order", field="order_id")
    state = prevent = None
    if facts is not None and seen.order_status:
        judged = state_when_made(
            contacted_at=at, zone=facts.zone, has_shipment=facts.shipment_id is not None,
            events=facts.events, promise=facts.promise,
        )  # fmt: skip
        state = judged.value
        kind = preventability(judged)
        prevent = kind.value if kind is not None else None
    row = ContactRow(
        id=new_id, merchant_id=merchant_id, source=contact.source, ticket_id=contact.ticket_id,
        customer_email=contact.customer_email, subject=contact.subject, tags=contact.tags,
        intent=contact.intent, channel=contact.channel, order_status_contact=seen.order_status,
        recognised_by=seen.by, order_id=facts.order_id if facts else None,
        shipment_id=facts.shipment_id if facts else None,
        carrier=facts.carrier if facts else None, state_when_made=state, preventable=prevent,
        last_flow=facts.last_flow if facts else None, contacted_at=at, recorded_at=now,
    )  # fmt: skip
    return store.save(row)
