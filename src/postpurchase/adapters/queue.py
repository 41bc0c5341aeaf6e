"""Huey as the task queue: SQLite storage embedded, Redis storage distributed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.consumer import Consumer, Worker

from postpurchase.config import Settings

logger = logging.getLogger(__name__)


def make_huey(settings: Settings, *, name: str = "postpurchase") -> Huey:
    """Both storages honour task priorities (folding scans goes before delivering events)."""
    if settings.redis_url:
        return PriorityRedisHuey(name, url=settings.redis_url, utc=True)
    settings.ensure_data_dir()
    return SqliteHuey(name, filename=str(settings.data_dir / "queue.sqlite3"), utc=True)


class Wakeup:
    """Wakes this process's idle consumer threads as soon as this process enqueues a task.

    Huey's SQLite storage cannot block on its queue, so an idle consumer thread polls it
    (every 10-250 ms here): a task enqueued by the same process -- the API and worker of
    ``postpurchase demo``, a fold whose events nudge the drain in ``postpurchase worker``,
    a drain re-queuing itself -- waited up to a poll interval for nothing (issue 17: a
    tenth of a second of scan-to-inbox latency at the median). A generation counter, not
    an Event, so a ring between a thread's empty dequeue and its sleep is never lost.
    Tasks from other processes are still found by polling; Redis storage blocks on its
    list and never sleeps, so this changes nothing there.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def ring(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait(self, since: int, timeout: float) -> bool:
        """Until a ring after generation ``since``, or ``timeout`` seconds; rung or not."""
        with self._cond:
            return self._cond.wait_for(lambda: self._generation != since, timeout)


class HueyTaskQueue:
    """Publishes nudges to the worker; a failed publish is logged, never raised, because the
    outbox row is already committed and the periodic sweep will pick it up."""

    def __init__(
        self, nudge: Callable[[], Any], fold: Callable[[], Any], wakeup: Wakeup | None = None
    ) -> None:
        self._nudge = nudge
        self._fold = fold
        self._wakeup = wakeup

    def nudge_outbox(self) -> None:
        try:
            self._nudge()
        except Exception:
            logger.warning("could not enqueue an outbox drain; the sweep will catch up")
            return
        if self._wakeup is not None:
            self._wakeup.ring()

    def nudge_tracking(self) -> None:
        try:
            self._fold()
        except Exception:
            logger.warning("could not enqueue a tracking fold; the sweep will catch up")
            return
        if self._wakeup is not None:
            self._wakeup.ring()


class NullTaskQueue:
    """For one-shot CLI work: nothing to nudge, the next worker sweep drains the outbox."""

    def nudge_outbox(self) -> None:
        return None

    def nudge_tracking(self) -> None:
        return None


class _WakeableWorker(Worker):  # type: ignore[misc]
    """Huey's worker thread whose idle sleep between polls ends at a :class:`Wakeup` ring
    (or at the consumer's stop, which rings too)."""

    wakeup: Wakeup
    delay: float
    default_delay: float
    max_delay: float
    backoff: float

    def loop(self, now: Any = None) -> None:
        self._since = self.wakeup.generation  # before the dequeue: a later ring counts
        super().loop(now)

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        if self.stop_flag.is_set() or self.wakeup.wait(self._since, self.delay):
            self.delay = self.default_delay  # rung: poll again at once, then quickly
        else:
            self.delay *= self.backoff


class WakeableConsumer(Consumer):  # type: ignore[misc]
    """A consumer whose worker threads an in-process :class:`Wakeup` wakes (with
    ``wakeup=None``, or other worker types, Huey's own polling as it is)."""

    def __init__(self, huey: Huey, *, wakeup: Wakeup | None = None, **options: Any) -> None:
        # Set first: Huey's constructor creates the workers.
        self.wakeup = wakeup if options.get("worker_type", "thread") == "thread" else None
        super().__init__(huey, **options)

    def _create_worker(self) -> Any:
        if self.wakeup is None:
            return super()._create_worker()
        worker = _WakeableWorker(
            huey=self.huey, stop_flag=self.stop_flag, default_delay=self.default_delay,
            max_delay=self.max_delay, backoff=self.backoff, max_tasks=self.max_tasks,
        )  # fmt: skip
        worker.wakeup = self.wakeup
        worker._since = self.wakeup.generation
        return worker

    def stop(self, graceful: bool = False) -> None:
        if self.wakeup is not None:
            self.stop_flag.set()
            self.wakeup.ring()  # sleeping threads see the stop now, not after their poll
        super().stop(graceful=graceful)


class EmbeddedConsumer(WakeableConsumer):
    """A consumer that runs inside another process (the demo, tests): the host process owns
    the signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None
