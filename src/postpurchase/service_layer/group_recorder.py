"""Recording the outcomes of a batch of sends while the batch goes on (ADR 0033).

Split out of ``notification_delivery``: the thread and its hand-over are the same whatever is
recorded.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")


class GroupRecorder(Generic[T]):
    """Records a batch's send outcomes from a thread of its own, as a group commit: each
    transaction takes every outcome that arrived while the previous one ran. So the window
    between the server's acceptance and our record stays about one transaction long (as
    when each message was recorded alone), while a fast sender shares transactions, and
    the sending thread goes on with the next message while a record commits (since ADR 0044
    it waits for that record only before asking the server to accept the next one)."""

    def __init__(
        self,
        record: Callable[[list[T]], None],
        settled: Callable[[list[T]], None] | None = None,
    ) -> None:
        """``settled`` is called after every group, recorded or not (a failed record, an
        abandoned or failed recorder skipping the rest): what waits on a record must not
        wait forever."""
        self._record = record
        self._settled = settled
        self._queue: queue.SimpleQueue[T | None] = queue.SimpleQueue()
        self._abandoned = False
        self.failure: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="send-record", daemon=True)
        self._thread.start()

    def put(self, outcome: T) -> None:
        self._queue.put(outcome)

    def close(self) -> None:
        """Record what is left, wait for it; raise if a record failed (the claims it did
        not record lapse, and their messages are re-sent as unknown outcomes)."""
        self._queue.put(None)
        self._thread.join()
        if self.failure is not None:
            raise self.failure

    def abandon(self) -> None:
        self._abandoned = True
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        done = False
        while not done:
            group: list[T] = []
            item = self._queue.get()
            while True:
                if item is None:
                    done = True
                    break
                group.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if not group:
                continue
            try:
                if not self._abandoned and self.failure is None:
                    self._record(group)
            except Exception as exc:
                logger.warning("recording %d send outcomes failed", len(group), exc_info=True)
                self.failure = exc
            finally:
                if self._settled is not None:
                    self._settled(group)
