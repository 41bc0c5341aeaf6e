"""The worker on each queue backend (Huey on SQLite storage, and on Redis when configured):
a committed event reaches its asynchronous subscriber once, through a nudge or the sweep."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.entrypoints.worker import build, drain_outbox
from postpurchase.service_layer.handlers import create_merchant
from tests.conftest import REDIS_URL
from tests.factories import place_order, ups_number


@pytest.fixture
def worker(queue_backend, engine, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        redis_url=REDIS_URL if queue_backend == "redis" else None,
    )
    platform = bootstrap(settings, engine=engine)
    w = build(platform=platform)
    w.huey.flush()  # a shared Redis may hold tasks of an earlier run
    return w


def _undelivered(platform, merchant_id: str) -> int:  # type: ignore[no-untyped-def]
    o = t.outbox.c
    with platform.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.outbox)
                .where(o.merchant_id == merchant_id, o.processed_at.is_(None))
            ).scalar_one()
        )


def test_nudged_worker_delivers_each_event_once(worker) -> None:
    platform = worker.platform
    merchant, _, *_ = create_merchant(platform.uow(), platform.clock, "Q " + uuid.uuid4().hex[:8])
    received: list[str] = []
    lock = threading.Lock()

    def subscriber(row_id: int, topic: str, payload: dict) -> None:
        if payload["merchant_id"] == merchant.id:
            with lock:
                received.append(payload["order_id"])

    platform.subscribe("OrderPlaced", subscriber)
    consumer = worker.consumer(2, embedded=True)
    consumer.start()
    try:
        ids = [platform.bus().handle(place_order(merchant.id)).id for _ in range(5)]
        deadline = time.monotonic() + 20
        while len(received) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
    assert sorted(received) == sorted(ids)
    assert _undelivered(platform, merchant.id) == 0  # nothing of this shop left
    drain_outbox(platform)  # what the sweep would run: delivers nothing twice
    assert len(received) == 5


def _orders_placed(platform, merchant_id: str) -> list[int]:  # type: ignore[no-untyped-def]
    """The outbox ids of this shop's OrderPlaced events, as a subscriber receives them."""
    got: list[int] = []
    platform.subscribe(
        "OrderPlaced",
        lambda row_id, topic, payload: (
            got.append(row_id) if payload["merchant_id"] == merchant_id else None
        ),
    )
    return got


def test_lost_nudge_is_caught_by_the_sweep(worker) -> None:
    platform = worker.platform
    merchant, _, *_ = create_merchant(platform.uow(), platform.clock, "Q " + uuid.uuid4().hex[:8])
    got = _orders_placed(platform, merchant.id)

    class Broken:
        def nudge_outbox(self) -> None:
            raise ConnectionError("queue down")

        def nudge_tracking(self) -> None:
            raise ConnectionError("queue down")

    platform.queue = Broken()  # the commit happens, the enqueue is lost
    with pytest.raises(ConnectionError):
        platform.bus().handle(place_order(merchant.id))
    assert got == []
    drain_outbox(platform)  # what the periodic sweep runs
    assert len(got) == 1


def test_nudged_worker_folds_deferred_scans(queue_backend, engine, tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        redis_url=REDIS_URL if queue_backend == "redis" else None,
        tracking_ingest="deferred",
    )
    w = build(platform=bootstrap(settings, engine=engine, notifications=False))
    w.huey.flush()
    platform = w.platform
    merchant, _, *_ = create_merchant(platform.uow(), platform.clock, "F " + uuid.uuid4().hex[:8])
    order = platform.bus().handle(place_order(merchant.id))
    number = ups_number()
    sid = platform.bus().handle(commands.CreateShipment(merchant.id, order.id, number)).id
    # A scan of an hour ago on the wall clock: the worker's periodic stale sweep runs on the
    # wall clock too, and would expire a parcel whose last scan is over 30 days old.
    recent = TrackingEvent(datetime.now(UTC) - timedelta(hours=1), ShipmentStatus.IN_TRANSIT)
    update = commands.TrackingUpdate(number, "ups", (recent,))
    consumer = w.consumer(2, embedded=True)
    consumer.start()
    try:
        platform.bus().handle(commands.RecordTracking(merchant.id, (update,)))
        deadline = time.monotonic() + 20
        status = ShipmentStatus.PENDING
        while status is ShipmentStatus.PENDING and time.monotonic() < deadline:
            time.sleep(0.05)
            with platform.uow() as uow:
                s = uow.shipments.get(merchant.id, sid)
                status = s.status if s else status
    finally:
        consumer.stop(graceful=True)
    assert status is ShipmentStatus.IN_TRANSIT


def test_a_fold_goes_before_queued_deliveries(worker) -> None:
    worker.huey.flush()
    for _ in range(3):
        worker.platform.queue.nudge_outbox()
    worker.platform.queue.nudge_tracking()
    first = worker.huey.dequeue()
    assert first is not None and first.name == "fold_tracking"
    worker.huey.flush()


_LAST_TICK = [0]


def _new_tick() -> int:
    """A minute number never handed out before in this process, and growing with time."""
    _LAST_TICK[0] = max(_LAST_TICK[0] + 1, time.monotonic_ns() // 10**8)
    return _LAST_TICK[0]


def test_the_sweep_drains_even_when_its_fold_fails(worker, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A fold can fail on its own (ADR 0036: an accept stuck open outlasts its wait); the
    minute sweep's drain must not be skipped with it."""
    from postpurchase.entrypoints import worker as worker_module
    from tests.fakes import FakeClock

    platform = worker.platform
    merchant, _, *_ = create_merchant(platform.uow(), platform.clock, "F " + uuid.uuid4().hex[:8])
    got = _orders_placed(platform, merchant.id)
    platform.bus().handle(place_order(merchant.id))  # its nudge goes to a queue nobody runs

    def stuck(_platform, limit: int = 0) -> int:  # type: ignore[no-untyped-def]
        raise RuntimeError("lock timeout")

    monkeypatch.setattr(worker_module, "fold_tracking", stuck)
    # A tick of its own, later than any earlier sweep of this session took (ticks only grow;
    # the same session database serves this test once per queue, maybe within 0.1 s).
    platform.clock = FakeClock(datetime(2031, 1, 1, tzinfo=UTC) + timedelta(minutes=_new_tick()))
    worker.periodic["drain_outbox_sweep"].call_local()
    assert len(got) == 1
