"""Message delivery: claim, commit, send, record -- one e-mail or SMS at a time, or a batch
of them with one claim transaction and one SMTP connection (ADR 0033) -- with no network I/O
inside a transaction, retries with backoff, and the circuit breaker per channel.

Split out of ``notifications`` so sending can be read apart from planning and webhooks.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import (
    GIFT_CODE_MARK,
    Channel,
    Message,
    MessageStatus,
    next_retry,
)
from postpurchase.domain.returns import shown_code
from postpurchase.service_layer.acceptance_window import OneInWindow
from postpurchase.service_layer.group_recorder import GroupRecorder
from postpurchase.service_layer.heartbeats import beating
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
    SendOutcome,
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


_Outcome = tuple[Message, _Claim, str | None, DeliveryError | None]
_Claimed = tuple[Message, OutgoingEmail | OutgoingSms, _Claim]


def _not_tried() -> DeliveryError:
    return DeliveryError(
        "not handed over: the batch's connection failed", permanent=False, attempted=False
    )


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
        window = OneInWindow()
        try:
            with kept:
                provider_id, error = self._send(msg, outgoing, window)
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
        finally:
            window.leave()  # recorded (or not sent): let the next message in

    def deliver_messages(self, message_ids: Sequence[str]) -> dict[str, Exception]:
        """:meth:`deliver_message` for many at once: claimed ``send_chunk`` at a time (one
        transaction each), the e-mails of every chunk over one SMTP connection
        (``BatchEmailChannel.send_many``), the outcomes recorded as they come in
        (:class:`GroupRecorder`). The rule is the single message's: every claim is
        committed (reason "sending ...") before its message goes out, and a claim whose
        outcome never got recorded is re-sent, with the same Message-ID, and counted; the
        chunks bound how many claims one crash leaves in that state. Returns the messages
        another worker is sending right now (:class:`InFlight`), for the outbox to retry
        their due rows."""
        ids = list(dict.fromkeys(message_ids))
        in_flight: dict[str, Exception] = {}
        if len(ids) < 2:
            for message_id in ids:
                try:
                    self.deliver_message(message_id)
                except InFlight as exc:
                    in_flight[message_id] = exc
            return in_flight
        size = max(1, self.config.send_chunk)
        chunks = iter([ids[i : i + size] for i in range(0, len(ids), size)])
        lock = threading.Lock()  # renewals and records take turns over the claims
        pending: dict[str, _Claim] = {}

        def claim(chunk: Sequence[str]) -> list[_Claimed]:
            claimed, busy = self._claim_many(chunk)
            in_flight.update(busy)
            with lock:
                pending.update((msg.id, c) for msg, _, c in claimed)
            return claimed

        def renew() -> bool:
            until = self.clock.now() + self.config.send_lease
            with lock, self.uow() as uow:
                mine = []
                for current in uow.store.get_messages(list(pending)).values():
                    if pending[current.id].holds(current):
                        current.next_attempt_at = until
                        mine.append(current)
                uow.store.save_messages(mine)
                uow.commit()
                for current in mine:
                    pending[current.id].until = until
            return True

        def record(outcomes: list[tuple[_Outcome, bool]]) -> None:
            with lock:
                self._record_many([outcome for outcome, _ in outcomes])
                for (msg, _, _, _), _ in outcomes:
                    pending.pop(msg.id, None)

        def settled(outcomes: list[tuple[_Outcome, bool]]) -> None:
            if any(entered for _, entered in outcomes):
                window.leave()  # the accepted message is recorded: let the next one in

        window = OneInWindow()
        with beating(self.config.send_beat, renew, name="send-batch"):
            recorder = GroupRecorder(record, settled)
            try:
                for outcome in self._outcomes(chunks, claim, window):
                    error = outcome[3]
                    if error is not None and error.connection:  # before the next claim
                        self._open_breaker(outcome[0].channel)
                    recorder.put((outcome, window.take()))
            except Exception:
                recorder.close()  # what is known is recorded; the rest lapse and retry
                raise
            except BaseException:
                recorder.abandon()  # the process is going down: as kill -9 would
                raise
            else:
                recorder.close()
            finally:
                window.leave()  # the recorder has stopped: nothing of this batch is in
        return in_flight

    def _open_breaker(self, channel: Channel) -> None:
        self._down_until[channel.value] = self.clock.now() + timedelta(
            seconds=self.config.breaker_seconds
        )

    def _claim_many(self, ids: Sequence[str]) -> tuple[list[_Claimed], dict[str, Exception]]:
        now = self.clock.now()
        claimed: list[_Claimed] = []
        in_flight: dict[str, Exception] = {}
        with self.uow() as uow:
            s = uow.store
            found = s.get_messages(ids)
            due: list[Message] = []
            for message_id in ids:
                msg = found.get(message_id)
                if msg is None or msg.status is not MessageStatus.QUEUED:
                    continue  # sent, superseded or failed meanwhile: a stale due row
                if msg.next_attempt_at is not None and msg.next_attempt_at > now:
                    if msg.reason.startswith(_SENDING):
                        in_flight[message_id] = InFlight(f"message {message_id} is being sent")
                    continue  # rescheduled; its own due row will come
                due.append(msg)
            opted = self._opted_out(s, due)
            for msg in due:
                resend = _outcome_unknown(msg, f"message {msg.id} ({msg.channel})")
                wanted = (msg.merchant_id, msg.channel, msg.recipient)
                outgoing = self._claim(s, msg, now, resend=resend, opted_out=wanted in opted)
                if outgoing is not None:
                    claimed.append((msg, outgoing, _Claim(msg.next_attempt_at, msg.reason)))
            s.save_messages(due)
            uow.commit()
        return claimed, in_flight

    @staticmethod
    def _opted_out(
        s: NotificationStore, messages: Sequence[Message]
    ) -> set[tuple[str, Channel, str | None]]:
        """Which of the messages' recipients opted out: one query per merchant."""
        wanted: dict[str, set[tuple[Channel, str]]] = {}
        for m in messages:
            if m.recipient is not None:
                wanted.setdefault(m.merchant_id, set()).add((m.channel, m.recipient))
        out: set[tuple[str, Channel, str | None]] = set()
        for merchant_id, pairs in wanted.items():
            for channel, address in s.opted_out_any(merchant_id, sorted(pairs)):
                out.add((merchant_id, channel, address))
        return out

    def _outcomes(
        self,
        chunks: Iterator[Sequence[str]],
        claim: Callable[[Sequence[str]], list[_Claimed]],
        window: OneInWindow,
    ) -> Iterator[_Outcome]:
        """Each claimed message's outcome as soon as it is known. E-mails go through the
        channel's ``send_many`` when it has one, which pulls them one at a time: a chunk is
        claimed when the previous one has gone out, so the connection stays open across
        chunks; SMS (and e-mail without ``send_many``) one call each."""
        batch_email = getattr(self.channels.email, "send_many", None)
        singles: list[_Claimed] = []
        if batch_email is None:
            for chunk in chunks:
                for msg, outgoing, c in claim(chunk):
                    yield msg, c, *self._send(msg, outgoing)
            return
        handed: deque[tuple[Message, _Claim]] = deque()  # pulled, outcome not yet known
        unsent: deque[_Claimed] = deque()  # claimed, not yet pulled

        def emails() -> Iterator[OutgoingEmail]:
            for chunk in chunks:
                for item in claim(chunk):
                    (unsent if isinstance(item[1], OutgoingEmail) else singles).append(item)
                while unsent:
                    msg, outgoing, c = unsent.popleft()
                    handed.append((msg, c))
                    yield cast("OutgoingEmail", outgoing)

        try:
            sent = cast("Iterator[SendOutcome]", batch_email(emails(), window))
            for provider_id, error in sent:
                msg, c = handed.popleft()
                yield msg, c, provider_id, error
        except Exception as exc:  # an adapter bug must not wedge the queue: retry them
            logger.exception("sending a batch of e-mails failed unexpectedly")
            error = DeliveryError(f"{type(exc).__name__}: {_short(exc)}", permanent=False)
            for msg, c in handed:
                yield msg, c, None, error
            handed.clear()
        # the channel stopped early (its connection failed): what was claimed and not
        # handed over is retried without counting an attempt; the breaker, now open,
        # reschedules the rest as their claims find it
        for msg, c in handed:
            yield msg, c, None, _not_tried()
        for msg, _, c in unsent:
            yield msg, c, None, _not_tried()
        for chunk in chunks:
            for item in claim(chunk):
                if isinstance(item[1], OutgoingEmail):
                    yield item[0], item[2], None, _not_tried()
                else:
                    singles.append(item)
        for msg, outgoing, c in singles:
            yield msg, c, *self._send(msg, outgoing)

    def _record_many(self, outcomes: Sequence[_Outcome]) -> None:
        """The outcomes of a batch's sends, in one transaction (see :meth:`deliver_message`
        for what each means)."""
        with self.uow() as uow:
            s = uow.store
            current = s.get_messages([msg.id for msg, _, _, _ in outcomes])
            changed: list[Message] = []
            for msg, claim, provider_id, error in outcomes:
                row = current.get(msg.id)
                if row is None:
                    continue
                now = self.clock.now()
                if error is None:
                    self._down_until.pop(msg.channel.value, None)
                    row.attempts = max(row.attempts, msg.attempts)
                    row.mark_sent(now, provider_id, self._provider_name(msg))
                    row.reason += _possible_duplicate(
                        row.unknown_outcomes,
                        "same Message-ID" if msg.channel is Channel.EMAIL else "same text",
                    )
                elif claim.holds(row):
                    self._failed_send(s, row, error, now)
                else:
                    continue  # decided elsewhere while we were sending
                changed.append(row)
            s.save_messages(changed)
            uow.commit()

    def _provider_name(self, msg: Message) -> str:
        provider = self.channels.email if msg.channel is Channel.EMAIL else self.channels.sms
        return provider.name if provider is not None else str(msg.channel)

    def _claim(
        self,
        s: NotificationStore,
        msg: Message,
        now: datetime,
        *,
        resend: bool = False,
        opted_out: bool | None = None,
    ) -> OutgoingEmail | OutgoingSms | None:
        """What to send, with the message claimed for sending; or None with the message
        decided (failed, suppressed, or rescheduled while its channel is down). ``resend``:
        the previous attempt's outcome is unknown (see :func:`_outcome_unknown`);
        ``opted_out``: already asked for a batch (None: ask now)."""
        channel = msg.channel
        merchant = self._merchant(s, msg.merchant_id)
        if merchant is None or msg.recipient is None:
            msg.fail("merchant or recipient no longer exists", now)
            return None
        if opted_out is None:
            opted_out = s.opted_out(msg.merchant_id, channel, msg.recipient)
        if opted_out:
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
        self,
        msg: Message,
        outgoing: OutgoingEmail | OutgoingSms,
        window: OneInWindow | None = None,
    ) -> tuple[str | None, DeliveryError | None]:
        """The provider's id, or the error (no transaction is open here). With a
        ``window``, an e-mail goes through the channel's ``send_many`` when it has one, so
        its acceptance waits for the previous accepted message's record
        (``acceptance_window``)."""
        try:
            if isinstance(outgoing, OutgoingEmail):
                assert self.channels.email is not None
                batch = getattr(self.channels.email, "send_many", None)
                if window is not None and batch is not None:
                    [outcome] = cast("list[SendOutcome]", list(batch([outgoing], window)))
                    return outcome
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
        if not exc.attempted:  # a batch stopped before it: as the open breaker would
            down = self._down_until.get(channel.value)
            self._retry(s, msg, f"{name} unavailable, waiting", now, not_before=down)
            return
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
