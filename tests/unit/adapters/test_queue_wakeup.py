"""An in-process nudge wakes an idle consumer thread of a SQLite-storage Huey at once
(issue 17: the poll interval was most of the scan-to-inbox median), and no ring is lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from huey import SqliteHuey

from postpurchase.adapters.queue import EmbeddedConsumer, HueyTaskQueue, Wakeup


def test_a_ring_after_the_generation_read_is_never_lost() -> None:
    wake = Wakeup()
    since = wake.generation
    wake.ring()  # between the thread's empty dequeue and its sleep
    started = time.monotonic()
    assert wake.wait(since, 5.0) is True
    assert time.monotonic() - started < 1.0
    assert wake.wait(wake.generation, 0.01) is False  # nothing new: sleeps its interval


def _consumer(huey: SqliteHuey, wake: Wakeup | None) -> EmbeddedConsumer:
    # Polling every 3 s, so only the ring can explain a pick-up within a second.
    return EmbeddedConsumer(
        huey, wakeup=wake, workers=2, worker_type="thread", periodic=False,
        check_worker_health=False, initial_delay=3.0, backoff=1.0, max_delay=3.0,
    )  # fmt: skip


def _picked_up_within(tmp_path: Path, wake: Wakeup | None) -> float:
    huey = SqliteHuey("wake-test", filename=str(tmp_path / "q.sqlite3"), utc=True)
    ran = threading.Event()

    @huey.task()  # type: ignore[untyped-decorator]
    def job() -> None:
        ran.set()

    queue = HueyTaskQueue(job, job, wake)
    consumer = _consumer(huey, wake)
    consumer.start()
    try:
        time.sleep(0.3)  # both threads found the queue empty and sleep their 3 s
        started = time.monotonic()
        queue.nudge_outbox()
        ran.wait(10)
        return time.monotonic() - started
    finally:
        consumer.stop(graceful=True)


def test_a_nudge_from_this_process_wakes_the_idle_consumer_at_once(tmp_path: Path) -> None:
    assert _picked_up_within(tmp_path, Wakeup()) < 1.0


def test_without_a_wakeup_the_consumer_polls_as_before(tmp_path: Path) -> None:
    assert _picked_up_within(tmp_path, None) > 1.0


def test_stop_is_not_held_up_by_a_sleeping_thread(tmp_path: Path) -> None:
    huey = SqliteHuey("wake-stop", filename=str(tmp_path / "q.sqlite3"), utc=True)
    consumer = _consumer(huey, Wakeup())
    consumer.start()
    time.sleep(0.3)
    started = time.monotonic()
    consumer.stop(graceful=True)
    assert time.monotonic() - started < 2.0
