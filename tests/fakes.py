"""In-memory twins of the ports: unit tests assert on outcomes, not on calls."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from postpurchase.domain.audit import AuditEntry, StoredAudit
from postpurchase.domain.events import Event
from postpurchase.domain.ids import new_id
from postpurchase.domain.media import MediaKind, MediaRef, StoredMedia, check_media
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.orders import Order, OrderProgress, ShipmentView
from postpurchase.domain.privacy import ErasureReport
from postpurchase.domain.refunds import Refund
from postpurchase.domain.secrets import MerchantSecret, SecretKind
from postpurchase.domain.shipments import Shipment, ShipmentRef
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.service_layer.ports import SecretSummary
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kw: float) -> None:
        self.current += timedelta(**kw)


class FakeMerchants:
    def __init__(self) -> None:
        self.items: dict[str, Merchant] = {}
        self.keys: dict[str, str] = {}

    def add(self, m: Merchant) -> None:
        self.items[m.id] = m

    def get(self, merchant_id: str) -> Merchant | None:
        return self.items.get(merchant_id)

    def get_by_slug(self, slug: str) -> Merchant | None:
        return next((m for m in self.items.values() if m.slug == slug), None)

    def get_by_api_key_hash(self, key_hash: str) -> Merchant | None:
        mid = self.keys.get(key_hash)
        return self.items.get(mid) if mid else None

    def add_api_key(self, merchant_id: str, key_hash: str, label: str, at: datetime) -> None:
        self.keys[key_hash] = merchant_id


class FakeSecrets:
    """Keeps secrets in memory, as the repository hands them back: open."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, SecretKind], MerchantSecret] = {}

    def get(self, merchant_id: str, kind: SecretKind) -> MerchantSecret | None:
        return self.rows.get((merchant_id, kind))

    def summaries(self, merchant_id: str) -> list[SecretSummary]:
        return [
            SecretSummary(s.kind, s.last4, s.updated_at, s.rotated_at, s.previous is not None)
            for (m, _), s in sorted(self.rows.items())
            if m == merchant_id
        ]

    def put(self, secret: MerchantSecret) -> None:
        self.rows[(secret.merchant_id, secret.kind)] = secret

    def remove(self, merchant_id: str, kind: SecretKind) -> bool:
        return self.rows.pop((merchant_id, kind), None) is not None


class FakeRefunds:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], Refund] = {}

    def add(self, refund: Refund, recorded_at: datetime) -> bool:
        key = (refund.merchant_id, refund.order_id, refund.external_id)
        if key in self.items:
            return False
        self.items[key] = refund
        return True

    def for_order(self, merchant_id: str, order_id: str) -> list[Refund]:
        return [r for (m, o, _), r in self.items.items() if (m, o) == (merchant_id, order_id)]


class FakeCustomerData:
    """Counts erasures; the SQL store's effects are tested against real databases."""

    def __init__(self) -> None:
        self.erased: list[tuple[str, str, tuple[str, ...]]] = []

    def erase(
        self, merchant_id: str, email: str, order_external_ids: Sequence[str]
    ) -> ErasureReport:
        self.erased.append((merchant_id, email, tuple(order_external_ids)))
        return ErasureReport()


class FakeCustomers:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], str] = {}

    def find_or_create(self, merchant_id: str, *, email: str | None, phone: str | None,
                       name: str | None, locale: str, at: datetime) -> str | None:  # fmt: skip
        key = email or phone
        if not key:
            return None
        return self.by_key.setdefault((merchant_id, key), new_id())


