"""Keeping a claim alive while slow work runs: call ``renew`` every ``beat`` from a thread.

Why one helper: every claim in the system (an outbox row, a store delivery, a message being
sent) is a short lease that its holder renews while it works, so that a crashed holder's
work is due again in seconds and a slow living one keeps it. The renewal itself differs (an
UPDATE of some table, a store call); the loop, its stop and its failure handling do not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

logger = logging.getLogger(__name__)


@contextmanager
def beating(beat: timedelta, renew: Callable[[], bool], *, name: str) -> Iterator[None]:
    """Run ``renew`` every ``beat`` until the block ends, or until it returns False (the
    claim was settled elsewhere). A failed renewal is logged, never raised: it only lets the
    lease run shorter."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(beat.total_seconds()):
            try:
                if not renew():
                    return
            except Exception:
                logger.warning("renewing the claim %s failed", name, exc_info=True)

    thread = threading.Thread(target=loop, name=f"lease-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
