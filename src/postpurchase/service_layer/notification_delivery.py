"""Message delivery: claim, commit, send, record -- one e-mail or SMS at a time, with no
network I/O inside a transaction, retries with backoff, and the circuit breaker per channel.

Split out of ``notifications`` so sending can be read apart from planning and webhooks.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import (
    GIFT_CODE_MARK,
    Channel,
    Message,
    MessageStatus,
    next_retry,
)
from postpurchase.domain.returns import shown_code
from postpurchase.service_layer.notification_core import (
    _SENDING,
    InFlight,
    ServiceCore,
    _attempt,
    _Claim,
    _outcome_unknown,
    _possible_duplicate,
    _short,
)
from postpurchase.service_layer.notification_ports import (
    MESSAGE_DUE,
    DeliveryError,
    EmailChannel,
    NotificationStore,
    OutgoingEmail,
    OutgoingSms,
    SmsChannel,
)

logger = logging.getLogger(__name__)


def _with_code(outgoing: OutgoingEmail | OutgoingSms, code: str) -> OutgoingEmail | OutgoingSms:
    """The message as sent, with the gift code in place of its mark: the code is in the
    e-mail only, never in the stored message (it stays sealed with the gift credit)."""
    if isinstance(outgoing, OutgoingSms):
        return replace(outgoing, body=outgoing.body.replace(GIFT_CODE_MARK, code))
    html = outgoing.html.replace(GIFT_CODE_MARK, code) if outgoing.html else outgoing.html
    return replace(outgoing, text=outgoing.text.replace(GIFT_CODE_MARK, code), html=html)


class MessageDelivery(ServiceCore):
    """Sends one queued message (see :meth:`deliver_message`)."""

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

        kept = self._kept(
            claim, lambda s: s.get_message(message_id), lambda s, m: s.save_message(m)
        )
        with kept:
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
        if GIFT_CODE_MARK in (msg.body_text or ""):
            code = self.gift_codes(msg.merchant_id, msg.subject_id) if self.gift_codes else None
            if code is None:
                msg.fail("the gift code cannot be read (not issued, or its key is gone)", now)
                return None
            outgoing = _with_code(outgoing, shown_code(code))
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
