"""Tracking ingestion: routing scans to shipments, storing them once, folding them into
shipment and order status (inline, or deferred and folded by the worker), and the sweep
that flags shipments gone quiet.

Kept apart from ``handlers`` (which maps every command to its handler) because it is the
hot path and the largest single concern there; ``handlers`` re-exports its public names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from postpurchase.domain import commands
from postpurchase.domain.carrier_detection import normalise
from postpurchase.domain.shipments import Shipment, ShipmentRef
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True, slots=True)
class SweepPolicy:
    """How long a shipment may stay quiet before we say so (per carrier, in days)."""

    no_scan_days: dict[str, int]
    default_no_scan_days: int = 5
    expire_days: int = 30
    # Out for delivery this long without a delivery: late (issue 16: "today" went stale).
    out_for_delivery_after: timedelta = timedelta(hours=24)

    def no_scan_after(self, carrier: str | None) -> timedelta:
        days = self.no_scan_days.get(carrier or "", self.default_no_scan_days)
        return timedelta(days=days)


def _record(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    shipment: Shipment,
    candidates: list[TrackingEvent],
    now: datetime,
) -> int:
    new = uow.tracking.add_new(merchant_id, [(shipment.id, e) for e in candidates], now)
    fresh = [e for e in candidates if (shipment.id, e.fingerprint) in new]
    shipment.record(fresh, lambda: uow.tracking.history([shipment.id])[shipment.id])
    return len(fresh)


def record_tracking(
    cmd: commands.RecordTracking, uow: AbstractUnitOfWork, clock: Clock
) -> list[dict[str, Any]]:
    """Inline ingestion: store and fold a batch of scans in one transaction; one result per
    update, in order.

    Costs a fixed number of queries per batch (not per event): shipments by number, one
    idempotent insert of all events, history only for shipments that received an
    out-of-order event, then the affected orders.
    """
    now = clock.now()
    with uow:
        numbers = {normalise(u.tracking_number) for u in cmd.updates}
        found = uow.shipments.by_tracking_numbers(cmd.merchant_id, numbers, lock=True)
        targets, pairs = _route(cmd.updates, found)
        new = uow.tracking.add_new(cmd.merchant_id, pairs, now) if pairs else set()
        results, fresh = _tally(targets, new)
        shipments = {s.id: s for _, s in targets if s is not None}
        for u, s in targets:
            if s is not None:
                s.learn(u.service, u.tracking_url)
        _fold(uow, cmd.merchant_id, shipments, fresh, now)
        uow.commit()
    return results


def accept_tracking(
    cmd: commands.RecordTracking, uow: AbstractUnitOfWork, clock: Clock
) -> list[dict[str, Any]]:
    """Deferred ingestion (ADR 0005): store the new scans and queue them for the folder.

    The answer is the same as inline (new and duplicate counts are exact: the unique key
    decides), but statuses move when the worker runs :func:`fold_tracking`. No order is
    locked or written here, and a shipment only the first time a source tells its service
    level or tracking page, which is what lets one process accept a feed several times
    faster than it can fold it one request at a time.
    """
    now = clock.now()
    with uow:
        numbers = {normalise(u.tracking_number) for u in cmd.updates}
        targets, pairs = _route(cmd.updates, uow.shipments.locate(cmd.merchant_id, numbers))
        new = uow.tracking.append(cmd.merchant_id, pairs, now) if pairs else set()
        results, _ = _tally(targets, new)
        teaching = {
            ref.id: u
            for u, ref in targets
            if ref is not None and ref.would_learn(u.service, u.tracking_url)
        }
        if teaching:
            for s in uow.shipments.get_many(cmd.merchant_id, teaching):
                s.learn(teaching[s.id].service, teaching[s.id].tracking_url)
        uow.commit()
    if new:
        uow.worker_needed = True
    return results


def fold_tracking(cmd: commands.FoldTracking, uow: AbstractUnitOfWork, clock: Clock) -> int:
    """Fold queued scans into their shipments and orders; returns how many were claimed.

    Any number of folders may run beside each other and beside inline ingestion: a claim is
    exclusive, shipments are locked in id order, and a scan that a concurrent re-fold
    already counted can never take the incremental path again (it does not sort after the
    state), so each scan counts exactly once.
    """
    now = clock.now()
    with uow:
        claimed = uow.tracking.claim_pending(cmd.limit)
        if not claimed:
            return 0
        grouped: dict[str, dict[str, list[TrackingEvent]]] = defaultdict(lambda: defaultdict(list))
        for merchant_id, shipment_id, event in claimed:
            grouped[merchant_id][shipment_id].append(event)
        # Every shipment lock before any order lock, in one global order (merchant, id), as
        # inline ingestion does: the stale sweep holds shipments while it waits for orders.
        locked = {m: uow.shipments.get_many(m, grouped[m]) for m in sorted(grouped)}
        for merchant_id, shipments in locked.items():
            _fold(uow, merchant_id, {s.id: s for s in shipments}, grouped[merchant_id], now)
        uow.commit()
    return len(claimed)


_Target = TypeVar("_Target", Shipment, ShipmentRef)


def _route(
    updates: Iterable[commands.TrackingUpdate], found: Iterable[_Target]
) -> tuple[list[tuple[commands.TrackingUpdate, _Target | None]], list[tuple[str, TrackingEvent]]]:
    """Which shipment each update is for, and the (shipment id, event) pairs to store.

    An update whose source named no carrier is read as scans of the shipment's carrier
    (``TrackingUpdate.for_carrier``): its carrier-specific codes then mean what that
    carrier means by them, in both ingestion modes, before anything is stored or counted.
    """
    by_number: dict[str, list[_Target]] = defaultdict(list)
    for s in found:
        by_number[s.tracking_number].append(s)
    targets: list[tuple[commands.TrackingUpdate, _Target | None]] = []
    pairs: list[tuple[str, TrackingEvent]] = []
    for u in updates:
        shipment = _pick(by_number.get(normalise(u.tracking_number), []), u.carrier)
        if shipment is not None:
            u = u.for_carrier(shipment.carrier)
            pairs.extend((shipment.id, e) for e in u.events)
        targets.append((u, shipment))
    return targets, pairs


def _tally(
    targets: list[tuple[commands.TrackingUpdate, _Target | None]], new: set[tuple[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, list[TrackingEvent]]]:
    """One result per update, and the events stored for the first time, per shipment."""
    new = set(new)
    results: list[dict[str, Any]] = []
    fresh_by_shipment: dict[str, list[TrackingEvent]] = defaultdict(list)
    for u, shipment in targets:
        if shipment is None:
            results.append(_result(u, "unknown_tracking_number", 0, len(u.events)))
            continue
        fresh = [e for e in u.events if (shipment.id, e.fingerprint) in new]
        new -= {(shipment.id, e.fingerprint) for e in fresh}
        fresh_by_shipment[shipment.id].extend(fresh)
        results.append(_result(u, "accepted", len(fresh), len(u.events) - len(fresh)))
    return results, fresh_by_shipment


def _fold(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    shipments: dict[str, Shipment],
    fresh_by_shipment: dict[str, list[TrackingEvent]],
    now: datetime,
) -> None:
    """Apply each shipment's new events (re-folding the ones that got a late event), count
    unrecognised codes, and re-derive the orders whose shipments changed status."""
    fresh_by_shipment = {
        sid: fresh for sid, fresh in fresh_by_shipment.items() if fresh and sid in shipments
    }
    late = [
        sid
        for sid, fresh in fresh_by_shipment.items()
        if not shipments[sid].state.follows(min(fresh, key=lambda e: e.sort_key))
    ]
    histories = uow.tracking.history(late) if late else {}
    changed_orders: set[str] = set()
    for sid, fresh in fresh_by_shipment.items():
        s = shipments[sid]
        before = s.state.status
        s.record(fresh, lambda sid=sid: histories[sid])  # type: ignore[misc]
        for e in fresh:
            if not e.recognised:
                uow.counters.increment_unrecognised(
                    merchant_id, e.source, s.carrier, e.carrier_code, now
                )
        if s.state.status is not before:
            changed_orders.add(s.order_id)
    _refresh_orders(uow, merchant_id, changed_orders, now)


def _pick(candidates: list[_Target], carrier: str | None) -> _Target | None:
    """The same number can (rarely) exist at two carriers; the source's carrier decides."""
    if not candidates:
        return None
    if carrier:
        for s in candidates:
            if s.carrier == carrier:
                return s
    return max(candidates, key=lambda s: s.created_at)


