"""Outgoing webhooks: the fan-out of an event to a merchant's endpoints, the delivery of
one POST (claimed, sent and recorded as messages are), replays, and endpoint management.

Split out of ``notifications`` so webhooks can be read apart from e-mail and SMS.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.notifications import (
    MessageStatus,
    next_retry,
    parse_webhook_topics,
    webhook_event_type,
)
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
    WEBHOOK_DUE,
    Delivery,
    DeliveryError,
    Endpoint,
    NotificationStore,
    WebhookRequest,
)

logger = logging.getLogger(__name__)


class Webhooks(ServiceCore):
    """Fans events out to endpoints and delivers them (see :meth:`deliver_webhook`)."""

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

        code: int | None = None
        error: DeliveryError | None = None
        kept = self._kept(
            claim, lambda s: s.get_delivery(delivery_id), lambda s, d: s.save_delivery(d)
        )
        with kept:
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
        self,
        merchant_id: str,
        url: str,
        topics: Sequence[str],
        description: str | None = None,
        *,
        audit: AuditEntry | None = None,
    ) -> Endpoint:
        """A new endpoint; ``audit`` (a person's change) is written in its transaction with
        the endpoint's id as subject and its URL and topics as the change."""
        now = self.clock.now()
        ep = Endpoint(
            id=new_id(), merchant_id=merchant_id, url=self._endpoint_url(url),
            secret="whsec_" + secrets.token_urlsafe(32), topics=parse_webhook_topics(topics),
            active=True, description=description, created_at=now, updated_at=now,
        )  # fmt: skip
        with self.uow() as uow:
            uow.store.add_endpoint(ep)
            if audit is not None:
                changes: dict[str, list[Any]] = {
                    "url": [None, ep.url],
                    "topics": [None, list(ep.topics)],
                }
                uow.store.record_audit(replace(audit, subject=f"webhook:{ep.id}", changes=changes))
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

    def delete_endpoint(
        self, merchant_id: str, endpoint_id: str, *, audit: AuditEntry | None = None
    ) -> None:
        with self.uow() as uow:
            if not uow.store.delete_endpoint(merchant_id, endpoint_id, self.clock.now()):
                raise NotFound("no such webhook endpoint", field="endpoint_id")
            if audit is not None:  # in the deletion's transaction
                uow.store.record_audit(audit)
            uow.commit()


def _check_url(url: str) -> str:
    url = url.strip()
    if not (url.startswith("https://") or url.startswith("http://")) or len(url) > 2000:
        raise InvalidInput("url must be an http(s) URL of at most 2000 characters", field="url")
    return url
