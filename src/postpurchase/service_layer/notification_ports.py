"""Ports of the notification engine: storage, rendering and the channels it sends through.

The service decides; adapters do the I/O. Every channel reports failure by raising
:class:`DeliveryError` saying whether it is worth retrying, so the retry policy lives in one
place (the service) instead of in every provider adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import (
    Channel,
    Message,
    MessageContext,
    MessageRef,
    MessageStatus,
    ProductLink,
)
from postpurchase.domain.orders import Order
from postpurchase.domain.remedies import RemedyRule
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.templates import LocaleTemplate, Split, TemplateVersion

# Internal outbox topics: the outbox schedules and retries deliveries, so a crash between
# "decided" and "sent" loses nothing and quiet hours are just a future ``next_attempt_at``.
MESSAGE_DUE = "NotificationDue"
WEBHOOK_DUE = "WebhookDeliveryDue"
DIGEST_DUE = "OpsDigestDue"
INTERNAL_TOPICS = frozenset({MESSAGE_DUE, WEBHOOK_DUE, DIGEST_DUE})


class DeliveryError(Exception):
    """A channel could not deliver.

    ``permanent``: retrying cannot help (invalid address, refused recipient, 4xx from the
    provider). ``connection``: the provider itself is unreachable, so other messages on the
    same channel should wait too. ``opt_out``: the provider says the recipient opted out
    (SMS "STOP"); we record it so we never try again.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        connection: bool = False,
        opt_out: bool = False,
        status_code: int | None = None,
        attempted: bool = True,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection
        self.attempted = attempted  # False: never handed over (a batch stopped before it)
        self.opt_out = opt_out
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class Personal:
    """What the storefront contexts add to one message: recommended products (with signed
    links) and the merchant's late-delivery remedy rule."""

    products: tuple[ProductLink, ...] = ()
    remedy_rule: RemedyRule | None = None


class Personaliser(Protocol):
    """Reads what a message is personalised with (its own short read; no network)."""

    def __call__(self, merchant_id: str, order: Order, flow: str, now: datetime) -> Personal: ...


class RenderError(Exception):
    """A template failed to render (syntax error, missing string, bad data)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str | None = None


class Renderer(Protocol):
    def render(self, ctx: MessageContext) -> Rendered:
        """Subject and bodies for ``ctx.channel``; raises :class:`RenderError`."""
        ...

    def render_custom(self, ctx: MessageContext, template: LocaleTemplate) -> Rendered:
        """The same from a merchant's own (sandboxed) template version."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    message_id: str
    to: str
    from_name: str
    from_email: str | None  # None: the channel's configured sender
    reply_to: str | None
    subject: str
    text: str
    html: str | None
    unsubscribe_url: str | None
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    message_id: str
    to: str
    body: str