def _result(u: commands.TrackingUpdate, status: str, new: int, dup: int) -> dict[str, Any]:
    return {
        "ref": u.ref,
        "tracking_number": u.tracking_number,
        "result": status,
        "new_events": new,
        "duplicates": dup,
    }


def _refresh_orders(
    uow: AbstractUnitOfWork, merchant_id: str, order_ids: set[str], now: datetime
) -> None:
    if not order_ids:
        return
    progress = uow.orders.progress_many(merchant_id, order_ids)
    views = uow.shipments.views_for_orders(merchant_id, order_ids)
    for order in progress:
        order.refresh(views.get(order.id, []), now)


def sweep_stale_shipments(
    cmd: commands.SweepStaleShipments, uow: AbstractUnitOfWork, policy: SweepPolicy
) -> int:
    """Flag shipments that went quiet (exception/delayed) or silent for good (expired).

    Runs across merchants (a system job); every write stays inside the shipment's tenant.
    """
    shortest = min([policy.default_no_scan_days, *policy.no_scan_days.values()])
    flagged = 0
    with uow:
        quiet = uow.shipments.quiet_since(
            cmd.now - timedelta(days=shortest),
            limit=5000,
            out_for_delivery_before=cmd.now - policy.out_for_delivery_after,
        )
        touched: dict[str, set[str]] = defaultdict(set)
        for s in quiet:
            event = s.stale_event(
                cmd.now,
                no_scan_after=policy.no_scan_after(s.carrier),
                expire_after=timedelta(days=policy.expire_days),
                out_for_delivery_after=policy.out_for_delivery_after,
            )
            if event is None:
                continue
            _record(uow, s.merchant_id, s, [event], cmd.now)
            touched[s.merchant_id].add(s.order_id)
            flagged += 1
        for merchant_id, order_ids in touched.items():
            _refresh_orders(uow, merchant_id, order_ids, cmd.now)
        uow.commit()
    return flagged