class FakeOrders:
    def __init__(self) -> None:
        self.items: dict[str, Order] = {}
        self.pending: list[tuple[Order, OrderProgress]] = []

    def add(self, order: Order) -> None:
        self.items[order.id] = order

    def revise(self, order: Order) -> None:
        self.add(order)

    def get(self, merchant_id: str, order_id: str, *, lock: bool = False) -> Order | None:
        o = self.items.get(order_id)
        return o if o and o.merchant_id == merchant_id else None

    def get_by_external_id(self, merchant_id: str, external_id: str) -> Order | None:
        return next(
            (
                o
                for o in self.items.values()
                if o.merchant_id == merchant_id and o.external_id == external_id
            ),
            None,
        )

    def get_many(
        self, merchant_id: str, order_ids: Iterable[str], *, lock: bool = False
    ) -> list[Order]:
        return [o for i in order_ids if (o := self.get(merchant_id, i))]

    def progress_many(self, merchant_id: str, order_ids: Iterable[str]) -> list[OrderProgress]:
        """Writes through to the stored order, as the SQL version does at flush."""
        out = []
        for o in self.get_many(merchant_id, order_ids):
            p = OrderProgress(o.id, o.merchant_id, o.status, {li.id: li.quantity for li in o.lines})
            self.pending.append((o, p))
            out.append(p)
        return out


class FakeShipments:
    def __init__(self) -> None:
        self.items: dict[str, Shipment] = {}

    def add(self, s: Shipment) -> None:
        self.items[s.id] = s

    def get(self, merchant_id: str, shipment_id: str) -> Shipment | None:
        s = self.items.get(shipment_id)
        return s if s and s.merchant_id == merchant_id else None

    def get_by_external_id(self, merchant_id: str, external_id: str) -> Shipment | None:
        return next(
            (
                s
                for s in self.items.values()
                if s.merchant_id == merchant_id and s.external_id == external_id
            ),
            None,
        )

    def by_tracking_numbers(
        self, merchant_id: str, numbers: Iterable[str], *, lock: bool = False
    ) -> list[Shipment]:
        wanted = set(numbers)
        return [
            s
            for s in self.items.values()
            if s.merchant_id == merchant_id and s.tracking_number in wanted
        ]

    def locate(self, merchant_id: str, numbers: Iterable[str]) -> list[ShipmentRef]:
        return [
            ShipmentRef(s.id, s.tracking_number, s.carrier, s.created_at)
            for s in self.by_tracking_numbers(merchant_id, numbers)
        ]

    def get_many(self, merchant_id: str, shipment_ids: Iterable[str]) -> list[Shipment]:
        found = (self.get(merchant_id, sid) for sid in sorted(set(shipment_ids)))
        return [s for s in found if s is not None]

    def for_orders(self, merchant_id: str, order_ids: Iterable[str]) -> list[Shipment]:
        wanted = set(order_ids)
        return [
            s for s in self.items.values() if s.merchant_id == merchant_id and s.order_id in wanted
        ]

    def views_for_orders(
        self, merchant_id: str, order_ids: Iterable[str]
    ) -> dict[str, list[ShipmentView]]:
        out: dict[str, list[ShipmentView]] = defaultdict(list)
        for s in self.for_orders(merchant_id, order_ids):
            if s.return_id is None:  # a return leg never moves the order's status
                out[s.order_id].append(s.view())
        return out

    def for_return(self, merchant_id: str, return_id: str) -> list[Shipment]:
        found = [
            s for s in self.items.values()
            if s.merchant_id == merchant_id and s.return_id == return_id
        ]  # fmt: skip
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def quiet_since(
        self, before: datetime, limit: int, out_for_delivery_before: datetime | None = None
    ) -> list[Shipment]:
        done = (ShipmentStatus.DELIVERED, ShipmentStatus.EXPIRED)

        def overdue(s: Shipment) -> bool:
            return (
                out_for_delivery_before is not None
                and s.status is ShipmentStatus.OUT_FOR_DELIVERY
                and s.state.status_at is not None
                and s.state.status_at < out_for_delivery_before
            )

        return [
            s
            for s in self.items.values()
            if s.status not in done
            and ((s.state.last_event_at or s.created_at) < before or overdue(s))
        ][:limit]


