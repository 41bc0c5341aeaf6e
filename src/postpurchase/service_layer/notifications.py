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

import logging
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from postpurchase.domain.audit import AuditEntry, changes_between
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.notifications import (
    OPS_TOPICS,
    WEBHOOK_TOPICS,
    Channel,
    Preferences,
    flow_topics,
    normalise_phone,
    valid_email,
)
from postpurchase.domain.settings import upgrade_layout
from postpurchase.service_layer.notification_batches import (
    BatchedStore,
    Row,
    batchable,
    prefetch_keys,
)
from postpurchase.service_layer.notification_core import (
    Channels,
    InFlight,
    ServiceConfig,
    UnsubscribeInfo,
    mask,
)
from postpurchase.service_layer.notification_delivery import MessageDelivery
from postpurchase.service_layer.notification_planning import Planning
from postpurchase.service_layer.notification_ports import (
    DIGEST_DUE,
    MESSAGE_DUE,
    WEBHOOK_DUE,
    NotificationStore,
)
from postpurchase.service_layer.notification_webhooks import Webhooks
from postpurchase.service_layer.settings import validate_document

logger = logging.getLogger(__name__)
MAX_OPS_URLS = 20  # ops alert targets per merchant


class NotificationService(Planning, MessageDelivery, Webhooks):
    """Plans and delivers messages, webhooks and ops digests. One per process."""

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

    def handle_many(self, rows: Sequence[Row]) -> dict[int, Exception]:
        """The outbox's batch subscriber: rows in outbox order; returns the failed ones.

        Runs of events are planned together (``notification_batches``: a few statements for
        the run instead of about ten per event); due deliveries and cancellations one at a
        time, in their place in the order.
        """
        failures: dict[int, Exception] = {}
        i = 0
        while i < len(rows):
            row_id, topic, payload = rows[i]
            if topic == MESSAGE_DUE:  # a run of due messages: sent as one batch
                j = i
                while j < len(rows) and rows[j][1] == MESSAGE_DUE:
                    j += 1
                failures.update(self._deliver_due(rows[i:j]))
                i = j
                continue
            if not batchable(topic, payload):
                try:
                    self.handle(row_id, topic, payload)
                except Exception as exc:
                    failures[row_id] = exc
                i += 1
                continue
            j = i
            run = max(1, self.config.plan_run)
            while j < len(rows) and j - i < run and batchable(rows[j][1], rows[j][2]):
                j += 1
            later: Sequence[Row] = rows[i:j]
            while later:  # each round plans what no send of the round before holds back
                later, failed = self._plan_run(later)
                failures.update(failed)
            i = j
        return failures

    def _deliver_due(self, rows: Sequence[Row]) -> dict[int, Exception]:
        """Due rows of messages, delivered together; the rows to retry (a message another
        worker is sending, or every row of the batch when it failed as a whole)."""
        by_message: dict[str, list[int]] = {}
        for row_id, _, payload in rows:
            by_message.setdefault(str(payload["message_id"]), []).append(row_id)
        try:
            in_flight = self.deliver_messages(list(by_message))
        except Exception as exc:
            return {row_id: exc for row_id, _, _ in rows}
        return {
            row_id: exc
            for message_id, exc in in_flight.items()
            for row_id in by_message.get(message_id, [])
        }

    def _plan_run(self, rows: Sequence[Row]) -> tuple[list[Row], dict[int, Exception]]:
        """Plan a run of events in one transaction, then send what it made due at once;
        returns the events it held back, in order: those about an order one of whose
        messages is to be sent at once (planned alone, each would come after that send, and
        see the message sent, not queued). Events about other orders go on: what one order's
        events decide never depends on another order's messages. (It used to stop at the
        first such event, and the next run read orders and shipments for the whole rest of
        the batch again: when most events send at once, runs of ~3 events each re-read up to
        500 orders.)"""
        due_now: list[str] = []
        hooks_due = False
        held: list[Row] = []
        try:
            with self.uow() as uow, self._personal_run():
                store = BatchedStore(uow.store)
                channels = self.channels.for_messages()
                for merchant_id, (orders, shipments) in prefetch_keys(
                    rows, flow_topics() | OPS_TOPICS
                ).items():
                    store.prefetch(
                        merchant_id, orders, shipments,
                        lambda o: [
                            (ch, addr) for ch in channels
                            if (addr := self._recipient(o, ch)[0]) is not None
                        ],
                    )  # fmt: skip
                view = cast("NotificationStore", store)  # the rest goes to uow.store
                sending: set[str] = set()
                for row in rows:
                    row_id, topic, payload = row
                    if payload.get("order_id") in sending:
                        held.append(row)  # planned alone, it would come after that send
                        continue
                    due, hooks = self._plan_in(view, row_id, topic, payload)
                    if due:
                        due_now.extend(due)
                        sending.add(str(payload.get("order_id")))
                    hooks_due = hooks_due or hooks
                store.flush()
                uow.commit()
        except Exception:
            logger.warning("planning %d events together failed; one at a time", len(rows),
                           exc_info=True)  # fmt: skip
            failures: dict[int, Exception] = {}
            for row_id, topic, payload in rows:
                try:
                    self.handle(row_id, topic, payload)
                except Exception as exc:
                    failures[row_id] = exc
            return [], failures
        self._after_planning(due_now, hooks_due)
        return held, {}

    def _personal_run(self) -> AbstractContextManager[None]:
        """A personaliser that can (``batch()``) reads each merchant's rules once per run."""
        batch = getattr(self.personaliser, "batch", None)
        return batch() if batch is not None else nullcontext()

    @staticmethod
    def topics() -> frozenset[str]:
        """Every outbox topic this service must be subscribed to."""
        return flow_topics() | WEBHOOK_TOPICS | OPS_TOPICS | {"OrderCancelled"} | {
            MESSAGE_DUE, WEBHOOK_DUE, DIGEST_DUE,
        }  # fmt: skip

    # ------------------------------------------------------------------ plan

    def plan(self, event_id: int, topic: str, payload: Mapping[str, Any]) -> None:
        """Decide and record (one transaction); then send what is due right now.

        Sending straight after the commit saves a trip through the queue for urgent
        messages; should it fail, the message is already a queued row with a due entry in
        the outbox, so the ordinary retry path takes over.
        """
        with self.uow() as uow:
            due_now, hooks_due = self._plan_in(uow.store, event_id, topic, payload)
            uow.commit()
        self._after_planning(due_now, hooks_due)

    def _plan_in(
        self, s: NotificationStore, event_id: int, topic: str, payload: Mapping[str, Any]
    ) -> tuple[list[str], bool]:
        """What one event causes, written through ``s`` (the caller commits). The same code
        plans a single event and each event of a batch (``notification_batches``)."""
        merchant_id = payload.get("merchant_id")
        if not isinstance(merchant_id, str):
            logger.warning("outbox %s (%s) has no merchant_id; ignored", event_id, topic)
            return [], False
        now = self.clock.now()
        due_now: list[str] = []
        hooks_due = False
        merchant = self._merchant(s, merchant_id)
        if merchant is None:
            return [], False
        prefs = self.preferences(merchant)
        if topic == "OrderCancelled" and isinstance(payload.get("order_id"), str):
            why = "order was cancelled"
            s.suppress_queued_for_order(merchant_id, payload["order_id"], why, now)
        if topic in flow_topics():
            due_now = self._plan_messages(s, merchant, prefs, event_id, topic, payload, now)
        if topic in WEBHOOK_TOPICS and self.channels.webhooks is not None:
            hooks_due = self._fan_out_webhooks(s, merchant_id, event_id, topic, payload, now)
        if topic in OPS_TOPICS:
            self._record_alert(s, merchant_id, prefs, event_id, topic, payload, now)
        return due_now, hooks_due

    def _after_planning(self, due_now: Sequence[str], hooks_due: bool) -> None:
        """After the commit: send what is due right now (as one batch: one claim
        transaction, one SMTP connection), wake the webhook deliveries. A message another
        worker is sending already (its due row was faster) is left to it."""
        try:
            self.deliver_messages(due_now)
        except Exception:  # their due rows retry them; the events themselves are done
            logger.exception("sending %d messages right after planning failed", len(due_now))
        if hooks_due:
            self.nudge()

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
        self,
        merchant_id: str,
        notifications: Any = None,
        branding: Any = None,
        *,
        audit: AuditEntry | None = None,
    ) -> Preferences:
        """Validate, then store. Unknown flows, bad colours or times are refused (4xx).
        ``audit`` (a person's change) gets the changed keys, old -> new, and is written in
        the change's transaction (nothing when nothing changed)."""
        self._check_ops_urls(notifications)  # resolves host names: before the transaction
        with self.uow() as uow:
            s = uow.store
            merchant = s.merchant(merchant_id)
            if merchant is None:
                raise NotFound("no such merchant", field="merchant")
            current_n = merchant.settings.get("notifications")
            current_b = merchant.settings.get("branding")
            new_n = notifications if notifications is not None else current_n
            new_b = branding if branding is not None else current_b
            # the one settings schema: unknown keys and wrong types refused, named
            doc = upgrade_layout({"notifications": new_n or {}, "branding": new_b or {}})
            validate_document(doc, touched=frozenset(branding or ()))
            prefs = Preferences.parse(new_n, branding=new_b, defaults=self.config.defaults)
            if notifications is not None:
                s.set_merchant_setting(merchant_id, "notifications", notifications)
            if branding is not None:
                s.set_merchant_setting(merchant_id, "branding", branding)
            if audit is not None:
                old = Preferences.parse(
                    current_n, branding=current_b, defaults=self.config.defaults
                )
                changes = changes_between(
                    {"notifications": old.as_dict(), "branding": old.branding.as_dict()},
                    {"notifications": prefs.as_dict(), "branding": prefs.branding.as_dict()},
                )
                s.record_audit(replace(audit, changes=changes))  # a save, even of no change
            uow.commit()
        self._merchants.pop(merchant_id, None)
        return prefs

    def forget_merchant(self, merchant_id: str) -> None:
        """Drop the cached merchant (its settings changed elsewhere)."""
        self._merchants.pop(merchant_id, None)

    def _check_ops_urls(self, notifications: Any) -> None:
        """Each ops URL is one Apprise understands and not one inside our network, refused
        with a 422 naming ``ops_urls.<index>`` (a target that only fails at its first
        digest is a target nobody hears from)."""
        check = getattr(self.channels.ops, "check_url", None)
        urls = notifications.get("ops_urls") if isinstance(notifications, Mapping) else None
        if check is None or not isinstance(urls, list):
            return  # not given, or not a list: Preferences.parse names that
        if len(urls) > MAX_OPS_URLS:
            raise InvalidInput(f"at most {MAX_OPS_URLS} ops URLs", field="ops_urls")
        for i, url in enumerate(urls):
            check(url, f"ops_urls.{i}")


__all__ = [
    "Channels",
    "InFlight",
    "NotificationService",
    "ServiceConfig",
    "UnsubscribeInfo",
    "mask",
]
