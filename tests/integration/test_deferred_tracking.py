"""Deferred tracking ingestion (ADR 0005) on real SQLite and PostgreSQL: a webhook stores
and queues scans, folders fold them later, and every scan counts exactly once."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.repositories import unfolded
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent, fold
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.worker import fold_tracking
from postpurchase.service_layer import handlers
from tests.factories import T0, normalised_event, place_order, scan, ups_number
from tests.fakes import FakeClock


def _platform(engine, mode: str) -> Platform:
    clock = FakeClock(T0 + timedelta(days=1))
    return bootstrap(
        Settings(tracking_ingest=mode), engine=engine, clock=clock, notifications=False
    )


@pytest.fixture
def deferred(engine) -> Platform:
    return _platform(engine, "deferred")


@pytest.fixture
def inline(engine) -> Platform:
    return _platform(engine, "inline")


def _shipment(platform: Platform, merchant_id: str) -> tuple[str, str, str]:
    order = platform.bus().handle(place_order(merchant_id))
    number = ups_number()
    sid = platform.bus().handle(commands.CreateShipment(merchant_id, order.id, number)).id
    return order.id, sid, number


def _send(platform: Platform, merchant_id: str, number: str, events: list[TrackingEvent]):
    update = commands.TrackingUpdate(number, "ups", tuple(events))
    return platform.bus().handle(commands.RecordTracking(merchant_id, (update,)))


def _queued(engine, merchant_id: str) -> int:
    with engine.connect() as c:
        return unfolded(c, merchant_id)[0]


def _topics(engine, merchant_id: str) -> list[str]:
    with engine.connect() as c:
        q = select(t.outbox.c.topic).where(t.outbox.c.merchant_id == merchant_id)
        return list(c.execute(q.order_by(t.outbox.c.id)).scalars())


SCANS = [
    scan(1, ShipmentStatus.INFO_RECEIVED),
    scan(5, ShipmentStatus.IN_TRANSIT, carrier_code="AR"),
    scan(40, ShipmentStatus.OUT_FOR_DELIVERY),
    scan(44, ShipmentStatus.DELIVERED),
]


def test_accept_answers_like_inline_and_the_fold_moves_the_status(deferred, engine) -> None:
    merchant, _, *_ = handlers.create_merchant(deferred.uow(), deferred.clock, "Deferred " + ref())
    # A subscriber that acts on every delivery: without one (the remedy rule is off) the
    # event would get no outbox row at all (ADR 0041), and this test reads the rows.
    deferred.subscribe("ShipmentDelivered", lambda row_id, topic, payload: None)
    order_id, sid, number = _shipment(deferred, merchant.id)
    outbox_before = _topics(engine, merchant.id)

    first = _send(deferred, merchant.id, number, SCANS[:3])
    again = _send(deferred, merchant.id, number, SCANS)
    assert [(r["result"], r["new_events"], r["duplicates"]) for r in first + again] == [
        ("accepted", 3, 0),
        ("accepted", 1, 3),
    ]
    with deferred.uow() as uow:
        s = uow.shipments.get(merchant.id, sid)
        assert s is not None and s.status is ShipmentStatus.PENDING  # accepted, not folded
        assert len(uow.tracking.history([sid])[sid]) == 4  # but every scan is stored
    assert _queued(engine, merchant.id) == 4
    assert _topics(engine, merchant.id) == outbox_before  # nothing announced yet

    assert fold_tracking(deferred) >= 4
    with deferred.uow() as uow:
        s = uow.shipments.get(merchant.id, sid)
        order = uow.orders.get(merchant.id, order_id)
    assert s is not None and s.status is ShipmentStatus.DELIVERED
    assert s.state == fold(SCANS)
    assert order is not None and order.status is OrderStatus.DELIVERED
    assert _queued(engine, merchant.id) == 0
    raised = _topics(engine, merchant.id)[len(outbox_before) :]
    assert "ShipmentStatusChanged" in raised and "ShipmentDelivered" in raised


def test_late_scans_across_folds_give_the_fold_of_all(deferred, engine) -> None:
    merchant, _, *_ = handlers.create_merchant(deferred.uow(), deferred.clock, "Late " + ref())
    _, sid, number = _shipment(deferred, merchant.id)
    # delivered first and folded, then older scans arrive late and twice
    for batch, fold_after in (([SCANS[3]], True), ([SCANS[1], SCANS[0]], False), (SCANS, True)):
        _send(deferred, merchant.id, number, batch)
        if fold_after:
            fold_tracking(deferred, limit=2)  # small claims: several transactions
    with deferred.uow() as uow:
        s = uow.shipments.get(merchant.id, sid)
    assert s is not None and s.state == fold(SCANS)
    assert s.state.handed_over_at == SCANS[1].occurred_at


def test_unrecognised_codes_are_counted_once_when_folded(deferred, engine) -> None:
    merchant, _, *_ = handlers.create_merchant(deferred.uow(), deferred.clock, "Odd " + ref())
    _, _, number = _shipment(deferred, merchant.id)
    odd = [scan(h, ShipmentStatus.IN_TRANSIT, recognised=False, carrier_code="Q7") for h in (1, 2)]
    _send(deferred, merchant.id, number, odd)
    _send(deferred, merchant.id, number, odd)  # re-sent: duplicates, not counted again
    fold_tracking(deferred)
    with engine.connect() as c:
        row = c.execute(
            select(t.unrecognised_codes).where(t.unrecognised_codes.c.merchant_id == merchant.id)
        ).one()
    assert (row.code, row.count) == ("Q7", 2)


def test_concurrent_acceptors_folders_and_inline_count_each_scan_once(
    deferred, inline, engine
) -> None:
    """Four threads accept, two fold, one ingests inline, all on the same parcels; at the
    end every parcel's stored state is exactly the fold of its stored events."""
    merchant, _, *_ = handlers.create_merchant(deferred.uow(), deferred.clock, "Race " + ref())
    parcels = [_shipment(deferred, merchant.id) for _ in range(12)]
    rng = random.Random(7)
    statuses = [ShipmentStatus.IN_TRANSIT] * 6 + [ShipmentStatus.OUT_FOR_DELIVERY]
    feed = [
        (number, scan(rng.uniform(0, 60), rng.choice(statuses), carrier_code=f"C{k}"))
        for _, _, number in parcels
        for k in range(10)
    ]
    rng.shuffle(feed)
    chunks = [feed[i::5] for i in range(5)]
    errors: list[BaseException] = []
    accepting = threading.Event()

    def ingest(platform: Platform, items: list[tuple[str, TrackingEvent]]) -> None:
        try:
            for i in range(0, len(items), 7):
                by_number: dict[str, list[TrackingEvent]] = {}
                for number, e in items[i : i + 7] + items[max(0, i - 3) : i]:  # some re-sent
                    by_number.setdefault(number, []).append(e)
                updates = tuple(
                    commands.TrackingUpdate(n, "ups", tuple(es)) for n, es in by_number.items()
                )
                platform.bus().handle(commands.RecordTracking(merchant.id, updates))
        except BaseException as exc:
            errors.append(exc)

    def folder() -> None:
        try:
            while accepting.is_set():
                fold_tracking(deferred, limit=5)
        except BaseException as exc:
            errors.append(exc)

    accepting.set()
    workers = [threading.Thread(target=ingest, args=(deferred, c)) for c in chunks[:4]]
    workers.append(threading.Thread(target=ingest, args=(inline, chunks[4])))
    folders = [threading.Thread(target=folder) for _ in range(2)]
    for th in workers + folders:
        th.start()
    for th in workers:
        th.join(timeout=120)
    accepting.clear()
    for th in folders:
        th.join(timeout=120)
    assert not errors, errors
    fold_tracking(deferred)

    assert _queued(engine, merchant.id) == 0
    with deferred.uow() as uow:
        histories = uow.tracking.history([sid for _, sid, _ in parcels])
        for order_id, sid, _ in parcels:
            s = uow.shipments.get(merchant.id, sid)
            assert s is not None
            assert len(histories[sid]) == 10
            assert s.state == fold(histories[sid]), s.tracking_number
            order = uow.orders.get(merchant.id, order_id)
            assert order is not None and order.status is OrderStatus.SHIPPED