class FakeTracking:
    def __init__(self) -> None:
        self.events: dict[str, dict[str, TrackingEvent]] = defaultdict(dict)
        self.pending: list[tuple[str, str, TrackingEvent]] = []

    def add_new(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        new = set()
        for sid, e in items:
            if e.fingerprint not in self.events[sid]:
                self.events[sid][e.fingerprint] = e
                new.add((sid, e.fingerprint))
        return new

    def append(
        self, merchant_id: str, items: Sequence[tuple[str, TrackingEvent]], received_at: datetime
    ) -> set[tuple[str, str]]:
        new = self.add_new(merchant_id, items, received_at)
        for sid, e in items:
            if (sid, e.fingerprint) in new:
                self.pending.append((merchant_id, sid, e))
        return new

    def claim_pending(self, limit: int) -> list[tuple[str, str, TrackingEvent]]:
        claimed, self.pending = self.pending[:limit], self.pending[limit:]
        return claimed

    def history(self, shipment_ids: Iterable[str]) -> dict[str, list[TrackingEvent]]:
        return {sid: list(self.events[sid].values()) for sid in shipment_ids}


class FakeReceipts:
    def __init__(self) -> None:
        self.seen_ids: set[tuple[str, str, str]] = set()

    def seen(self, merchant_id: str, source: str, delivery_id: str) -> bool:
        return (merchant_id, source, delivery_id) in self.seen_ids

    def first_time(self, merchant_id: str, source: str, delivery_id: str, at: datetime) -> bool:
        key = (merchant_id, source, delivery_id)
        if key in self.seen_ids:
            return False
        self.seen_ids.add(key)
        return True


class FakeCounters:
    def __init__(self) -> None:
        self.unrecognised: dict[tuple[str, str, str | None, str | None], int] = defaultdict(int)

    def increment_unrecognised(self, merchant_id: str, source: str, carrier: str | None,
                               code: str | None, at: datetime) -> None:  # fmt: skip
        self.unrecognised[(merchant_id, source, carrier, code)] += 1


class FakeAudit:
    def __init__(self) -> None:
        self.rows: list[StoredAudit] = []

    def record(self, entry: AuditEntry) -> int:
        self.rows.append(StoredAudit(len(self.rows) + 1, entry))
        return len(self.rows)

    def list(
        self,
        merchant_id: str,
        *,
        limit: int = 50,
        before_id: int | None = None,
        subject: str | None = None,
    ) -> list[StoredAudit]:
        rows = [
            r
            for r in reversed(self.rows)
            if r.entry.merchant_id == merchant_id
            and (before_id is None or r.id < before_id)
            and (subject is None or r.entry.subject == subject)
        ]
        return rows[:limit]


class FakeMedia:
    def __init__(self) -> None:
        self.files: dict[tuple[str, str], StoredMedia] = {}

    def put(
        self,
        merchant_id: str,
        kind: MediaKind,
        content_type: str,
        data: bytes,
        filename: str | None = None,
    ) -> MediaRef:
        check_media(kind, content_type, data, filename)
        ref = MediaRef(
            new_id(), kind, content_type, len(data), hashlib.sha256(data).hexdigest(), filename
        )
        self.files[merchant_id, ref.id] = StoredMedia(ref, merchant_id, datetime.now(UTC), data)
        return ref

    def get(self, merchant_id: str, media_id: str) -> StoredMedia | None:
        return self.files.get((merchant_id, media_id))

    def delete(self, merchant_id: str, media_id: str) -> bool:
        return self.files.pop((merchant_id, media_id), None) is not None


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.merchants = FakeMerchants()
        self.audit = FakeAudit()
        self.media = FakeMedia()
        self.secrets = FakeSecrets()
        self.refunds = FakeRefunds()
        self.privacy = FakeCustomerData()
        self.customers = FakeCustomers()
        self.orders = FakeOrders()
        self.shipments = FakeShipments()
        self.tracking = FakeTracking()
        self.receipts = FakeReceipts()
        self.counters = FakeCounters()
        self.outbox: list[Event] = []
        self.committed = 0

    def _drain_aggregate_events(self) -> Iterator[Event]:
        for order, progress in self.orders.pending:
            order.status = progress.status
            order.events.extend(progress.events)
            progress.events.clear()
        self.orders.pending.clear()
        for agg in [*self.orders.items.values(), *self.shipments.items.values()]:
            while agg.events:
                yield agg.events.pop(0)

    def _write_outbox(self, events: list[Event]) -> None:
        self.outbox.extend(events)

    def _commit(self) -> None:
        self.committed += 1

    def rollback(self) -> None:
        pass
