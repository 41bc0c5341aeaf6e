"""The in-memory twin of NotificationStore and a unit of work that rolls back like the real
one, so the notification service runs in unit tests without a database."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import Channel, Message, MessageRef, MessageStatus
from postpurchase.domain.orders import Order
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.templates import Split, TemplateVersion
from postpurchase.service_layer.notification_ports import Alert, Delivery, Endpoint, Scheduled


@dataclass
class State:
    merchants: dict[str, Merchant] = field(default_factory=dict)
    templates: list[TemplateVersion] = field(default_factory=list)
    splits: dict[tuple[str, str, str], Split] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    optouts: dict[tuple[str, str, str], str] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    deleted_endpoints: set[str] = field(default_factory=set)
    audit: list[AuditEntry] = field(default_factory=list)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    alerts: list[tuple[int, str, str, str, datetime, datetime | None]] = field(default_factory=list)
    scheduled: list[tuple[str, str, dict[str, Any], datetime]] = field(default_factory=list)
    event_times: dict[int, datetime] = field(default_factory=dict)


class InMemoryStore:
    def __init__(self, state: State) -> None:
        self.s = state

    def merchant(self, merchant_id: str) -> Merchant | None:
        return self.s.merchants.get(merchant_id)

    def order(self, merchant_id: str, order_id: str) -> Order | None:
        o = self.s.orders.get(order_id)
        return o if o and o.merchant_id == merchant_id else None

    def shipment(self, merchant_id: str, shipment_id: str) -> Shipment | None:
        x = self.s.shipments.get(shipment_id)
        return x if x and x.merchant_id == merchant_id else None

    def customer_name(self, merchant_id: str, customer_id: str) -> str | None:
        return None

    def orders_many(self, merchant_id: str, order_ids: Sequence[str]) -> dict[str, Order]:
        found = {i: self.order(merchant_id, i) for i in order_ids}
        return {i: o for i, o in found.items() if o is not None}

    def lock_shipments(self, merchant_id: str, shipment_ids: Sequence[str]) -> dict[str, Shipment]:
        found = {i: self.shipment(merchant_id, i) for i in shipment_ids}
        return {i: x for i, x in found.items() if x is not None}

    def messages_about_many(
        self, merchant_id: str, subject_ids: Sequence[str]
    ) -> dict[str, list[MessageRef]]:
        return {i: self.messages_about(merchant_id, i) for i in subject_ids}

    def lock_subject(self, merchant_id: str, shipment_id: str) -> None:
        return None

    def messages_about(self, merchant_id: str, subject_id: str) -> list[MessageRef]:
        return [
            m.ref()
            for m in sorted(self.s.messages.values(), key=lambda m: m.created_at)
            if m.merchant_id == merchant_id and m.subject_id == subject_id
        ]

    def add_messages(self, messages: Sequence[Message]) -> None:
        for message in messages:
            taken = any(
                m.merchant_id == message.merchant_id and m.dedupe_key == message.dedupe_key
                for m in self.s.messages.values()
            )
            if not taken:
                self.s.messages[message.id] = copy.copy(message)

    def supersede(self, merchant_id: str, ids: Sequence[str], reason: str, at: datetime) -> int:
        n = 0
        for i in ids:
            m = self.s.messages.get(i)
            if m and m.merchant_id == merchant_id and m.status is MessageStatus.QUEUED:
                m.suppress(reason, at)
                n += 1
        return n

    def supersede_many(self, merchant_id: str, rows: Sequence[tuple[str, str, datetime]]) -> None:
        for i, reason, at in rows:
            self.supersede(merchant_id, [i], reason, at)

    def suppress_queued_for_order(
        self, merchant_id: str, order_id: str, reason: str, at: datetime
    ) -> int:
        ids = [m.id for m in self.s.messages.values() if m.order_id == order_id]
        return self.supersede(merchant_id, ids, reason, at)

    def get_message(self, message_id: str) -> Message | None:
        m = self.s.messages.get(message_id)
        return copy.copy(m) if m else None

    def save_message(self, message: Message) -> None:
        self.s.messages[message.id] = copy.copy(message)

    def get_messages(self, message_ids: Sequence[str]) -> dict[str, Message]:
        return {i: m for i in message_ids if (m := self.get_message(i)) is not None}

    def save_messages(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self.save_message(message)

    def message_by_token(self, token: str) -> Message | None:
        return next((m for m in self.s.messages.values() if m.unsubscribe_token == token), None)

    def opted_out_any(
        self, merchant_id: str, wanted: Sequence[tuple[Channel, str]]
    ) -> set[tuple[Channel, str]]:
        return {(c, a) for c, a in wanted if self.opted_out(merchant_id, c, a)}

    def opted_out(self, merchant_id: str, channel: Channel, address: str) -> bool:
        return (merchant_id, channel.value, address) in self.s.optouts

    def set_opt_out(
        self, merchant_id: str, channel: Channel, address: str, source: str, at: datetime
    ) -> None:
        self.s.optouts.setdefault((merchant_id, channel.value, address), source)

    def clear_opt_out(self, merchant_id: str, channel: Channel, address: str) -> bool:
        return self.s.optouts.pop((merchant_id, channel.value, address), None) is not None

    def set_merchant_setting(self, merchant_id: str, key: str, value: Any) -> None:
        self.s.merchants[merchant_id].settings[key] = value

    def template_split(self, merchant_id: str, flow: str, channel: str) -> Split | None:
        return self.s.splits.get((merchant_id, flow, channel))

    def template_version(
        self, merchant_id: str, flow: str, channel: str, version: int | None
    ) -> TemplateVersion | None:
        found = [
            v
            for v in self.s.templates
            if (v.merchant_id, v.flow, v.channel) == (merchant_id, flow, channel)
            and (version is None or v.version == version)
        ]
        return max(found, key=lambda v: v.version) if found else None

    def endpoints_for(self, merchant_id: str, topic: str) -> list[Endpoint]:
        return [
            e
            for e in self.s.endpoints.values()
            if e.merchant_id == merchant_id
            and e.active
            and e.id not in self.s.deleted_endpoints
            and ("*" in e.topics or topic in e.topics)
        ]

    def active_endpoints(self, merchant_id: str) -> list[Endpoint]:
        return [
            e
            for e in self.s.endpoints.values()
            if e.merchant_id == merchant_id and e.active and e.id not in self.s.deleted_endpoints
        ]

    def get_endpoint(self, merchant_id: str, endpoint_id: str) -> Endpoint | None:
        e = self.s.endpoints.get(endpoint_id)
        ok = e and e.merchant_id == merchant_id and endpoint_id not in self.s.deleted_endpoints
        return e if ok else None

    def add_endpoint(self, endpoint: Endpoint) -> None:
        self.s.endpoints[endpoint.id] = endpoint

    def save_endpoint(self, endpoint: Endpoint) -> None:
        self.s.endpoints[endpoint.id] = endpoint

    def record_audit(self, entry: AuditEntry) -> None:
        self.s.audit.append(entry)

    def delete_endpoint(self, merchant_id: str, endpoint_id: str, at: datetime) -> bool:
        if self.get_endpoint(merchant_id, endpoint_id) is None:
            return False
        self.s.deleted_endpoints.add(endpoint_id)
        return True

    def add_delivery(self, delivery: Delivery) -> bool:
        if any(
            d.merchant_id == delivery.merchant_id and d.dedupe_key == delivery.dedupe_key
            for d in self.s.deliveries.values()
        ):
            return False
        self.s.deliveries[delivery.id] = replace(delivery)
        return True

    def get_delivery(self, delivery_id: str, merchant_id: str | None = None) -> Delivery | None:
        d = self.s.deliveries.get(delivery_id)
        if d is None or (merchant_id is not None and d.merchant_id != merchant_id):
            return None
        return replace(d)

    def save_delivery(self, delivery: Delivery) -> None:
        self.s.deliveries[delivery.id] = replace(delivery)

    def event_created_at(self, event_id: int) -> datetime | None:
        return self.s.event_times.get(event_id)

    def has_pending_alerts(self, merchant_id: str) -> bool:
        return any(a[1] == merchant_id and a[5] is None for a in self.s.alerts)

    def add_alert(
        self,
        merchant_id: str,
        dedupe_key: str,
        kind: str,
        order_id: str | None,
        shipment_id: str | None,
        summary: str,
        at: datetime,
    ) -> bool:
        if any(a[1] == merchant_id and a[2] == dedupe_key for a in self.s.alerts):
            return False
        self.s.alerts.append((len(self.s.alerts) + 1, merchant_id, dedupe_key, summary, at, None))
        return True

    def pending_alerts(self, merchant_id: str, limit: int) -> list[Alert]:
        rows = [a for a in self.s.alerts if a[1] == merchant_id and a[5] is None][:limit]
        return [Alert(a[0], a[2].split(":")[0], a[3], a[4]) for a in rows]

    def mark_alerts_sent(self, ids: Sequence[int], at: datetime) -> None:
        self.s.alerts = [(*a[:5], at) if a[0] in ids else a for a in self.s.alerts]

    def schedule(self, topic: str, merchant_id: str, payload: dict[str, Any], at: datetime) -> None:
        self.s.scheduled.append((topic, merchant_id, payload, at))

    def schedule_many(self, rows: Sequence[Scheduled]) -> None:
        for r in rows:
            self.schedule(r.topic, r.merchant_id, r.payload, r.at)


class InMemoryUoW:
    """Snapshot on enter, restore unless committed: the fake rolls back like the real one."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.store = InMemoryStore(state)
        self._snapshot: State | None = None

    def __enter__(self) -> InMemoryUoW:
        self._snapshot = copy.deepcopy(self.state)
        return self

    def commit(self) -> None:
        self._snapshot = None

    def __exit__(self, *exc: Any) -> None:
        if self._snapshot is not None:
            self.state.__dict__.update(self._snapshot.__dict__)
            self._snapshot = None


def run_due(service: Any, state: State, now: datetime, *, rounds: int = 10) -> int:
    """What the outbox drain does for scheduled rows: deliver everything due by ``now``."""
    done = 0
    for _ in range(rounds):
        due = [row for row in state.scheduled if row[3] <= now]
        if not due:
            break
        state.scheduled = [row for row in state.scheduled if row[3] > now]
        for topic, _mid, payload, _at in due:
            service.handle(0, topic, payload)
            done += 1
    return done
