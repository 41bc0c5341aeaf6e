"""Row mapping for the notification store: messages, webhook endpoints (their secrets sealed
on the way in and opened on the way out) and deliveries, to and from their table rows.

Split out of ``store`` so the statements and the mapping each read on their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping

from postpurchase.domain.notifications import Channel, Message, MessageStatus
from postpurchase.service_layer.notification_ports import Delivery, Endpoint
from postpurchase.service_layer.ports import SecretBox


def _message_row(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "merchant_id": m.merchant_id,
        "dedupe_key": m.dedupe_key,
        "flow": m.flow,
        "channel": m.channel.value,
        "status": m.status.value,
        "reason": m.reason,
        "locale": m.locale,
        "subject_id": m.subject_id,
        "order_id": m.order_id,
        "shipment_id": m.shipment_id,
        "customer_id": m.customer_id,
        "recipient": m.recipient,
        "event_topic": m.event_topic,
        "event_id": m.event_id,
        "event_at": m.event_at,
        "urgent": m.urgent,
        "created_at": m.created_at,
        "send_after": m.send_after,
        "next_attempt_at": m.next_attempt_at,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "sent_at": m.sent_at,
        "updated_at": m.updated_at or m.created_at,
        "provider_id": m.provider_id,
        "unsubscribe_token": m.unsubscribe_token,
        "subject": m.subject,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "unknown_outcomes": m.unknown_outcomes,
        "template_version": m.template_version,
        "held_out": m.held_out,
    }


def _message(r: RowMapping) -> Message:
    data = dict(r)
    data["channel"] = Channel(data["channel"])
    data["status"] = MessageStatus(data["status"])
    return Message(**data)


def _endpoint_row(e: Endpoint, box: SecretBox) -> dict[str, Any]:
    return {
        "id": e.id,
        "merchant_id": e.merchant_id,
        "url": e.url,
        "secret": box.seal(e.secret),
        "topics": list(e.topics),
        "active": e.active,
        "description": e.description,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _endpoint(r: RowMapping, box: SecretBox) -> Endpoint:
    return Endpoint(
        id=r["id"],
        merchant_id=r["merchant_id"],
        url=r["url"],
        secret=box.open(r["secret"]),
        topics=tuple(r["topics"] or ()),
        active=bool(r["active"]),
        description=r["description"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


def _delivery_row(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "merchant_id": d.merchant_id,
        "endpoint_id": d.endpoint_id,
        "dedupe_key": d.dedupe_key,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "body": d.body,
        "status": d.status.value,
        "reason": d.reason,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "replay_of": d.replay_of,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "delivered_at": d.delivered_at,
        "unknown_outcomes": d.unknown_outcomes,
    }


def _delivery(r: RowMapping) -> Delivery:
    data = dict(r)
    data["status"] = MessageStatus(data["status"])
    return Delivery(**data)
