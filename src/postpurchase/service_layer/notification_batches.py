"""Planning a batch of outbox events in one transaction, with a handful of statements.

One event planned on its own costs about ten round trips (the order with its lines, the
shipment and its lock, the messages already about it, opt-outs, webhook endpoints, the
inserts, the commit). Planned one at a time, a drain spends most of its time waiting on
them. Here the reads of a whole run of events are made up front, one statement per kind
for the whole run (orders, shipments locked in id order, messages about every subject,
opt-outs of every recipient, the merchant's endpoints); each event is then decided by
exactly the code that plans a single event (:meth:`NotificationService._plan_in`),
through :class:`BatchedStore`, which answers those reads from memory and keeps the
messages and due rows it writes until one multi-row INSERT each at the end.

Behaviour stays that of one event at a time:

- events are decided in outbox order, and each sees the messages the earlier ones of the
  batch planned (and superseded) exactly as it would have read them from the database;
- a message due at once is sent right after the commit that stored it. Had the events been
  planned one by one, it would have been sent before the next event about the same order was
  planned (which might otherwise supersede it), so a run holds back the events about such an
  order (events about other orders go on) and plans them in a next run, after the send;
- an ``OrderCancelled`` or a due delivery is handled on its own, as before;
- should the batch fail (a database error, a bug), it is rolled back and every event of it
  is planned on its own, so a failure is retried for the one event that causes it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import Channel, Message, MessageRef, MessageStatus
from postpurchase.domain.orders import Order
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.templates import Split, TemplateVersion
from postpurchase.service_layer.notification_ports import (
    INTERNAL_TOPICS,
    Endpoint,
    NotificationStore,
    Scheduled,
)

logger = logging.getLogger(__name__)

Row = tuple[int, str, Mapping[str, Any]]


class BatchedStore:
    """A :class:`NotificationStore` for planning many events in one transaction.

    Reads prefetched by :meth:`prefetch` are answered from memory; messages and scheduled
    rows are buffered until :meth:`flush`. Anything else goes to the real store at once,
    in the same transaction. The buffered state is kept exactly as the database would show
    it to the next event (messages added, superseded), so the planning code cannot tell.
    """

    def __init__(self, inner: NotificationStore) -> None:
        self.inner = inner
        self._orders: dict[tuple[str, str], Order | None] = {}
        self._shipments: dict[tuple[str, str], Shipment | None] = {}
        self._about: dict[tuple[str, str], list[MessageRef]] = {}
        self._opted: dict[str, set[tuple[Channel, str]]] = {}
        self._asked: dict[str, set[tuple[Channel, str]]] = {}
        self._endpoints: dict[str, list[Endpoint]] = {}
        self._messages: dict[str, Message] = {}  # buffered, by id, in insertion order
        self._subject_of: dict[str, tuple[str, str]] = {}  # message id -> key of _about
        self._scheduled: list[Scheduled] = []
        # stored rows to supersede, per merchant: (id, reason, at), in the order decided
        self._superseded: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
        self._splits: dict[tuple[str, str, str], Split | None] = {}
        self._versions: dict[tuple[str, str, str, int | None], TemplateVersion | None] = {}

    # ---------------------------------------------------------------- up front

    def prefetch(
        self,
        merchant_id: str,
        order_ids: Iterable[str],
        shipment_ids: Iterable[str],
        recipients: Callable[[Order], Iterable[tuple[Channel, str]]],
    ) -> None:
        """Load (and lock) what the events of one merchant will read."""
        oids = sorted({o for o in order_ids if (merchant_id, o) not in self._orders})
        sids = sorted({s for s in shipment_ids if (merchant_id, s) not in self._shipments})
        orders = self.inner.orders_many(merchant_id, oids) if oids else {}
        shipments = self.inner.lock_shipments(merchant_id, sids) if sids else {}
        for oid in oids:
            self._orders[(merchant_id, oid)] = orders.get(oid)
        for sid in sids:
            self._shipments[(merchant_id, sid)] = shipments.get(sid)
        subjects = [s for s in [*oids, *sids] if (merchant_id, s) not in self._about]
        if subjects:
            for sid, refs in self.inner.messages_about_many(merchant_id, subjects).items():
                self._about[(merchant_id, sid)] = list(refs)
                self._subject_of.update((r.id, (merchant_id, sid)) for r in refs)
        wanted = {pair for o in orders.values() for pair in recipients(o)}
        wanted -= self._asked.get(merchant_id, set())
        if wanted:
            found = self.inner.opted_out_any(merchant_id, sorted(wanted))
            self._asked.setdefault(merchant_id, set()).update(wanted)
            self._opted.setdefault(merchant_id, set()).update(found)

    def flush(self) -> None:
        """Write what was buffered: one INSERT of the messages, one of the due rows, one
        batch of UPDATEs of the stored messages newer updates superseded."""
        self.inner.add_messages(list(self._messages.values()))
        self.inner.schedule_many(self._scheduled)
        for merchant_id, rows in self._superseded.items():
            self.inner.supersede_many(merchant_id, rows)
        self._messages.clear()
        self._scheduled.clear()
        self._superseded.clear()

    # ---------------------------------------------------------------- reads

    def merchant(self, merchant_id: str) -> Merchant | None:
        return self.inner.merchant(merchant_id)

    def order(self, merchant_id: str, order_id: str) -> Order | None:
        key = (merchant_id, order_id)
        if key not in self._orders:
            self._orders[key] = self.inner.order(merchant_id, order_id)
        return self._orders[key]

    def shipment(self, merchant_id: str, shipment_id: str) -> Shipment | None:
        key = (merchant_id, shipment_id)
        if key not in self._shipments:
            self._shipments[key] = self.inner.shipment(merchant_id, shipment_id)
        return self._shipments[key]

    def lock_subject(self, merchant_id: str, shipment_id: str) -> None:
        if (merchant_id, shipment_id) not in self._shipments:  # else locked by prefetch
            self.inner.lock_subject(merchant_id, shipment_id)

    def messages_about(self, merchant_id: str, subject_id: str) -> list[MessageRef]:
        key = (merchant_id, subject_id)
        if key not in self._about:
            self._about[key] = self.inner.messages_about(merchant_id, subject_id)
            self._subject_of.update((r.id, key) for r in self._about[key])
        return list(self._about[key])

    def opted_out_any(
        self, merchant_id: str, wanted: Sequence[tuple[Channel, str]]
    ) -> set[tuple[Channel, str]]:
        asked = self._asked.get(merchant_id, set())
        rest = [pair for pair in wanted if pair not in asked]
        found = {pair for pair in wanted if pair in self._opted.get(merchant_id, set())}
        return found | (self.inner.opted_out_any(merchant_id, rest) if rest else set())

    def opted_out(self, merchant_id: str, channel: Channel, address: str) -> bool:
        return (channel, address) in self.opted_out_any(merchant_id, [(channel, address)])

    def active_endpoints(self, merchant_id: str) -> list[Endpoint]:
        if merchant_id not in self._endpoints:
            self._endpoints[merchant_id] = self.inner.active_endpoints(merchant_id)
        return self._endpoints[merchant_id]

    def endpoints_for(self, merchant_id: str, topic: str) -> list[Endpoint]:
        found = self.active_endpoints(merchant_id)
        return [ep for ep in found if "*" in ep.topics or topic in ep.topics]

    # ---------------------------------------------------------------- buffered writes

    def add_messages(self, messages: Sequence[Message]) -> None:
        for msg in messages:
            about = self._about.setdefault((msg.merchant_id, msg.subject_id), [])
            if any(ref.dedupe_key == msg.dedupe_key for ref in about):
                continue  # the database would skip it (ON CONFLICT DO NOTHING)
            self._messages[msg.id] = msg
            about.append(msg.ref())
            self._subject_of[msg.id] = (msg.merchant_id, msg.subject_id)

    def supersede(self, merchant_id: str, ids: Sequence[str], reason: str, at: datetime) -> int:
        wanted = set(ids)
        done = 0
        for mid in ids:
            msg = self._messages.get(mid)
            if msg is not None and msg.merchant_id == merchant_id:
                if msg.status is MessageStatus.QUEUED:
                    msg.suppress(reason, at)  # what the UPDATE below does to a stored row
                    done += 1
                wanted.discard(mid)
        # Stored rows: suppressed at the flush, in the same transaction, if still queued then
        # (as the UPDATE would have found them now: the run holds their shipments' locks).
        # Only those still queued as this run knows them count; the caller ignores the count.
        gone = set(ids)
        keys = {self._subject_of[i] for i in ids if i in self._subject_of}
        keys = {k for k in keys if k[0] == merchant_id}
        for key in keys:
            for r in self._about[key]:
                if r.id in wanted:
                    if r.status is MessageStatus.QUEUED:
                        self._superseded[merchant_id].append((r.id, reason, at))
                        done += 1
                    wanted.discard(r.id)
        if wanted:  # not among the subjects read (not planned through this store)
            done += self.inner.supersede(merchant_id, sorted(wanted), reason, at)
        for key in keys:
            self._about[key] = [
                replace(r, status=MessageStatus.SUPPRESSED)
                if r.id in gone and r.status is MessageStatus.QUEUED
                else r
                for r in self._about[key]
            ]
        return done

    def schedule(self, topic: str, merchant_id: str, payload: dict[str, Any], at: datetime) -> None:
        self._scheduled.append(Scheduled(topic, merchant_id, payload, at))

    # ---------------------------------------------------------------- templates

    def template_split(self, merchant_id: str, flow: str, channel: str) -> Split | None:
        """Read once per run: every message of a flow and channel asks (nothing in a run
        writes templates, so the answer cannot change within its transaction's view)."""
        key = (merchant_id, flow, channel)
        if key not in self._splits:
            self._splits[key] = self.inner.template_split(merchant_id, flow, channel)
        return self._splits[key]

    def template_version(
        self, merchant_id: str, flow: str, channel: str, version: int | None
    ) -> TemplateVersion | None:
        key = (merchant_id, flow, channel, version)
        if key not in self._versions:
            self._versions[key] = self.inner.template_version(merchant_id, flow, channel, version)
        return self._versions[key]

    def schedule_many(self, rows: Sequence[Scheduled]) -> None:
        self._scheduled.extend(rows)

    def __getattr__(self, name: str) -> Any:
        # Everything planning does not batch (webhook deliveries, ops alerts) goes straight
        # to the real store, in the same transaction.
        return getattr(self.inner, name)


def batchable(topic: str, payload: Mapping[str, Any]) -> bool:
    """Events planned in runs; the rest (due deliveries, cancellations) one at a time."""
    return (
        topic not in INTERNAL_TOPICS
        and topic != "OrderCancelled"
        and isinstance(payload.get("merchant_id"), str)
    )


def prefetch_keys(
    rows: Sequence[Row], topics: Container[str] | None = None
) -> dict[str, tuple[set[str], set[str]]]:
    """Per merchant, the orders and shipments the events are about; with ``topics``, only
    those of events whose topic is among them (the ones that read an order or a shipment:
    a held "delivered" scan raises three events, and only one of them plans messages, so
    loading, locking and reading messages for all three made the run read each order up
    to three times for nothing)."""
    out: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for _, topic, payload in rows:
        if topics is not None and topic not in topics:
            continue
        orders, shipments = out[str(payload["merchant_id"])]
        if isinstance(payload.get("order_id"), str):
            orders.add(payload["order_id"])
        if isinstance(payload.get("shipment_id"), str):
            shipments.add(payload["shipment_id"])
    return out
