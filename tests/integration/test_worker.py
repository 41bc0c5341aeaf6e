"""The worker on each queue backend (Huey on SQLite storage, and on Redis when configured):
a committed event reaches its asynchronous subscriber once, through a nudge or the sweep."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.worker import build, drain_outbox
from postpurchase.service_layer.handlers import create_merchant
from tests.conftest import REDIS_URL
from tests.factories import place_order


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


def test_nudged_worker_delivers_each_event_once(worker) -> None:
    platform = worker.platform
    merchant, _ = create_merchant(platform.uow(), platform.clock, "Q " + uuid.uuid4().hex[:8])
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
    assert drain_outbox(platform) == 0  # nothing left, nothing delivered twice
    assert len(received) == 5


def test_lost_nudge_is_caught_by_the_sweep(worker) -> None:
    platform = worker.platform
    merchant, _ = create_merchant(platform.uow(), platform.clock, "Q " + uuid.uuid4().hex[:8])
    got: list[int] = []
    platform.subscribe(
        "OrderPlaced",
        lambda row_id, topic, payload: (
            got.append(row_id) if payload["merchant_id"] == merchant.id else None
        ),
    )

    class Broken:
        def nudge_outbox(self) -> None:
            raise ConnectionError("queue down")

    platform.queue = Broken()  # the commit happens, the enqueue is lost
    with pytest.raises(ConnectionError):
        platform.bus().handle(place_order(merchant.id))
    assert got == []
    drain_outbox(platform)  # what the periodic sweep runs
    assert len(got) == 1
