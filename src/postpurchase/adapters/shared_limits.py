"""Token buckets shared by every process: in Redis when one is configured, else in the database.

A limit kept in one process's memory is a limit per process: behind a load balancer with N
API processes an attacker gets N times the quota. So the buckets that matter live where all
processes see them, and a spend is atomic there: a Lua script in Redis, a conditional UPSERT
(``INSERT ... ON CONFLICT DO UPDATE ... WHERE tokens >= 1 RETURNING``) in PostgreSQL or
SQLite. Several buckets are spent together or not at all (one script; one transaction).

Keys are hashed before they are stored: they hold a shopper's IP address and order number.
Times are the wall clock (``time.time``), the one clock processes on several hosts share; a
host whose clock runs behind never refills a bucket backwards (``max(0, now - stamp)``).
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, delete, select, text

from postpurchase.adapters.db.tables import rate_buckets


@dataclass(frozen=True, slots=True)
class Bucket:
    """``capacity`` attempts at once, refilled at ``per_second``, under ``key``."""

    key: str
    capacity: float
    per_second: float

    @property
    def hashed(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:40]

    def wait(self, tokens: float) -> int:
        """Seconds until ``tokens`` grow to one, rounded up (for ``Retry-After``)."""
        return max(1, math.ceil((1.0 - tokens) / self.per_second - 1e-9))


class SharedBuckets(Protocol):
    def take(self, buckets: Sequence[Bucket]) -> int | None:
        """Spend one token from each of ``buckets``, or none when any is empty; None when
        spent, else the seconds until the first empty one has a token again."""
        ...


_UPSERT = """
INSERT INTO rate_buckets (key, tokens, stamp, full_at)
VALUES (:key, :capacity - 1, :now, :now + 1 / :rate)
ON CONFLICT (key) DO UPDATE SET
  tokens = {least}(:capacity, rate_buckets.tokens
           + {greatest}(0, :now - rate_buckets.stamp) * :rate) - 1,
  stamp = {greatest}(rate_buckets.stamp, :now),
  full_at = {greatest}(rate_buckets.stamp, :now) + (:capacity - ({least}(:capacity,
           rate_buckets.tokens + {greatest}(0, :now - rate_buckets.stamp) * :rate) - 1)) / :rate
WHERE {least}(:capacity, rate_buckets.tokens
      + {greatest}(0, :now - rate_buckets.stamp) * :rate) >= 1
RETURNING tokens
"""


class SqlBuckets:
    """Buckets in the ``rate_buckets`` table; rows of full buckets are pruned now and then."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        prune_every: int = 256,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.prune_every = prune_every
        pg = engine.dialect.name == "postgresql"
        self._upsert = text(
            _UPSERT.format(least="LEAST" if pg else "min", greatest="GREATEST" if pg else "max")
        )

    def take(self, buckets: Sequence[Bucket]) -> int | None:
        now = self.clock()
        # Rows are locked in the order of ``buckets`` (callers pass them in one fixed order),
        # so two concurrent spends never wait on each other in a cycle.
        with self.engine.connect().execution_options(write=True) as conn:
            for bucket in buckets:
                params = {
                    "key": bucket.hashed,
                    "capacity": float(bucket.capacity),
                    "rate": float(bucket.per_second),
                    "now": now,
                }
                if conn.execute(self._upsert, params).first() is None:
                    wait = self._wait(conn, bucket, now)
                    conn.rollback()
                    return wait
            if random.random() * self.prune_every < 1:  # a sample, not a secret
                conn.execute(delete(rate_buckets).where(rate_buckets.c.full_at < now))
            conn.commit()
        return None

    @staticmethod
    def _wait(conn: Connection, bucket: Bucket, now: float) -> int:
        row = conn.execute(
            select(rate_buckets.c.tokens, rate_buckets.c.stamp).where(
                rate_buckets.c.key == bucket.hashed
            )
        ).first()
        tokens = 0.0 if row is None else row.tokens + max(0.0, now - row.stamp) * bucket.per_second
        return bucket.wait(min(bucket.capacity, tokens))

    def prune(self) -> int:
        """Drop the rows of buckets that are full again (they mean nothing any more)."""
        with self.engine.connect().execution_options(write=True) as conn:
            n = conn.execute(delete(rate_buckets).where(rate_buckets.c.full_at < self.clock()))
            conn.commit()
        return int(n.rowcount or 0)


# KEYS: the buckets; ARGV: now, then capacity and rate per key. Returns 0 when spent, else
# the seconds to wait for the first empty bucket.
_LUA = """
local now = tonumber(ARGV[1])
local levels = {}
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local found = redis.call('HMGET', key, 'tokens', 'stamp')
  local tokens = capacity
  local stamp = now
  if found[1] then
    stamp = tonumber(found[2])
    tokens = math.min(capacity, tonumber(found[1]) + math.max(0, now - stamp) * rate)
    if stamp < now then stamp = now end
  end
  if tokens < 1 then
    return math.max(1, math.ceil((1 - tokens) / rate - 1e-9))
  end
  levels[i] = {tokens - 1, stamp, capacity, rate}
end
for i, key in ipairs(KEYS) do
  local l = levels[i]
  redis.call('HSET', key, 'tokens', tostring(l[1]), 'stamp', tostring(l[2]))
  redis.call('PEXPIRE', key, math.ceil((l[3] - l[1]) / l[4] * 1000) + 1000)
end
return 0
"""


class RedisBuckets:
    """Buckets as Redis hashes that expire once full again; one script spends them all."""

    PREFIX = "postpurchase:bucket:"

    def __init__(self, client: Any, *, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.clock = clock
        self._script = client.register_script(_LUA)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisBuckets:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return cls(client, **kwargs)

    def take(self, buckets: Sequence[Bucket]) -> int | None:
        args: list[float] = [self.clock()]
        for bucket in buckets:
            args += [float(bucket.capacity), float(bucket.per_second)]
        keys = [self.PREFIX + b.hashed for b in buckets]
        wait = int(self._script(keys=keys, args=args))
        return wait or None


def shared_buckets(engine: Engine, redis_url: str | None) -> SharedBuckets:
    """Redis when configured (it is there for the queue already), else the database."""
    if redis_url:
        return RedisBuckets.from_url(redis_url)
    return SqlBuckets(engine)
