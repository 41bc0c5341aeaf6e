"""Huey as the task queue: SQLite storage embedded, Redis storage distributed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.consumer import Consumer

from postpurchase.config import Settings

logger = logging.getLogger(__name__)


def make_huey(settings: Settings, *, name: str = "postpurchase") -> Huey:
    """Both storages honour task priorities (folding scans goes before delivering events)."""
    if settings.redis_url:
        return PriorityRedisHuey(name, url=settings.redis_url, utc=True)
    settings.ensure_data_dir()
    return SqliteHuey(name, filename=str(settings.data_dir / "queue.sqlite3"), utc=True)


class HueyTaskQueue:
    """Publishes nudges to the worker; a failed publish is logged, never raised, because the
    outbox row is already committed and the periodic sweep will pick it up."""

    def __init__(self, nudge: Callable[[], Any], fold: Callable[[], Any]) -> None:
        self._nudge = nudge
        self._fold = fold

    def nudge_outbox(self) -> None:
        try:
            self._nudge()
        except Exception:
            logger.warning("could not enqueue an outbox drain; the sweep will catch up")

    def nudge_tracking(self) -> None:
        try:
            self._fold()
        except Exception:
            logger.warning("could not enqueue a tracking fold; the sweep will catch up")


class NullTaskQueue:
    """For one-shot CLI work: nothing to nudge, the next worker sweep drains the outbox."""

    def nudge_outbox(self) -> None:
        return None

    def nudge_tracking(self) -> None:
        return None


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that runs inside another process (the demo, tests): the host process owns
    the signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None
