"""Replay scan plans in accelerated time and push them through the public webhook."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

log = logging.getLogger(__name__)

Sink = Callable[[list[dict[str, Any]]], None]


class RejectedBatch(Exception):
    """A sink's verdict that sending this batch again cannot succeed (e.g. HTTP 400/401/413).

    The player logs and drops such a batch; any other exception puts it back for a retry.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def _instant(event: dict[str, Any]) -> datetime:
    at = datetime.fromisoformat(event["occurred_at"])
    if at.tzinfo is None:
        raise ValueError(f"event {event.get('id')!r}: occurred_at has no time zone")
    return at.astimezone(UTC)


class Player:
    """Sends each event once the simulated clock passes its ``occurred_at``.

    Simulated time runs ``speed`` times faster than ``clock`` and equals ``start`` when the
    player is created, so events from before ``start`` go out on the first ``run_once``
    (history backfill). Events are sent in time order, in batches of at most ``batch_size``.
    A batch the sink fails on is put back and retried on the next round, unless the sink
    raises ``RejectedBatch``: that batch is dropped (and counted in ``rejected``).
    """

    def __init__(
        self,
        sink: Sink,
        *,
        speed: float,
        start: datetime,
        clock: Callable[[], float] = time.monotonic,
        batch_size: int = 500,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        self.sink = sink
        self.speed = speed
        self.start = start.astimezone(UTC)
        self.clock = clock
        self.batch_size = batch_size
        self._wall_start = clock()
        self._heap: list[tuple[datetime, int, dict[str, Any]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self.sent = 0
        self.rejected = 0

    def now(self) -> datetime:
        """The current simulated time."""
        elapsed = (self.clock() - self._wall_start) * self.speed
        return self.start + timedelta(seconds=elapsed)

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, events: Iterable[dict[str, Any]]) -> None:
        entries = [(_instant(e), next(self._order), e) for e in events]
        with self._lock:
            for entry in entries:
                heapq.heappush(self._heap, entry)

    def due(self, sim_now: datetime) -> list[dict[str, Any]]:
        """Remove and return, in time order, every event at or before ``sim_now``."""
        out: list[dict[str, Any]] = []
        with self._lock:
            while self._heap and self._heap[0][0] <= sim_now:
                out.append(heapq.heappop(self._heap)[2])
        return out

    def next_at(self) -> datetime | None:
        with self._lock:
            return self._heap[0][0] if self._heap else None

    def run_once(self) -> int:
        """Send every due event; returns how many were sent.

        Raises what the sink raised (after putting the unsent events back), except
        ``RejectedBatch``, which drops that batch and carries on.
        """
        events = self.due(self.now())
        done = sent = 0
        try:
            for i in range(0, len(events), self.batch_size):
                batch = events[i : i + self.batch_size]
                try:
                    self.sink(batch)
                    sent += len(batch)
                except RejectedBatch as exc:
                    self.rejected += len(batch)
                    log.error("simulated carrier: %d scans rejected: %s", len(batch), exc)
                done = i + len(batch)
        finally:
            if done < len(events):
                self.add(events[done:])  # keep what did not go out, in the same order
            self.sent += sent
        return sent

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Send due events every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("simulated carrier: sending scans failed; will retry")
            stop.wait(interval)


_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The ``X-Postpurchase-Signature`` header value for ``body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def http_sink(
    url: str,
    secret: str | None = None,
    api_key: str | None = None,
    *,
    client: httpx.Client | None = None,
    attempts: int = 4,
    backoff: float = 0.25,
    timeout: float = 30.0,
) -> Sink:
    """A sink that POSTs ``{"events": [...]}`` to our tracking webhook.

    Signs the body when ``secret`` is given, sends a bearer key when ``api_key`` is given,
    and retries connection errors, timeouts, 429 and 5xx answers with exponential backoff.
    Other answers raise ``RejectedBatch`` at once: sending the same batch again would not help.
    """
    http = client or httpx.Client(timeout=timeout)

    def send(events: list[dict[str, Any]]) -> None:
        body = orjson.dumps({"events": events})
        for attempt in range(1, attempts + 1):
            headers = {"Content-Type": "application/json"}
            if secret is not None:
                headers["X-Postpurchase-Signature"] = sign(body, secret, int(time.time()))
            if api_key is not None:
                headers["Authorization"] = f"Bearer {api_key}"
            try:
                response = http.post(url, content=body, headers=headers)
            except httpx.TransportError:
                if attempt == attempts:
                    raise
            else:
                if response.is_success:
                    return
                if response.status_code not in _TRANSIENT_STATUS:
                    raise RejectedBatch(
                        f"{url} answered {response.status_code}: {response.text[:500]}",
                        status_code=response.status_code,
                    )
                if attempt == attempts:
                    response.raise_for_status()
            time.sleep(backoff * 2 ** (attempt - 1))

    return send
