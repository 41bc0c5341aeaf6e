"""The notification engine: from a committed domain event to the right message, once.

It runs as an outbox subscriber, so it only ever sees events that were committed, and the
outbox retries it until it succeeds. It is therefore written to be idempotent: every row it
creates has a unique dedupe key, and every delivery re-checks the row's status under a lock
before sending.

Two phases, each one transaction:

1. **Plan** (domain events): decide, per flow and channel, whether a message goes out; write
   the message row -- queued with its send time, or suppressed/failed with the reason -- plus
   webhook deliveries and ops alerts, and a due row in the outbox for each delivery.
2. **Deliver** (internal due topics): send one message / webhook / digest; on a transient
   failure schedule the next attempt with backoff, on a permanent one record why.

Bad input never raises out of here: a template error, a missing or invalid address or a
provider refusal ends as a failed or suppressed row with its reason. Only infrastructure
errors (the database itself) propagate, and the outbox retries those.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.ids import new_id, new_token
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.money import total
from postpurchase.domain.notifications import (
    FLOWS,
    OPS_TOPICS,
    WEBHOOK_TOPICS,
    Candidate,
    Channel,
    LineItem,
    Message,
    MessageContext,
    MessageRef,
    MessageStatus,
    Preferences,
    SubjectKind,
    Trigger,
    as_date,
    collapse,
    dedupe_key,
    flow_topics,
    next_retry,
    normalise_phone,
    parse_webhook_topics,
    pick_locale,
    send_time,
    triggers_for,
    valid_email,
    webhook_event_type,
    zone,
)
from postpurchase.domain.order_details import as_the_shopper_paid
from postpurchase.domain.orders import Order
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.status import OrderStatus
from postpurchase.service_layer.notification_ports import (
    DIGEST_DUE,
    MESSAGE_DUE,
    WEBHOOK_DUE,
    Delivery,
    DeliveryError,
    EmailChannel,
    Endpoint,
    NotificationStore,
    NotificationUnitOfWork,
    OpsNotifier,
    OutgoingEmail,
    OutgoingSms,
    Renderer,
    Scheduled,
    SmsChannel,
    WebhookPoster,
    WebhookRequest,
)
from postpurchase.service_layer.ports import Clock

logger = logging.getLogger(__name__)

_MAX_ERROR = 500
_SENDING = "sending"  # the reason of a message or delivery claimed for sending


@dataclass(slots=True)
class _Claim:
    """A message or delivery claimed for sending, as its row says while the claim holds."""

    until: datetime | None
    reason: str

    def holds(self, row: Message | Delivery) -> bool:
        return row.status is MessageStatus.QUEUED and (row.next_attempt_at, row.reason) == (
            self.until,
            self.reason,
        )


class InFlight(Exception):
    """Another worker is sending this very message or delivery right now. Raised so the
    outbox retries the due row a little later instead of settling it: should that worker
    die mid-send, its lease runs out and the retry sends."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Platform-wide knobs (merchants tune the rest in their :class:`Preferences`)."""

    base_url: str
    defaults: Preferences = field(default_factory=Preferences)
    give_up_after: timedelta = timedelta(hours=24)
    retry_base_seconds: float = 30.0
    breaker_seconds: float = 30.0
    digest_minutes: int = 15
    digest_max_alerts: int = 50
    ops_urls: tuple[str, ...] = ()
    merchant_cache_seconds: float = 5.0  # settings changed elsewhere apply within this
    sent_page: bool = False  # the demo's page listing every message (no auth): opt-in
    # A claim for sending runs out after send_lease unless renewed; the sender renews it
    # every send_beat while the provider call lasts, so a living sender keeps it however
    # slow the provider, and a dead one's message is due again within send_lease.
    send_lease: timedelta = timedelta(seconds=15)
    send_beat: timedelta = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Channels:
    email: EmailChannel | None = None
    sms: SmsChannel | None = None
    webhooks: WebhookPoster | None = None
    ops: OpsNotifier | None = None

    def for_messages(self) -> list[Channel]:
        """Only configured channels produce rows: an unconfigured SMS provider is not a
        reason worth recording on every event."""
        out = []
        if self.email is not None:
            out.append(Channel.EMAIL)
        if self.sms is not None:
            out.append(Channel.SMS)
        return out


@dataclass(frozen=True, slots=True)
class UnsubscribeInfo:
    merchant_name: str
    channel: Channel
    address: str
    opted_out: bool
    locale: str = "en"


