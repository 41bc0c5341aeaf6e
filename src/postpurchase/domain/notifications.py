"""Proactive notifications, the pure part: which flow an event triggers, whether a message
may go out, when, and which earlier message it replaces.

Everything here is a function of its arguments (no clock, no I/O), so the rules that matter
to shoppers -- never twice, never stale, never at 3 a.m. -- are property-tested directly:

* **Flows** are declared in one place (:data:`FLOWS`); adding one is a :func:`register_flow`
  call plus its templates. Each flow says which outbox topics can trigger it, whether it is
  urgent (skips quiet hours and the burst hold), and its default channels.
* **Dedupe**: one message per flow, subject (order or shipment) and channel -- the key is a
  unique column, so a re-delivered outbox event can never send twice.
* **Bursts collapse**: shipment messages form one "latest update" stream per channel. A newer
  update replaces a still-queued older one; an update older than one already queued or sent
  is stale and suppressed (scans arrive late and out of order).
* **Quiet hours** are wall-clock times in the shopper's zone; :func:`next_send_time` handles
  DST gaps and folds by searching real instants, not by adding hours to local times.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.notification_flows import (
    FLOWS,
    GIFT_CODE_MARK,
    Flow,
    Matcher,
    Trigger,
    addressed_to,
    as_date,
    dedupe_key,
    event_time,
    flow_topics,
    register_flow,
    triggers_for,
)
from postpurchase.domain.notification_preferences import (
    DEFAULT_QUIET_HOURS,
    Branding,
    Preferences,
    QuietHours,
)
from postpurchase.domain.notification_timing import (
    Candidate,
    Decision,
    MessageRef,
    collapse,
    first_instant_at_wall,
    in_quiet_hours,
    next_retry,
    next_send_time,
    retry_delay,
    send_time,
    zone,
)
from postpurchase.domain.notification_vocabulary import (
    DEFAULT_LOCALE,
    DELAY_SUBSTATUSES,
    SUPPORTED_LOCALES,
    Channel,
    MessageStatus,
    SubjectKind,
    normalise_phone,
    pick_locale,
    valid_email,
)

# --------------------------------------------------------------------------- messages


@dataclass(slots=True)
class Message:
    """One message to one recipient on one channel: a row before it is anything else."""

    id: str
    merchant_id: str
    dedupe_key: str
    flow: str
    channel: Channel
    status: MessageStatus
    reason: str
    locale: str
    subject_id: str
    order_id: str | None
    shipment_id: str | None
    customer_id: str | None
    recipient: str | None
    event_topic: str
    event_id: int | None
    event_at: datetime | None
    urgent: bool
    created_at: datetime
    send_after: datetime
    next_attempt_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    provider_id: str | None = None
    unsubscribe_token: str | None = None
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    # attempts claimed for sending but never recorded (the sender died or lost its claim
    # between the provider call and the commit): each was re-sent, a possible duplicate
    unknown_outcomes: int = 0
    # the merchant's template version it was rendered from (0: built-in; None: not
    # rendered), and whether the order was held out of the flow (a template split)
    template_version: int | None = None
    held_out: bool = False
    # The delivery date the message shows (issue 14: every promise shown is recorded, as a
    # promise_records row written with the message); not a column of its own.
    promise: date | None = None

    def ref(self) -> MessageRef:
        return MessageRef(
            self.id, self.flow, self.status, self.event_at, self.channel, self.dedupe_key
        )

    def suppress(self, reason: str, at: datetime) -> None:
        self.status, self.reason, self.updated_at, self.next_attempt_at = (
            MessageStatus.SUPPRESSED, reason, at, None,
        )  # fmt: skip

    def fail(self, reason: str, at: datetime) -> None:
        self.status, self.reason, self.updated_at, self.next_attempt_at = (
            MessageStatus.FAILED, reason, at, None,
        )  # fmt: skip

    def mark_sent(self, at: datetime, provider_id: str | None, via: str) -> None:
        self.status, self.sent_at, self.updated_at = MessageStatus.SENT, at, at
        self.provider_id, self.next_attempt_at = provider_id, None
        self.reason = f"sent via {via}" + (
            f" (attempt {self.attempts + 1})" if self.attempts else ""
        )
        self.attempts += 1


@dataclass(frozen=True, slots=True)
class LineItem:
    name: str
    quantity: int
    subtotal: Money | None  # None: the order is shown in another currency than its prices


@dataclass(frozen=True, slots=True)
class ProductLink:
    """A recommended product in a message: its click link is signed and counted."""

    title: str
    url: str
    image_url: str | None = None
    price: Money | None = None


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Everything a template may show, already chosen (formatting is the renderer's job)."""

    flow: str
    channel: Channel
    locale: str
    timezone: str
    merchant_name: str
    branding: Branding
    customer_name: str | None
    order_number: str
    order_total: Money
    shipping_fee: Money
    lines: Sequence[LineItem]
    placed_at: datetime
    tracking_url: str
    unsubscribe_url: str | None
    survey_url: str | None
    carrier: str | None = None
    tracking_number: str | None = None
    estimate: date | None = None
    previous_estimate: date | None = None
    status: str | None = None
    substatus: str | None = None
    event_at: datetime | None = None
    location: str | None = None
    pickup_until: date | None = None
    remedy: str | None = None
    # The order's money as the shopper paid it: lines are at list price, then these rows.
    items_total: Money | None = None  # the lines at list price (shown when lines have none)
    discount: Money | None = None  # every discount, when there was one
    discount_codes: tuple[str, ...] = ()
    tax: Money | None = None  # when there was tax
    taxes_included: bool = False  # then ``tax`` is part of the prices, not added to them
    # Personalised by order content, delivery history and the merchant's storefront rules.
    headline_item: str | None = None  # the line that matters most (the dearest)
    other_items: int = 0  # how many other lines the order has
    promised: date | None = None  # the original promise, when the delivery came after it
    days_late: int = 0  # > 0: an apology tone in the delivered message
    remedy_kind: str | None = None  # the automatic remedy this late delivery earns
    remedy_amount: Money | None = None
    products: Sequence[ProductLink] = ()  # recommendations (shipped and delivered e-mails)
    return_url: str | None = None  # return flows: the return's page in the portal
    return_amount: Money | None = None  # return_refunded / return_credited
    gift_code: str | None = None  # return_gift_credit: GIFT_CODE_MARK, filled in when sent
    gift_kind: str | None = None  # return_gift_credit: shopify_gift_card | store_credit_code