def test_webhook_in_deferred_mode_answers_then_the_worker_folds(engine) -> None:
    platform = _platform(engine, "deferred")
    merchant, key, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Hook " + ref())
    _, sid, number = _shipment(platform, merchant.id)
    body = {
        "events": [
            normalised_event(number, 2, "in_transit", id="a1"),
            normalised_event(number, 30, "out_for_delivery", id="a2"),
        ]
    }
    with TestClient(create_app(platform)) as client:
        r = client.post(
            "/webhooks/tracking/postpurchase",
            content=orjson.dumps(body),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["new_events"] == 2
        path = f"/api/v1/shipments/{sid}"
        auth = {"Authorization": f"Bearer {key}"}
        assert client.get(path, headers=auth).json()["status"] == "pending"
        fold_tracking(platform)
        assert client.get(path, headers=auth).json()["status"] == "out_for_delivery"


def ref() -> str:
    return ups_number()[-8:]


def test_backlog_endpoint_reports_scans_waiting_for_the_worker(engine) -> None:
    platform = _platform(engine, "deferred")
    merchant, _, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Lag " + ref())
    _, _, number = _shipment(platform, merchant.id)
    with TestClient(create_app(platform)) as client:
        fold_tracking(platform)  # other tests' leftovers
        before = client.get("/healthz/backlog").json()
        assert before["tracking_scans_to_fold"] == 0
        assert before["oldest_scan_to_fold_seconds"] is None
        _send(platform, merchant.id, number, SCANS[:2])
        platform.clock.advance(minutes=2)
        lagging = client.get("/healthz/backlog").json()
        assert lagging["tracking_scans_to_fold"] == 2
        assert lagging["oldest_scan_to_fold_seconds"] == 120.0
        assert lagging["outbox_events_to_deliver"] >= 0
        fold_tracking(platform)
        assert client.get("/healthz/backlog").json()["tracking_scans_to_fold"] == 0
