"""Token buckets that slow down guessing on the order lookup form.

Two buckets guard each attempt: one per (client IP, order number), small, so nobody can try
email after email against one order; one per client IP, larger, so nobody can walk order
numbers with one email. Both must have a token.

The buckets that count are shared by every API process (:mod:`postpurchase.adapters.
shared_limits`: Redis when configured, else the database), so N processes behind a load
balancer allow the quota once, not N times. The in-process buckets are a fast pre-check: a
process has seen at most the attempts the shared store has, so when its own bucket is empty
the shared one is too, and the attempt is refused without a round trip. When the shared store
cannot be reached the in-process answer stands (each process allows its quota; logged).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from postpurchase.adapters.shared_limits import Bucket, SharedBuckets

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class TokenBucketLimiter:
    """``capacity`` attempts at once, refilled at ``per_second``; bounded memory (LRU)."""

    def __init__(
        self,
        capacity: float,
        per_second: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(
                self.capacity, bucket.tokens + (now - bucket.stamp) * self.per_second
            )
            bucket.stamp = now
        return bucket

    def peek(self, key: str) -> bool:
        """Whether an attempt would be allowed, without spending a token."""
        with self._lock:
            return self._bucket(key, self._clock()).tokens >= 1.0

    def spend(self, key: str) -> None:
        with self._lock:
            bucket = self._bucket(key, self._clock())
            bucket.tokens = max(0.0, bucket.tokens - 1.0)

    def retry_after(self, key: str) -> int:
        """Seconds until the next token, rounded up (for the ``Retry-After`` header)."""
        with self._lock:
            bucket = self._bucket(key, self._clock())
            missing = max(0.0, 1.0 - bucket.tokens)
            return max(1, int(missing / self.per_second + 0.999))


class LookupLimiter:
    """Both buckets for the lookup form; an attempt spends from both or from neither."""

    def __init__(
        self,
        *,
        per_order: tuple[float, float] = (5, 5 / 900),  # 5 at once, then 1 per 3 minutes
        per_ip: tuple[float, float] = (30, 30 / 3600),  # 30 at once, then 1 per 2 minutes
        clock: Callable[[], float] = time.monotonic,
        shared: SharedBuckets | None = None,
    ) -> None:
        self.per_order = TokenBucketLimiter(*per_order, clock=clock)
        self.per_ip = TokenBucketLimiter(*per_ip, clock=clock)
        self.shared = shared
        self._lock = threading.Lock()

    def local_wait(self, ip: str, order_number: str) -> int | None:
        """This process's own answer, without I/O or spending: the seconds to wait when its
        buckets are already empty (the shared ones are then too), else None."""
        order_key = self._order_key(ip, order_number)
        with self._lock:
            if not self.per_order.peek(order_key):
                return self.per_order.retry_after(order_key)
            if not self.per_ip.peek(ip):
                return self.per_ip.retry_after(ip)
        return None

    @staticmethod
    def _order_key(ip: str, order_number: str) -> str:
        return f"{ip}|{order_number.strip().lstrip('#').lower()}"

    def attempt(self, ip: str, order_number: str) -> int | None:
        """Spend one attempt; None when allowed, else the seconds to wait. With a shared
        store this does I/O: call it from a thread."""
        order_key = self._order_key(ip, order_number)
        with self._lock:
            if not self.per_order.peek(order_key):
                return self.per_order.retry_after(order_key)
            if not self.per_ip.peek(ip):
                return self.per_ip.retry_after(ip)
        if self.shared is not None:
            try:
                wait = self.shared.take(
                    [
                        Bucket(f"lookup:order:{order_key}", *self._rate(self.per_order)),
                        Bucket(f"lookup:ip:{ip}", *self._rate(self.per_ip)),
                    ]
                )
            except Exception:
                logger.warning(
                    "shared lookup limit unreachable; this process's holds", exc_info=True
                )
                wait = None
            if wait is not None:
                return wait
        with self._lock:
            self.per_order.spend(order_key)
            self.per_ip.spend(ip)
        return None

    @staticmethod
    def _rate(bucket: TokenBucketLimiter) -> tuple[float, float]:
        return bucket.capacity, bucket.per_second
