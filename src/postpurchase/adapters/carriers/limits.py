"""Per-account rate limits for carrier calls: a token bucket per (carrier, account).

In-process, per worker: the carrier's own limit is per account, so each worker keeps well
under it (``ConnectorSpec.rate_per_second``) and the shared back-off after a 429
(``carrier_accounts.paused_until``) covers the rest. A key waits only for itself, so a
throttled account never slows another.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBuckets:
    def __init__(
        self,
        *,
        burst: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def acquire(self, key: str, rate: float) -> None:
        if rate <= 0:
            return
        while True:
            with self._lock:
                now = self._clock()
                tokens, at = self._state.get(key, (self.burst, now))
                tokens = min(self.burst, tokens + (now - at) * rate)
                if tokens >= 1:
                    self._state[key] = (tokens - 1, now)
                    return
                self._state[key] = (tokens, now)
                wait = (1 - tokens) / rate
            self._sleep(wait)
