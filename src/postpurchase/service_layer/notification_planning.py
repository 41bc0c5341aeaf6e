"""Planning: from one committed event to the message rows it causes (rules, recipients,
opt-outs, collapse and quiet hours, rendering), written in a few statements.

Split out of ``notifications`` (which keeps :meth:`NotificationService.plan`, the transaction
around this) so the rules-to-messages half can be read on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from postpurchase.domain.ids import new_id, new_token
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.money import Money, total
from postpurchase.domain.notifications import (
    FLOWS,
    GIFT_CODE_MARK,
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
    addressed_to,
    as_date,
    collapse,
    dedupe_key,
    normalise_phone,
    pick_locale,
    send_time,
    triggers_for,
    valid_email,
    zone,
)
from postpurchase.domain.order_details import as_the_shopper_paid
from postpurchase.domain.orders import Order
from postpurchase.domain.remedies import Remedy, days_late, decide
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.status import OrderStatus
from postpurchase.domain.templates import (
    DEFAULT_VERSION,
    LocaleTemplate,
    Split,
    TemplateVersion,
    assign,
)
from postpurchase.service_layer.edd_serving import delivery_date, out_for_delivery_today
from postpurchase.service_layer.notification_core import (
    ServiceCore,
    _short,
)
from postpurchase.service_layer.notification_ports import (
    MESSAGE_DUE,
    NotificationStore,
    Personal,
    Scheduled,
)
from postpurchase.service_layer.remedies import delivered_on, original_promise

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Plan:
    """What one event decided, written at the end in a handful of statements."""

    known: dict[str, list[MessageRef]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    supersede: list[tuple[Sequence[str], str]] = field(default_factory=list)
    scheduled: list[Scheduled] = field(default_factory=list)
    store: NotificationStore | None = None  # for the merchant's template versions
    # (flow, channel) -> (split, current version): read once per event
    templates: dict[tuple[str, str], tuple[Split | None, TemplateVersion | None]] = field(
        default_factory=dict
    )


PERSONAL_FLOWS = frozenset({"shipped", "delivered"})


@dataclass(frozen=True, slots=True)
class _Late:
    promised: date | None = None
    days: int = 0
    remedy: Remedy | None = None


def _amount(details: Mapping[str, Any]) -> Money | None:
    """A return event's amount (Decimal text and its currency), when it has one."""
    amount, currency = details.get("amount"), details.get("currency")
    if not isinstance(amount, str) or not isinstance(currency, str):
        return None
    try:
        return Money(Decimal(amount), currency)
    except (ArithmeticError, ValueError):
        return None


def _other(address: str, channel: Channel) -> tuple[str | None, str]:
    """Someone other than the order's contact (a gift's recipient): e-mail only."""
    if channel is not Channel.EMAIL:
        return None, "only an e-mail address is known for the gift's recipient"
    if not valid_email(address):
        return None, f"invalid email address {address!r}"
    return address, ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_progress(flow: str) -> bool:
    found = FLOWS.get(flow)
    return found is not None and found.progress