# --------------------------------------------------------------------------- webhooks, ops


def webhook_event_type(topic: str) -> str:
    """``ShipmentStatusChanged`` -> ``shipment.status_changed`` (the public event name)."""
    words: list[str] = re.findall(r"[A-Z][a-z0-9]*", topic)
    if not words:
        return topic.lower()
    return words[0].lower() + ("." + "_".join(w.lower() for w in words[1:]) if words[1:] else "")


# Domain events merchants can receive as webhooks (internal bookkeeping topics excluded).
WEBHOOK_TOPICS: frozenset[str] = frozenset(
    {
        "OrderPlaced", "OrderCancelled", "OrderStatusChanged", "ShipmentCreated",
        "ShipmentStatusChanged", "ShipmentDelivered", "ShipmentDelayed", "ShipmentException",
        "CarrierEstimateChanged", "TrackingNumberInvalid", "OrderRevised", "RefundRecorded",
    }
)  # fmt: skip

# Events that go into the ops digest: things a person should look at.
OPS_TOPICS: frozenset[str] = frozenset({"ShipmentException", "TrackingNumberInvalid"})


def parse_webhook_topics(topics: Sequence[str]) -> tuple[str, ...]:
    """Accept class names or public names (``shipment.delivered``); ``*`` means all."""
    by_public = {webhook_event_type(t): t for t in WEBHOOK_TOPICS}
    out: list[str] = []
    for i, raw in enumerate(topics):
        if raw == "*":
            return ("*",)
        name = raw if raw in WEBHOOK_TOPICS else by_public.get(raw)
        if name is None:
            raise InvalidInput(f"unknown event type {raw!r}", field=f"topics[{i}]")
        if name not in out:
            out.append(name)
    if not out:
        raise InvalidInput("subscribe to at least one event type, or '*'", field="topics")
    return tuple(sorted(out))


__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_QUIET_HOURS",
    "DELAY_SUBSTATUSES",
    "FLOWS",
    "GIFT_CODE_MARK",
    "OPS_TOPICS",
    "SUPPORTED_LOCALES",
    "WEBHOOK_TOPICS",
    "Branding",
    "Candidate",
    "Channel",
    "Decision",
    "Flow",
    "LineItem",
    "Matcher",
    "Message",
    "MessageContext",
    "MessageRef",
    "MessageStatus",
    "Preferences",
    "ProductLink",
    "QuietHours",
    "SubjectKind",
    "Trigger",
    "addressed_to",
    "as_date",
    "collapse",
    "dedupe_key",
    "event_time",
    "first_instant_at_wall",
    "flow_topics",
    "in_quiet_hours",
    "next_retry",
    "next_send_time",
    "normalise_phone",
    "parse_webhook_topics",
    "pick_locale",
    "register_flow",
    "retry_delay",
    "send_time",
    "triggers_for",
    "valid_email",
    "webhook_event_type",
    "zone",
]