class EmailChannel(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> str | None:
        """Hand the message to the mail server; returns its id (Message-ID) when known."""
        ...


SendOutcome = tuple[str | None, DeliveryError | None]


class AcceptanceWindow(Protocol):
    """The stretch between a provider accepting a message and our record of it: a crash
    there re-sends a message that was received (the only duplicate SMTP allows). The
    service keeps at most one message of a process in it (``acceptance_window``)."""

    def enter(self) -> None:
        """Called by the channel right before the act that makes the provider accept a
        message (SMTP: the end of the data, after the envelope and the content went over);
        returns when no other message of this process is between acceptance and record."""
        ...


class BatchEmailChannel(EmailChannel, Protocol):
    """An e-mail channel that can hand over many messages at once (one SMTP connection for
    all): the sender uses it when present (``notification_delivery``)."""

    def send_many(
        self, emails: Iterable[OutgoingEmail], window: AcceptanceWindow | None = None
    ) -> Iterator[SendOutcome]:
        """One outcome per e-mail pulled from ``emails``, in order, each yielded as soon as
        it is known (so the caller can record it, and claim more, while the connection
        waits): the provider's id, or why not. One recipient's refusal fails that e-mail
        alone. A connection-level failure (``DeliveryError.connection``) is the last
        outcome: the e-mails after it are not pulled. ``window.enter()`` is called before
        each e-mail's acceptance is asked for (none when the e-mail was refused earlier)."""
        ...


class SmsChannel(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> str | None:
        """Hand the message to the provider; returns its id (e.g. Twilio's SID)."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    delivery_id: str
    url: str
    secret: str
    body: bytes
    event_id: str
    event_type: str


class WebhookPoster(Protocol):
    def post(self, request: WebhookRequest) -> int:
        """POST the signed body; the HTTP status code. Network failures raise DeliveryError."""
        ...


class OpsNotifier(Protocol):
    def notify(self, urls: Sequence[str], title: str, body: str) -> None:
        """Send one alert to every URL; raises DeliveryError when none accepted it."""
        ...


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    merchant_id: str
    url: str
    secret: str
    topics: tuple[str, ...]
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class Delivery:
    id: str
    merchant_id: str
    endpoint_id: str
    dedupe_key: str
    event_id: str
    event_type: str
    body: str
    status: MessageStatus
    reason: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_status_code: int | None = None
    last_error: str | None = None
    replay_of: str | None = None
    delivered_at: datetime | None = None
    unknown_outcomes: int = 0  # POSTs claimed but never recorded, each re-sent (see Message)


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    kind: str
    summary: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Scheduled:
    topic: str
    merchant_id: str
    payload: dict[str, Any]
    at: datetime


class NotificationStore(Protocol):
    """Reads and writes inside one transaction (see :class:`NotificationUnitOfWork`)."""

    # context of an event
    def merchant(self, merchant_id: str) -> Merchant | None: ...
    def order(self, merchant_id: str, order_id: str) -> Order | None: ...
    def shipment(self, merchant_id: str, shipment_id: str) -> Shipment | None: ...
    def customer_name(self, merchant_id: str, customer_id: str) -> str | None: ...
    def orders_many(self, merchant_id: str, order_ids: Sequence[str]) -> dict[str, Order]:
        """Many orders in a few statements (batch planning); missing ones are left out."""
        ...

    def lock_shipments(self, merchant_id: str, shipment_ids: Sequence[str]) -> dict[str, Shipment]:
        """Load and lock many shipments (as :meth:`lock_subject` does one), in id order."""
        ...

    def lock_subject(self, merchant_id: str, shipment_id: str) -> None:
        """Serialise planning for one shipment across workers (no-op where writes are
        already serialised, as on SQLite)."""
        ...

    # messages
    def messages_about(self, merchant_id: str, subject_id: str) -> list[MessageRef]:
        """Every message about one order or shipment (all flows and channels)."""
        ...

    def messages_about_many(
        self, merchant_id: str, subject_ids: Sequence[str]
    ) -> dict[str, list[MessageRef]]:
        """:meth:`messages_about` for many subjects in a few statements."""
        ...

    def add_messages(self, messages: Sequence[Message]) -> None:
        """Insert; a row whose dedupe key exists already (a concurrent worker) is skipped."""
        ...

    def supersede(self, merchant_id: str, ids: Sequence[str], reason: str, at: datetime) -> int:
        """Suppress those of ``ids`` that are still queued."""
        ...

    def supersede_many(self, merchant_id: str, rows: Sequence[tuple[str, str, datetime]]) -> None:
        """:meth:`supersede` for many (id, reason, at) in one round trip (batch planning)."""
        ...

    def suppress_queued_for_order(
        self, merchant_id: str, order_id: str, reason: str, at: datetime
    ) -> int: ...
    def get_message(self, message_id: str) -> Message | None:
        """Load and lock the row for this transaction."""
        ...

    def save_message(self, message: Message) -> None: ...
    def get_messages(self, message_ids: Sequence[str]) -> dict[str, Message]:
        """Load and lock many rows (in id order) in one statement; missing ones left out."""
        ...

    def save_messages(self, messages: Sequence[Message]) -> None:
        """:meth:`save_message` for many in one round trip."""
        ...

    def message_by_token(self, token: str) -> Message | None: ...

    # opt-outs
    def opted_out(self, merchant_id: str, channel: Channel, address: str) -> bool: ...
    def opted_out_any(
        self, merchant_id: str, wanted: Sequence[tuple[Channel, str]]
    ) -> set[tuple[Channel, str]]:
        """Which of the (channel, address) pairs opted out, in one query."""
        ...

    def set_opt_out(
        self, merchant_id: str, channel: Channel, address: str, source: str, at: datetime
    ) -> None: ...
    def clear_opt_out(self, merchant_id: str, channel: Channel, address: str) -> bool: ...

    # merchant settings
    def set_merchant_setting(self, merchant_id: str, key: str, value: Any) -> None: ...

    # the merchant's message templates (versions and splits)
    def template_split(self, merchant_id: str, flow: str, channel: str) -> Split | None: ...
    def template_version(
        self, merchant_id: str, flow: str, channel: str, version: int | None
    ) -> TemplateVersion | None: ...

    # webhooks
    def endpoints_for(self, merchant_id: str, topic: str) -> list[Endpoint]: ...
    def active_endpoints(self, merchant_id: str) -> list[Endpoint]:
        """Every active endpoint of the merchant, whatever its topics."""
        ...

    def get_endpoint(self, merchant_id: str, endpoint_id: str) -> Endpoint | None: ...
    def add_endpoint(self, endpoint: Endpoint) -> None: ...
    def save_endpoint(self, endpoint: Endpoint) -> None: ...
    def delete_endpoint(self, merchant_id: str, endpoint_id: str, at: datetime) -> bool: ...
    def record_audit(self, entry: AuditEntry) -> None:
        """An admin action in this transaction (the audit log), so it commits with it."""
        ...

    def add_delivery(self, delivery: Delivery) -> bool: ...
    def get_delivery(self, delivery_id: str, merchant_id: str | None = None) -> Delivery | None:
        """Load and lock; ``merchant_id`` restricts to one tenant (API use)."""
        ...

    def save_delivery(self, delivery: Delivery) -> None: ...
    def event_created_at(self, event_id: int) -> datetime | None: ...

    # ops alerts
    def has_pending_alerts(self, merchant_id: str) -> bool: ...
    def add_alert(
        self,
        merchant_id: str,
        dedupe_key: str,
        kind: str,
        order_id: str | None,
        shipment_id: str | None,
        summary: str,
        at: datetime,
    ) -> bool: ...
    def pending_alerts(self, merchant_id: str, limit: int) -> list[Alert]: ...
    def mark_alerts_sent(self, ids: Sequence[int], at: datetime) -> None: ...

    # scheduling
    def schedule(self, topic: str, merchant_id: str, payload: dict[str, Any], at: datetime) -> None:
        """Write an outbox row due at ``at``: the worker's drain delivers it then."""
        ...

    def schedule_many(self, rows: Sequence[Scheduled]) -> None: ...


class NotificationUnitOfWork(Protocol):
    @property
    def store(self) -> NotificationStore: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