class Planning(ServiceCore):
    """Decides the messages one event causes (see :meth:`NotificationService.plan`)."""

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
            # A return's undated event is news when the return moves, not when the order was
            # placed (days or weeks before): no age from the order's placement for it.
            replace(trig, happened_at=trig.event_at)
            if trig.subject_kind is SubjectKind.RETURN
            else trig
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
        plan = _Plan(store=s)
        for trig in triggers:
            if trig.subject_id not in plan.known:
                if trig.subject_kind is SubjectKind.SHIPMENT:
                    s.lock_subject(merchant.id, trig.subject_id)
                plan.known[trig.subject_id] = s.messages_about(merchant.id, trig.subject_id)
            to = addressed_to(trig)  # a gift's recipient, never the order's contact
            for channel in channels:
                recipient, problem = recipients[channel] if to is None else _other(to, channel)
                out = (channel, recipient or "") in opted
                if to is not None and recipient is not None:
                    out = s.opted_out(merchant.id, channel, recipient)
                self._plan_one(
                    plan, merchant, prefs, order, shipment, trig, channel, event_id, topic, now,
                    recipient, problem, out,
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
                version, template, split = self._template_for(
                    plan, merchant, order, flow.name, channel
                )
                if version is None:
                    msg.held_out = True
                    held = split.holdout_percent if split else 0
                    msg.suppress(f"held out of '{flow.name}' ({held}% control group)", now)
                else:
                    msg.template_version = version
                    self._render_into(
                        msg, merchant, prefs, order, shipment, trig, tz, now, template
                    )
        if msg.status is MessageStatus.QUEUED:
            at, why = send_time(
                now, urgent=flow.urgent, tz=tz, quiet=prefs.quiet_hours,
                collapse_seconds=prefs.collapse_seconds,
            )  # fmt: skip
            status_at = shipment.state.status_at if shipment is not None else None
            status_at = status_at or trig.event_at
            if flow.name == "out_for_delivery" and not out_for_delivery_today(status_at, at, tz):
                # It would say "arriving today" on another day than the scan's.
                when = status_at.astimezone(tz).date() if status_at else "an unknown day"
                msg.suppress(f"out for delivery on {when}: not news on the day it would go", now)
        if msg.status is MessageStatus.QUEUED:
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
        template: LocaleTemplate | None = None,
    ) -> None:
        msg.unsubscribe_token = new_token(24)
        ctx = self.context(msg, merchant, prefs, order, shipment, trig, tz.key, now)
        try:
            if template is not None:
                rendered = self.renderer.render_custom(ctx, template)
            else:
                rendered = self.renderer.render(ctx)
        except Exception as exc:  # a broken template must not stop the other messages
            msg.fail(f"template error: {_short(exc)}", now)
            msg.unsubscribe_token = None
            return
        msg.subject, msg.body_text, msg.body_html = rendered.subject, rendered.text, rendered.html
        msg.promise = ctx.estimate  # shown to the shopper: recorded with the message

    @staticmethod
    def _template_for(
        plan: _Plan, merchant: Merchant, order: Order, flow: str, channel: Channel
    ) -> tuple[int | None, LocaleTemplate | None, Split | None]:
        """The version this order gets (None: held out), and its template for the message's
        locale (None: the built-in one)."""
        key = (flow, channel.value)
        if key not in plan.templates:
            store = plan.store
            if store is None:
                plan.templates[key] = (None, None)
            else:
                split = store.template_split(merchant.id, flow, channel.value)
                plan.templates[key] = (
                    split,
                    store.template_version(merchant.id, flow, channel.value, None),
                )
        split, current = plan.templates[key]
        number = current.version if current is not None else DEFAULT_VERSION
        chosen = assign(order.id, flow, split, number)
        if chosen.version is None or chosen.version == DEFAULT_VERSION:
            return chosen.version, None, split
        version = current
        if version is None or version.version != chosen.version:
            store = plan.store
            version = (
                store.template_version(merchant.id, flow, channel.value, chosen.version)
                if store
                else None
            )
        if version is None:
            return DEFAULT_VERSION, None, split  # a split naming a version that is not there
        locale = pick_locale(order.locale, merchant.locale)
        return chosen.version, version.for_locale(locale), split

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
        # The date the tracking page shows, never one already past (edd_serving).
        estimate = delivery_date(order, shipment, now.astimezone(zone(tz_name)), self.models)
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
        personal = self._personal(merchant, order, msg, now)
        late = self._lateness(order, msg, trig, personal)
        top = max(shown, key=lambda li: (li.subtotal.amount, li.quantity), default=None)
        return MessageContext(
            flow=msg.flow,
            channel=msg.channel,
            locale=msg.locale,
            timezone=tz_name,
            merchant_name=merchant.name,
            branding=prefs.branding,
            # The recipient of a gift is not the order's contact: no name we could trust.
            customer_name=None if addressed_to(trig) else order.shipping_address.name,
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
            if msg.flow == "delivered" and prefs.survey
            else None,
            carrier=shipment.carrier if shipment else _text(trig.details.get("carrier")),
            tracking_number=(
                shipment.tracking_number if shipment else _text(trig.details.get("tracking_number"))
            ),
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
            headline_item=top.name if top is not None else None,
            other_items=max(len(shown) - 1, 0),
            promised=late.promised,
            days_late=late.days,
            remedy_kind=late.remedy.kind.value if late.remedy else None,
            remedy_amount=late.remedy.amount if late.remedy else None,
            products=personal.products,
            return_url=(
                f"{base}/returns/o/{order.tracking_token}/r/{trig.subject_id}"
                if trig.subject_kind is SubjectKind.RETURN
                else None
            ),
            return_amount=_amount(trig.details),
            gift_code=GIFT_CODE_MARK if msg.flow == "return_gift_credit" else None,
            gift_kind=_text(trig.details.get("kind")) if msg.flow == "return_gift_credit" else None,
        )

    def _personal(self, merchant: Merchant, order: Order, msg: Message, now: datetime) -> Personal:
        """Recommendations and the remedy rule, for the e-mails that carry them (the
        shipped and delivered ones); a failure to read them never stops a message."""
        if self.personaliser is None or msg.flow not in PERSONAL_FLOWS:
            return Personal()
        if msg.channel is not Channel.EMAIL and msg.flow != "delivered":
            return Personal()
        try:
            found = self.personaliser(merchant.id, order, msg.flow, now)
        except Exception:  # a storefront read must not cost the shopper their message
            logger.exception("personalising message %s failed; sent without", msg.id)
            return Personal()
        return found if msg.channel is Channel.EMAIL else Personal(remedy_rule=found.remedy_rule)

    @staticmethod
    def _lateness(order: Order, msg: Message, trig: Trigger, personal: Personal) -> _Late:
        """How late a delivery was against the original promise, and the remedy it earns
        under the merchant's rule (the same decision the remedy worker makes)."""
        if msg.flow != "delivered" or trig.event_at is None:
            return _Late()
        promised = original_promise(order)
        on = delivered_on(order, trig.event_at)
        late = days_late(promised, on)
        if late <= 0:
            return _Late()
        rule = personal.remedy_rule
        remedy = (
            decide(rule, promised, on, order.money.shipping)
            if rule is not None and rule.apologise
            else None
        )
        return _Late(promised, late, remedy)