@dataclass(slots=True)
class _Plan:
    """What one event decided, written at the end in a handful of statements."""

    known: dict[str, list[MessageRef]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    supersede: list[tuple[Sequence[str], str]] = field(default_factory=list)
    scheduled: list[Scheduled] = field(default_factory=list)


def _is_progress(flow: str) -> bool:
    found = FLOWS.get(flow)
    return found is not None and found.progress


def mask(address: str) -> str:
    """``ada@example.com`` -> ``a**@example.com``: enough to recognise, not to harvest."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return local[:1] + "*" * max(len(local) - 1, 2) + "@" + domain
    return "*" * max(len(address) - 4, 2) + address[-4:]


def _short(exc: BaseException) -> str:
    return f"{exc}"[:_MAX_ERROR] or type(exc).__name__


def _outcome_unknown(row: Message | Delivery, what: str) -> bool:
    """Is ``row`` (due, so any claim on it has run out) still claimed for sending? Then its
    last attempt was claimed -- committed before the provider call -- but its outcome was
    never recorded: the sender died (kill -9, a lost host) or lost its claim between the
    call and the commit. Whether the provider accepted it cannot be known (SMTP and
    Twilio's Messages API take no idempotency key), so it is sent again, as the same
    message, and counted: the attempt in ``attempts`` and in ``unknown_outcomes``, which
    the ops view and ``/metrics`` report as possible duplicates. A message that nobody
    claimed, or whose outcome was recorded, is never re-sent this way."""
    if not row.reason.startswith(_SENDING):
        return False
    row.attempts += 1
    row.unknown_outcomes += 1
    logger.warning(
        "%s: the outcome of attempt %d is unknown (claimed for sending, never recorded); "
        "sending it again as the same message",
        what,
        row.attempts,
        extra={"unknown_outcomes": row.unknown_outcomes},
    )
    return True


def _attempt(attempts: int, resend: bool) -> str:
    if resend:
        return f"attempt {attempts + 1}, re-sent: the outcome of attempt {attempts} is unknown"
    return f"attempt {attempts + 1}"


def _possible_duplicate(unknown: int, same: str) -> str:
    if not unknown:
        return ""
    earlier = "1 earlier attempt" if unknown == 1 else f"{unknown} earlier attempts"
    return f"; outcome unknown for {earlier}: possibly received twice ({same})"


class NotificationService:
    """Plans and delivers messages, webhooks and ops digests. One per process."""

    def __init__(
        self,
        uow: Callable[[], NotificationUnitOfWork],
        clock: Clock,
        renderer: Renderer,
        channels: Channels,
        config: ServiceConfig,
        nudge: Callable[[], None] = lambda: None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.renderer = renderer
        self.channels = channels
        self.config = config
        self.nudge = nudge
        self._down_until: dict[str, datetime] = {}  # circuit breaker per channel
        self._merchants: dict[str, tuple[float, Merchant | None]] = {}

    def _merchant(self, s: NotificationStore, merchant_id: str) -> Merchant | None:
        """Merchants (settings, branding) cached briefly: every event needs them."""
        now = time.monotonic()
        hit = self._merchants.get(merchant_id)
        if hit is not None and now - hit[0] < self.config.merchant_cache_seconds:
            return hit[1]
        merchant = s.merchant(merchant_id)
        if len(self._merchants) > 10_000:
            self._merchants.clear()
        self._merchants[merchant_id] = (now, merchant)
        return merchant

    # ------------------------------------------------------------------ entry point

    def handle(self, event_id: int, topic: str, payload: Mapping[str, Any]) -> None:
        """The outbox subscriber: one committed event (or one due delivery)."""
        if topic == MESSAGE_DUE:
            self.deliver_message(str(payload["message_id"]))
        elif topic == WEBHOOK_DUE:
            self.deliver_webhook(str(payload["delivery_id"]))
        elif topic == DIGEST_DUE:
            self.send_digest(str(payload["merchant_id"]))
        else:
            self.plan(event_id, topic, payload)

    @staticmethod
    def topics() -> frozenset[str]:
        """Every outbox topic this service must be subscribed to."""
        return flow_topics() | WEBHOOK_TOPICS | OPS_TOPICS | {"OrderCancelled"} | {
            MESSAGE_DUE, WEBHOOK_DUE, DIGEST_DUE,
        }  # fmt: skip

    def preferences(self, merchant: Merchant) -> Preferences:
        """The merchant's settings over the platform defaults. Stored settings were validated
        on write; should they still be unreadable we fall back rather than go silent."""
        try:
            return Preferences.parse(
                merchant.settings.get("notifications"),
                branding=merchant.settings.get("branding"),
                defaults=self.config.defaults,
            )
        except InvalidInput as exc:
            logger.warning("merchant %s: bad notification settings (%s)", merchant.id, exc)
            return self.config.defaults

    def preferences_of(self, merchant_id: str) -> Preferences:
        """Preferences read fresh from storage (callers may hold a cached merchant)."""
        with self.uow() as uow:
            merchant = uow.store.merchant(merchant_id)
        if merchant is None:
            raise NotFound("no such merchant", field="merchant")
        return self.preferences(merchant)

    # ------------------------------------------------------------------ plan

    def plan(self, event_id: int, topic: str, payload: Mapping[str, Any]) -> None:
        """Decide and record (one transaction); then send what is due right now.

        Sending straight after the commit saves a trip through the queue for urgent
        messages; should it fail, the message is already a queued row with a due entry in
        the outbox, so the ordinary retry path takes over.
        """
        merchant_id = payload.get("merchant_id")
        if not isinstance(merchant_id, str):
            logger.warning("outbox %s (%s) has no merchant_id; ignored", event_id, topic)
            return
        now = self.clock.now()
        due_now: list[str] = []
        hooks_due = False
        with self.uow() as uow:
            s = uow.store
            merchant = self._merchant(s, merchant_id)
            if merchant is None:
                return
            prefs = self.preferences(merchant)
            if topic == "OrderCancelled" and isinstance(payload.get("order_id"), str):
                s.suppress_queued_for_order(
                    merchant_id, payload["order_id"], "order was cancelled", now
                )
            if topic in flow_topics():
                due_now = self._plan_messages(s, merchant, prefs, event_id, topic, payload, now)
            if topic in WEBHOOK_TOPICS and self.channels.webhooks is not None:
                hooks_due = self._fan_out_webhooks(s, merchant_id, event_id, topic, payload, now)
            if topic in OPS_TOPICS:
                self._record_alert(s, merchant_id, prefs, event_id, topic, payload, now)
            uow.commit()
        for message_id in due_now:
            try:
                self.deliver_message(message_id)
            except InFlight:
                pass  # its due row was faster
            except Exception:  # its due row retries it; the event itself is done
                logger.exception("sending message %s right after planning failed", message_id)
        if hooks_due:
            self.nudge()

    def _plan_messages(
        self,
        s: NotificationStore,
        merchant: Merchant,
        prefs: Preferences,
        event_id: int,
        topic: str,
        payload: Mapping[str, Any],
        now: datetime,
    ) -> list[str]:
        """Decide every message this event causes, then write them in a few statements.
        Returns the ids of messages due right now."""
        order_id = payload.get("order_id")
        if not isinstance(order_id, str):
            return []
        order = s.order(merchant.id, order_id)
        if order is None:
            return []
        sid = payload.get("shipment_id")
        shipment = s.shipment(merchant.id, sid) if isinstance(sid, str) else None
        fallback = shipment.created_at if shipment is not None else order.placed_at
        triggers = [
            trig
            for trig in triggers_for(topic, payload, prefs, fallback_time=fallback)
            if trig.subject_kind is not SubjectKind.SHIPMENT or shipment is not None
        ]
        channels = self.channels.for_messages()
        if not triggers or not channels:
            return []
        recipients = {ch: self._recipient(order, ch) for ch in channels}
        opted = s.opted_out_any(
            merchant.id, [(ch, addr) for ch, (addr, _) in recipients.items() if addr]
        )
        plan = _Plan()
        for trig in triggers:
            if trig.subject_id not in plan.known:
                if trig.subject_kind is SubjectKind.SHIPMENT:
                    s.lock_subject(merchant.id, trig.subject_id)
                plan.known[trig.subject_id] = s.messages_about(merchant.id, trig.subject_id)
            for channel in channels:
                recipient, problem = recipients[channel]
                self._plan_one(
                    plan, merchant, prefs, order, shipment, trig, channel, event_id, topic, now,
                    recipient, problem, (channel, recipient or "") in opted,
                )  # fmt: skip
        s.add_messages(plan.messages)
        for ids, reason in plan.supersede:
            s.supersede(merchant.id, ids, reason, now)
        s.schedule_many(plan.scheduled)
        return [str(row.payload["message_id"]) for row in plan.scheduled if row.at <= now]

    def _plan_one(
        self,
        plan: _Plan,
        merchant: Merchant,
        prefs: Preferences,
        order: Order,
        shipment: Shipment | None,
        trig: Trigger,
        channel: Channel,
        event_id: int,
        topic: str,
        now: datetime,
        recipient: str | None,
        problem: str,
        opted_out: bool,
    ) -> None:
        key = dedupe_key(trig.flow, trig.subject_id, channel)
        known = plan.known[trig.subject_id]
        if any(ref.dedupe_key == key for ref in known):
            return  # never twice: the first row already says what happened
        flow = FLOWS[trig.flow]
        tz = zone(order.timezone, merchant.timezone)
        msg = Message(
            id=new_id(), merchant_id=merchant.id, dedupe_key=key, flow=flow.name,
            channel=channel, status=MessageStatus.QUEUED, reason="queued",
            locale=pick_locale(order.locale, merchant.locale), subject_id=trig.subject_id,
            order_id=order.id, shipment_id=trig.shipment_id, customer_id=order.customer_id,
            recipient=recipient, event_topic=topic, event_id=event_id, event_at=trig.event_at,
            urgent=flow.urgent, created_at=now, send_after=now, updated_at=now,
        )  # fmt: skip
        age_limit = timedelta(hours=prefs.max_event_age_hours)
        supersede: Sequence[str] = ()
        if not prefs.enabled(flow, channel):
            msg.suppress(f"the '{flow.name}' flow is switched off for {channel}", now)
        elif order.status is OrderStatus.CANCELLED:
            msg.suppress("order was cancelled", now)
        elif trig.happened_at is not None and now - trig.happened_at > age_limit:
            hours = int((now - trig.happened_at).total_seconds() // 3600)
            msg.suppress(
                f"event is {hours} h old (limit {prefs.max_event_age_hours} h): no longer news",
                now,
            )
        elif recipient is None:
            (msg.fail if problem.startswith("invalid") else msg.suppress)(problem, now)
        elif opted_out:
            msg.suppress(f"recipient opted out of {channel}", now)
        else:
            if flow.progress and trig.subject_kind is SubjectKind.SHIPMENT:
                stream = [r for r in known if r.channel is channel and _is_progress(r.flow)]
                decision = collapse(stream, Candidate(flow.name, trig.event_at))
                if not decision.queue:
                    msg.suppress(decision.reason, now)
                supersede = decision.supersede
            if msg.status is MessageStatus.QUEUED:
                self._render_into(msg, merchant, prefs, order, shipment, trig, tz, now)
        if msg.status is MessageStatus.QUEUED:
            at, why = send_time(
                now, urgent=flow.urgent, tz=tz, quiet=prefs.quiet_hours,
                collapse_seconds=prefs.collapse_seconds,
            )  # fmt: skip
            msg.send_after = msg.next_attempt_at = at
            msg.reason = f"queued: {why}"
            plan.scheduled.append(Scheduled(MESSAGE_DUE, merchant.id, {"message_id": msg.id}, at))
            if supersede:
                plan.supersede.append((supersede, f"superseded by the newer '{flow.name}' update"))
                gone = set(supersede)
                plan.known[trig.subject_id] = known = [
                    replace(r, status=MessageStatus.SUPPRESSED) if r.id in gone else r
                    for r in known
                ]
        plan.messages.append(msg)
        known.append(msg.ref())

    @staticmethod
    def _recipient(order: Order, channel: Channel) -> tuple[str | None, str]:
        """The address to use, or None and why not (``invalid...`` means failed)."""
        if channel is Channel.EMAIL:
            email = (order.email or "").strip().lower()
            if not email:
                return None, "no email address on the order"
            if not valid_email(email):
                return None, f"invalid email address {email!r}"
            return email, ""
        raw = order.phone or order.shipping_address.phone
        if not raw:
            return None, "no phone number on the order"
        phone = normalise_phone(raw, order.shipping_address.country)
        if phone is None:
            return None, f"invalid phone number {raw!r}: not convertible to E.164"
        return phone, ""

    def _render_into(
        self,
        msg: Message,
        merchant: Merchant,
        prefs: Preferences,
        order: Order,
        shipment: Shipment | None,
        trig: Trigger,
        tz: ZoneInfo,
        now: datetime,
    ) -> None:
        msg.unsubscribe_token = new_token(24)
        ctx = self.context(msg, merchant, prefs, order, shipment, trig, tz.key, now)
        try:
            rendered = self.renderer.render(ctx)
        except Exception as exc:  # a broken template must not stop the other messages
            msg.fail(f"template error: {_short(exc)}", now)
            msg.unsubscribe_token = None
            return
        msg.subject, msg.body_text, msg.body_html = rendered.subject, rendered.text, rendered.html

    def context(
        self,
        msg: Message,
        merchant: Merchant,
        prefs: Preferences,
        order: Order,
        shipment: Shipment | None,
        trig: Trigger,
        tz_name: str,
        now: datetime,
    ) -> MessageContext:
        base = self.config.base_url.rstrip("/")
        state = shipment.state if shipment is not None else None
        estimate = state.carrier_estimate if state and state.carrier_estimate else None
        if estimate is None and order.promise is not None:
            estimate = order.promise.latest
        previous = trig.details.get("previous") if trig.flow == "estimate_changed" else None
        pickup_until = None
        if trig.flow == "available_for_pickup":
            since = (state.status_at if state and state.status_at else now).astimezone(
                zone(tz_name)
            )
            pickup_until = since.date() + timedelta(days=prefs.pickup_hold_days)
        shown = [li for li in order.lines if not li.facts.removed]
        items, paid, converted = as_the_shopper_paid(
            total([li.subtotal for li in shown], order.currency), order.money, order.details
        )
        # What the lines' list prices lose to discounts; shipping discounts are already out
        # of the shipping fee, so items - discount + shipping (+ tax) = total.
        discount = items - paid.subtotal
        return MessageContext(
            flow=msg.flow,
            channel=msg.channel,
            locale=msg.locale,
            timezone=tz_name,
            merchant_name=merchant.name,
            branding=prefs.branding,
            customer_name=order.shipping_address.name,
            order_number=order.number,
            order_total=paid.total,
            shipping_fee=paid.shipping,
            lines=tuple(
                LineItem(li.name, li.quantity, None if converted else li.subtotal) for li in shown
            ),
            items_total=items,
            placed_at=order.placed_at,
            tracking_url=f"{base}/t/{order.tracking_token}",
            unsubscribe_url=(
                f"{base}/notifications/unsubscribe/{msg.unsubscribe_token}"
                if msg.unsubscribe_token
                else None
            ),
            survey_url=f"{base}/t/{order.tracking_token}/survey"
            if msg.flow == "delivered"
            else None,
            carrier=shipment.carrier if shipment else None,
            tracking_number=shipment.tracking_number if shipment else None,
            estimate=estimate,
            previous_estimate=as_date(previous),
            status=state.status.value if state else None,
            substatus=state.substatus if state else None,
            event_at=trig.event_at,
            location=state.last_location.label() if state and state.last_location else None,
            pickup_until=pickup_until,
            discount=discount if discount.amount > 0 else None,
            discount_codes=tuple(d.code for d in order.details.discounts if d.code),
            tax=paid.tax if paid.tax.amount else None,
            taxes_included=paid.taxes_included,
            remedy=prefs.remedy.get(msg.flow),
        )

    # ------------------------------------------------------------------ deliver messages

    def deliver_message(self, message_id: str) -> None:
        """Claim, commit, send, record: no network I/O while a transaction is open (on
        SQLite an open writing transaction holds the one write lock, so a slow mail server
        would stall every API write). The claim moves ``next_attempt_at`` a lease ahead, so
        no other worker sends it meanwhile."""
        now = self.clock.now()
        with self.uow() as uow:
            s = uow.store
            msg = s.get_message(message_id)
            if msg is None or msg.status is not MessageStatus.QUEUED:
                return  # sent, superseded or failed meanwhile: a stale due row
            if msg.next_attempt_at is not None and msg.next_attempt_at > now:
                if msg.reason.startswith(_SENDING):
                    raise InFlight(f"message {message_id} is being sent")
                return  # rescheduled; its own due row will come
            resend = _outcome_unknown(msg, f"message {msg.id} ({msg.channel})")
            outgoing = self._claim(s, msg, now, resend=resend)
            s.save_message(msg)
            uow.commit()
        if outgoing is None:
            return  # decided without sending (suppressed, failed or waiting)
        claim = _Claim(msg.next_attempt_at, msg.reason)

        def renew(until: datetime) -> bool:
            with self.uow() as uow:
                current = uow.store.get_message(message_id)
                if current is None or not claim.holds(current):
                    return False
                current.next_attempt_at = until
                uow.store.save_message(current)
                uow.commit()
            claim.until = until
            return True

        with self._kept(renew):
            provider_id, error = self._send(msg, outgoing)
        with self.uow() as uow:
            s = uow.store
            current = s.get_message(message_id)
            if current is None:
                return
            if error is None:
                # it went out: say so, even if the row was superseded while on the wire
                self._down_until.pop(msg.channel.value, None)
                current.attempts = max(current.attempts, msg.attempts)
                current.mark_sent(self.clock.now(), provider_id, self._provider_name(msg))
                current.reason += _possible_duplicate(
                    current.unknown_outcomes,
                    "same Message-ID" if msg.channel is Channel.EMAIL else "same text",
                )
            elif claim.holds(current):
                self._failed_send(s, current, error, self.clock.now())
            else:
                return  # decided elsewhere while we were sending (superseded, cancelled)
            s.save_message(current)
            uow.commit()

    @contextmanager
    def _kept(self, renew: Callable[[datetime], bool]) -> Iterator[None]:
        """While the provider call lasts, renew the claim every ``send_beat`` (from a
        thread of its own, in short transactions of its own; a fast send never renews)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.config.send_beat.total_seconds()):
                try:
                    if not renew(self.clock.now() + self.config.send_lease):
                        return  # decided elsewhere meanwhile
                except Exception:
                    logger.warning("renewing a send claim failed", exc_info=True)

        thread = threading.Thread(target=beat, name="send-claim", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _provider_name(self, msg: Message) -> str:
        provider = self.channels.email if msg.channel is Channel.EMAIL else self.channels.sms
        return provider.name if provider is not None else str(msg.channel)

    def _claim(
        self, s: NotificationStore, msg: Message, now: datetime, *, resend: bool = False
    ) -> OutgoingEmail | OutgoingSms | None:
        """What to send, with the message claimed for sending; or None with the message
        decided (failed, suppressed, or rescheduled while its channel is down). ``resend``:
        the previous attempt's outcome is unknown (see :func:`_outcome_unknown`)."""
        channel = msg.channel
        merchant = self._merchant(s, msg.merchant_id)
        if merchant is None or msg.recipient is None:
            msg.fail("merchant or recipient no longer exists", now)
            return None
        if s.opted_out(msg.merchant_id, channel, msg.recipient):
            msg.suppress(f"recipient opted out of {channel} before it was sent", now)
            return None
        provider: EmailChannel | SmsChannel | None = (
            self.channels.email if channel is Channel.EMAIL else self.channels.sms
        )
        if provider is None:
            msg.fail(f"{channel} is no longer configured", now)
            return None
        down = self._down_until.get(channel.value)
        if down is not None and down > now:
            self._retry(s, msg, f"{provider.name} unavailable, waiting", now, not_before=down)
            return None
        outgoing: OutgoingEmail | OutgoingSms = (
            self._email(msg, merchant)
            if channel is Channel.EMAIL
            else OutgoingSms(msg.id, msg.recipient, msg.body_text or "")
        )
        msg.next_attempt_at, msg.updated_at = now + self.config.send_lease, now
        msg.reason = f"{_SENDING} via {provider.name} ({_attempt(msg.attempts, resend)})"
        return outgoing

    def _send(
        self, msg: Message, outgoing: OutgoingEmail | OutgoingSms
    ) -> tuple[str | None, DeliveryError | None]:
        """The provider's id, or the error (no transaction is open here)."""
        try:
            if isinstance(outgoing, OutgoingEmail):
                assert self.channels.email is not None
                return self.channels.email.send(outgoing), None
            assert self.channels.sms is not None
            return self.channels.sms.send(outgoing), None
        except DeliveryError as exc:
            return None, exc
        except Exception as exc:  # an adapter bug must not wedge the queue: retry, then give up
            logger.exception("%s failed unexpectedly on message %s", msg.channel, msg.id)
            return None, DeliveryError(f"{type(exc).__name__}: {_short(exc)}", permanent=False)

    def _failed_send(
        self, s: NotificationStore, msg: Message, exc: DeliveryError, now: datetime
    ) -> None:
        channel, name = msg.channel, self._provider_name(msg)
        msg.attempts += 1
        if exc.permanent:
            msg.last_error = _short(exc)
            msg.fail(f"permanent error from {name}: {_short(exc)}", now)
            if exc.opt_out and msg.recipient is not None:
                s.set_opt_out(msg.merchant_id, channel, msg.recipient, name, now)
            return
        if exc.connection:
            self._down_until[channel.value] = now + timedelta(seconds=self.config.breaker_seconds)
        self._retry(s, msg, _short(exc), now)

    def _email(self, msg: Message, merchant: Merchant) -> OutgoingEmail:
        brand = self.preferences(merchant).branding
        base = self.config.base_url.rstrip("/")
        unsub = (
            f"{base}/notifications/unsubscribe/{msg.unsubscribe_token}"
            if msg.unsubscribe_token
            else None
        )
        assert msg.recipient is not None
        return OutgoingEmail(
            message_id=msg.id,
            to=msg.recipient,
            from_name=brand.sender_name or merchant.name,
            from_email=brand.from_email,
            reply_to=brand.reply_to,
            subject=msg.subject or "",
            text=msg.body_text or "",
            html=msg.body_html,
            unsubscribe_url=unsub,
            headers={"X-Postpurchase-Flow": msg.flow, "X-Postpurchase-Message": msg.id},
        )

    def _retry(
        self,
        s: NotificationStore,
        msg: Message,
        error: str,
        now: datetime,
        *,
        not_before: datetime | None = None,
    ) -> None:
        msg.last_error = error
        nxt = next_retry(
            max(msg.attempts, 1), msg.send_after, now,
            give_up_after=self.config.give_up_after, base_seconds=self.config.retry_base_seconds,
        )  # fmt: skip
        if nxt is None:
            hours = self.config.give_up_after.total_seconds() / 3600
            msg.fail(f"gave up after {msg.attempts} attempts over {hours:g} h: {error}", now)
            return
        if not_before is not None:
            nxt = max(nxt, not_before)
        msg.next_attempt_at, msg.updated_at = nxt, now
        msg.reason = f"queued: attempt {msg.attempts + 1} at {nxt:%Y-%m-%d %H:%M:%S} UTC ({error})"
        s.schedule(MESSAGE_DUE, msg.merchant_id, {"message_id": msg.id}, nxt)

    # ------------------------------------------------------------------ webhooks

    def _fan_out_webhooks(
        self,
        s: NotificationStore,
        merchant_id: str,
        event_id: int,
        topic: str,
        payload: Mapping[str, Any],
        now: datetime,
    ) -> bool:
        endpoints = s.endpoints_for(merchant_id, topic)
        if not endpoints:
            return False
        created = s.event_created_at(event_id) or now
        public_id = f"evt_{event_id}"
        body = json.dumps(
            {
                "id": public_id,
                "type": webhook_event_type(topic),
                "created_at": created.astimezone(UTC).isoformat(),
                "merchant_id": merchant_id,
                "data": dict(payload),
            },
            separators=(",", ":"),
            sort_keys=True,
            default=str,
        )
        for ep in endpoints:
            delivery = Delivery(
                id=new_id(), merchant_id=merchant_id, endpoint_id=ep.id,
                dedupe_key=f"{ep.id}:{public_id}", event_id=public_id,
                event_type=webhook_event_type(topic), body=body,
                status=MessageStatus.QUEUED, reason="queued", attempts=0, next_attempt_at=now,
                created_at=now, updated_at=now,
            )  # fmt: skip
            if s.add_delivery(delivery):
                s.schedule(WEBHOOK_DUE, merchant_id, {"delivery_id": delivery.id}, now)
        return True

    def deliver_webhook(self, delivery_id: str) -> None:
        """Claim, commit, POST, record (as :meth:`deliver_message`: no I/O in a transaction)."""
        now = self.clock.now()
        poster = self.channels.webhooks
        request: WebhookRequest | None = None
        with self.uow() as uow:
            s = uow.store
            d = s.get_delivery(delivery_id)
            if d is None or d.status is not MessageStatus.QUEUED:
                return
            if d.next_attempt_at is not None and d.next_attempt_at > now:
                if d.reason.startswith(_SENDING):
                    raise InFlight(f"webhook delivery {delivery_id} is being sent")
                return
            resend = _outcome_unknown(d, f"webhook delivery {d.id}")
            ep = s.get_endpoint(d.merchant_id, d.endpoint_id)
            if ep is None or not ep.active:
                d.status, d.reason, d.updated_at = (
                    MessageStatus.SUPPRESSED, "endpoint disabled or deleted", now,
                )  # fmt: skip
            elif poster is None:
                d.status, d.reason = MessageStatus.FAILED, "webhooks are not configured"
            else:
                request = WebhookRequest(
                    d.id, ep.url, ep.secret, d.body.encode(), d.event_id, d.event_type
                )
                d.next_attempt_at, d.updated_at = now + self.config.send_lease, now
                d.reason = f"{_SENDING} ({_attempt(d.attempts, resend)})"
            s.save_delivery(d)
            uow.commit()
        if request is None or poster is None:
            return
        claim = _Claim(d.next_attempt_at, d.reason)

        def renew(until: datetime) -> bool:
            with self.uow() as uow:
                current = uow.store.get_delivery(delivery_id)
                if current is None or not claim.holds(current):
                    return False
                current.next_attempt_at = until
                uow.store.save_delivery(current)
                uow.commit()
            claim.until = until
            return True

        code: int | None = None
        error: DeliveryError | None = None
        with self._kept(renew):
            try:
                code = poster.post(request)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # an adapter bug: retry, then give up
                logger.exception("webhook poster failed unexpectedly on delivery %s", d.id)
                error = DeliveryError(f"{type(exc).__name__}: {_short(exc)}", permanent=False)
        with self.uow() as uow:
            s = uow.store
            current = s.get_delivery(delivery_id)
            if current is None:
                return
            delivered = code is not None and 200 <= code < 300
            if not delivered and not claim.holds(current):
                return  # decided elsewhere while we were sending
            self._posted(s, current, code, error, self.clock.now())
            s.save_delivery(current)
            uow.commit()

    def _posted(
        self,
        s: NotificationStore,
        d: Delivery,
        code: int | None,
        exc: DeliveryError | None,
        now: datetime,
    ) -> None:
        """Record one POST's outcome: delivered, failed for good, or the next attempt."""
        d.attempts += 1
        d.updated_at = now
        error: str | None
        if exc is not None:
            error = _short(exc)
            d.last_status_code = exc.status_code
            if exc.permanent:
                d.status, d.reason, d.last_error = MessageStatus.FAILED, f"failed: {error}", error
                d.next_attempt_at = None
                return
        else:
            error = None if code is not None and 200 <= code < 300 else f"HTTP {code}"
            d.last_status_code = code
        if error is None:
            d.status, d.delivered_at, d.next_attempt_at = MessageStatus.SENT, now, None
            d.reason = f"delivered (HTTP {d.last_status_code})" + _possible_duplicate(
                d.unknown_outcomes, "same Idempotency-Key"
            )
            d.last_error = None
            return
        d.last_error = error
        nxt = next_retry(
            d.attempts, d.created_at, now,
            give_up_after=self.config.give_up_after, base_seconds=self.config.retry_base_seconds,
        )  # fmt: skip
        if nxt is None:
            d.status, d.next_attempt_at = MessageStatus.FAILED, None
            d.reason = f"gave up after {d.attempts} attempts: {error}"
            return
        d.next_attempt_at = nxt
        d.reason = f"queued: attempt {d.attempts + 1} at {nxt:%Y-%m-%d %H:%M:%S} UTC ({error})"
        s.schedule(WEBHOOK_DUE, d.merchant_id, {"delivery_id": d.id}, nxt)

    def replay_delivery(self, merchant_id: str, delivery_id: str) -> Delivery:
        """Send a past delivery again, as a new delivery of the same event (same event id,
        so the receiver can tell it is a repeat; fresh signature timestamp)."""
        now = self.clock.now()
        with self.uow() as uow:
            s = uow.store
            original = s.get_delivery(delivery_id, merchant_id)
            if original is None:
                raise NotFound("no such delivery", field="delivery_id")
            ep = s.get_endpoint(merchant_id, original.endpoint_id)
            if ep is None or not ep.active:
                raise InvalidInput("the endpoint is disabled or deleted", field="delivery_id")
            replay_id = new_id()
            key = f"{original.endpoint_id}:{original.event_id}:replay:{replay_id}"
            copy = replace(
                original, id=replay_id, dedupe_key=key,
                status=MessageStatus.QUEUED, reason="queued: replay requested", attempts=0,
                next_attempt_at=now, created_at=now, updated_at=now, last_status_code=None,
                last_error=None, replay_of=original.id, delivered_at=None,
            )  # fmt: skip
            s.add_delivery(copy)
            s.schedule(WEBHOOK_DUE, merchant_id, {"delivery_id": copy.id}, now)
            uow.commit()
        self.nudge()
        return copy

    def create_endpoint(
        self, merchant_id: str, url: str, topics: Sequence[str], description: str | None = None
    ) -> Endpoint:
        now = self.clock.now()
        ep = Endpoint(
            id=new_id(), merchant_id=merchant_id, url=self._endpoint_url(url),
            secret="whsec_" + secrets.token_urlsafe(32), topics=parse_webhook_topics(topics),
            active=True, description=description, created_at=now, updated_at=now,
        )  # fmt: skip
        with self.uow() as uow:
            uow.store.add_endpoint(ep)
            uow.commit()
        return ep

    def update_endpoint(
        self,
        merchant_id: str,
        endpoint_id: str,
        *,
        url: str | None = None,
        topics: Sequence[str] | None = None,
        active: bool | None = None,
        description: str | None = None,
        rotate_secret: bool = False,
    ) -> Endpoint:
        new_url = self._endpoint_url(url) if url is not None else None  # resolves: no txn yet
        with self.uow() as uow:
            ep = uow.store.get_endpoint(merchant_id, endpoint_id)
            if ep is None:
                raise NotFound("no such webhook endpoint", field="endpoint_id")
            ep = replace(
                ep,
                url=new_url if new_url is not None else ep.url,
                topics=parse_webhook_topics(topics) if topics is not None else ep.topics,
                active=ep.active if active is None else active,
                description=ep.description if description is None else description,
                secret="whsec_" + secrets.token_urlsafe(32) if rotate_secret else ep.secret,
                updated_at=self.clock.now(),
            )
            uow.store.save_endpoint(ep)
            uow.commit()
        return ep

    def _endpoint_url(self, url: str) -> str:
        """A well-formed http(s) URL that (when the poster can tell) does not point inside
        our network: refused here with a 422 naming ``url``, and again at every delivery."""
        url = _check_url(url)
        check: Callable[[str], None] | None = getattr(self.channels.webhooks, "check_url", None)
        if check is not None:
            check(url)
        return url

    def delete_endpoint(self, merchant_id: str, endpoint_id: str) -> None:
        with self.uow() as uow:
            if not uow.store.delete_endpoint(merchant_id, endpoint_id, self.clock.now()):
                raise NotFound("no such webhook endpoint", field="endpoint_id")
            uow.commit()

    # ------------------------------------------------------------------ ops digest

    def _ops_urls(self, prefs: Preferences) -> tuple[str, ...]:
        return prefs.ops_urls or self.config.ops_urls

    def _record_alert(
        self,
        s: NotificationStore,
        merchant_id: str,
        prefs: Preferences,
        event_id: int,
        topic: str,
        payload: Mapping[str, Any],
        now: datetime,
    ) -> None:
        order_id = payload.get("order_id") if isinstance(payload.get("order_id"), str) else None
        sid = payload.get("shipment_id") if isinstance(payload.get("shipment_id"), str) else None
        order = s.order(merchant_id, order_id) if order_id else None
        shipment = s.shipment(merchant_id, sid) if sid else None
        parts = [f"Order {order.number}" if order else None]
        if shipment is not None:
            parts.append(f"{shipment.carrier or 'unknown carrier'} {shipment.tracking_number}")
        if topic == "TrackingNumberInvalid":
            parts.append("tracking number is invalid")
            kind = "invalid_tracking_number"
        else:
            kind = str(payload.get("substatus") or "exception")
            parts.append(f"exception: {kind}")
        summary = " · ".join(p for p in parts if p)
        already = s.has_pending_alerts(merchant_id)
        added = s.add_alert(merchant_id, f"{topic}:{event_id}", kind, order_id, sid, summary, now)
        if added and not already and self._ops_urls(prefs) and self.channels.ops is not None:
            at = now + timedelta(minutes=self.config.digest_minutes)
            s.schedule(DIGEST_DUE, merchant_id, {"merchant_id": merchant_id}, at)

    def send_digest(self, merchant_id: str) -> int:
        """One message listing every exception not yet reported. Raises when the ops
        channel fails, so the outbox retries the digest (alerts stay pending until sent)."""
        ops = self.channels.ops
        now = self.clock.now()
        with self.uow() as uow:  # read only: closed before anything goes over the network
            s = uow.store
            merchant = s.merchant(merchant_id)
            if merchant is None or ops is None:
                return 0
            urls = self._ops_urls(self.preferences(merchant))
            alerts = s.pending_alerts(merchant_id, self.config.digest_max_alerts + 1)
        if not alerts or not urls:
            return 0
        batch = alerts[: self.config.digest_max_alerts]
        title = f"{merchant.name}: {len(batch)} new shipment exception(s)"
        lines = [f"- {a.created_at:%Y-%m-%d %H:%M} UTC · {a.summary}" for a in batch]
        if len(alerts) > len(batch):
            lines.append("- … and more in the next digest")
        ops.notify(urls, title, "\n".join(lines))
        with self.uow() as uow:
            s = uow.store
            s.mark_alerts_sent([a.id for a in batch], now)
            if len(alerts) > len(batch):
                s.schedule(DIGEST_DUE, merchant_id, {"merchant_id": merchant_id}, now)
            uow.commit()
        return len(batch)

    # ------------------------------------------------------------------ shoppers, settings

    def unsubscribe_info(self, token: str) -> UnsubscribeInfo:
        with self.uow() as uow:
            s = uow.store
            msg = s.message_by_token(token)
            if msg is None or msg.recipient is None:
                raise NotFound("this unsubscribe link is not valid", field="token")
            merchant = s.merchant(msg.merchant_id)
            opted = s.opted_out(msg.merchant_id, msg.channel, msg.recipient)
        name = merchant.name if merchant else ""
        return UnsubscribeInfo(name, msg.channel, mask(msg.recipient), opted, msg.locale)

    def set_subscription(self, token: str, *, subscribed: bool) -> UnsubscribeInfo:
        """The unsubscribe link's action: the token is the only credential (no login)."""
        now = self.clock.now()
        with self.uow() as uow:
            s = uow.store
            msg = s.message_by_token(token)
            if msg is None or msg.recipient is None:
                raise NotFound("this unsubscribe link is not valid", field="token")
            if subscribed:
                s.clear_opt_out(msg.merchant_id, msg.channel, msg.recipient)
            else:
                s.set_opt_out(msg.merchant_id, msg.channel, msg.recipient, "link", now)
            merchant = s.merchant(msg.merchant_id)
            uow.commit()
        return UnsubscribeInfo(
            merchant.name if merchant else "", msg.channel, mask(msg.recipient), not subscribed,
            msg.locale,
        )  # fmt: skip

    def set_opt_out(self, merchant_id: str, channel: Channel, address: str, opted_out: bool) -> str:
        """Merchant-side opt-out management (support agents, imports). Returns the address
        in the normalised form it is stored under."""
        normalised = (
            address.strip().lower() if channel is Channel.EMAIL else normalise_phone(address)
        )
        if not normalised or (channel is Channel.EMAIL and not valid_email(normalised)):
            raise InvalidInput(f"not a valid {channel} address", field="address")
        with self.uow() as uow:
            if opted_out:
                uow.store.set_opt_out(merchant_id, channel, normalised, "api", self.clock.now())
            else:
                uow.store.clear_opt_out(merchant_id, channel, normalised)
            uow.commit()
        return normalised

    def update_preferences(
        self, merchant_id: str, notifications: Any = None, branding: Any = None
    ) -> Preferences:
        """Validate, then store. Unknown flows, bad colours or times are refused (4xx)."""
        with self.uow() as uow:
            s = uow.store
            merchant = s.merchant(merchant_id)
            if merchant is None:
                raise NotFound("no such merchant", field="merchant")
            current_n = merchant.settings.get("notifications")
            current_b = merchant.settings.get("branding")
            new_n = notifications if notifications is not None else current_n
            new_b = branding if branding is not None else current_b
            prefs = Preferences.parse(new_n, branding=new_b, defaults=self.config.defaults)
            if notifications is not None:
                s.set_merchant_setting(merchant_id, "notifications", notifications)
            if branding is not None:
                s.set_merchant_setting(merchant_id, "branding", branding)
            uow.commit()
        self._merchants.pop(merchant_id, None)
        return prefs


def _check_url(url: str) -> str:
    url = url.strip()
    if not (url.startswith("https://") or url.startswith("http://")) or len(url) > 2000:
        raise InvalidInput("url must be an http(s) URL of at most 2000 characters", field="url")
    return url
