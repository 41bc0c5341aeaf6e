"""The promises the tracking page shows, recorded without slowing a view (issue 14).

Every promise a shopper is shown is kept as an immutable, timestamped ``promise_records``
row (ADR 0018), so the page's must be too. A page view must stay a cache hit or a read, so:

- only a *render* notes what it showed (a cached or replayed answer shows what its render
  showed, already noted), and only when a parcel's promise differs from the last one this
  process noted for it: a page rendered again after a scan, in another language or as its
  JSON twin with the same dates writes nothing;
- what is noted goes into an in-memory queue that a background thread writes a batch at a
  time, at most one transaction every :data:`FLUSH_DELAY` seconds however many pages are
  rendered, in a thread (a SQLite writer may wait for the lock; the event loop never waits);
- the writer compares with the last row recorded for the parcel (another process, or this
  one before a restart), so the table holds each change once (ADR 0027).

A crash loses what was noted in the last :data:`FLUSH_DELAY` seconds; the page's next render
after the restart notes it again (the process forgets what it noted), with a later time.
While the database refuses the writes the writer backs off (doubling up to
:data:`MAX_BACKOFF`) and logs the outage once, then at every doubling, not every second. When
the app shuts down, :meth:`ShownPromises.close` writes what is queued one last time and
stops the writer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from postpurchase.adapters.db.kpis.promises import record_page_promises
from postpurchase.entrypoints.web.page_models import EstimateView, TrackingPage

log = logging.getLogger(__name__)
FLUSH_DELAY = 1.0  # seconds between a note and its write: the batch a busy page collects
MAX_KEYS = 200_000  # parcels remembered per process (~40 MB at most) before starting over
MAX_PENDING = 50_000  # rows waiting for the writer; beyond (a database down) the oldest go
MAX_BACKOFF = 60.0  # seconds between tries at most while the database refuses the writes


@dataclass(frozen=True, slots=True)
class Shown:
    """One promise on a page: for a parcel (None: the order, not shipped yet)."""

    shipment_id: str | None
    earliest: date | None
    latest: date
    source: str


def _promise(shipment_id: str | None, e: EstimateView, fmt: str) -> Shown | None:
    """The promise an estimate shows, or None when it shows none: delivered, at a pickup
    point, unavailable, no date, or a date that passed (the late notice; its revised
    estimate, when it has one, is the window's new end)."""
    if e.kind not in ("date", "window") or e.end is None:
        return None
    if e.late and e.revised is None:
        return None
    earliest = e.start if e.kind == "window" and not e.late else None
    source = f"{fmt}:{e.layer or e.source or 'page'}"[:64]
    return Shown(shipment_id, earliest, e.end, source)


def promises_on(page: TrackingPage, fmt: str) -> list[Shown]:
    """What ``page`` promises, one per parcel (the order's own before anything shipped);
    ``fmt`` (``html`` or ``json``) names the twin that showed it."""
    if not page.shipments:
        found = _promise(None, page.estimate, fmt)
        return [found] if found is not None else []
    out = []
    for card in page.shipments:
        found = _promise(card.id, card.estimate, fmt)
        if found is not None:
            out.append(found)
    return out


@dataclass
class ShownPromises:
    """Per process: what was noted last per parcel, and the queue the writer drains."""

    background: bool = True  # tests call flush() themselves
    delay: float = FLUSH_DELAY
    _last: dict[tuple[str, str | None], tuple[date | None, date]] = field(default_factory=dict)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _writing: bool = False
    _closed: bool = False
    _failures: int = 0  # consecutive failed writes: the back-off and what is logged
    written: int = 0  # rows the writer inserted (for tests and the benchmark)

    def note(
        self,
        engine: Engine,
        *,
        merchant_id: str,
        order_id: str,
        page: TrackingPage,
        fmt: str,
        at: datetime,
    ) -> int:
        """Queue the promises ``page`` shows that differ from the last noted; returns how
        many were queued. Costs a dictionary look-up per parcel when nothing changed."""
        queued = 0
        start = False
        with self._lock:
            for shown in promises_on(page, fmt):
                key = (order_id, shown.shipment_id)
                dates = (shown.earliest, shown.latest)
                if self._last.get(key) == dates:
                    continue
                if len(self._last) >= MAX_KEYS:
                    self._last.clear()
                self._last[key] = dates
                self._pending.append(
                    {"merchant_id": merchant_id, "order_id": order_id,
                     "shipment_id": shown.shipment_id, "earliest": shown.earliest,
                     "latest": shown.latest, "source": shown.source, "shown_at": at}
                )  # fmt: skip
                queued += 1
            if len(self._pending) > MAX_PENDING:
                del self._pending[: len(self._pending) - MAX_PENDING]
            if queued and self.background and not self._writing and not self._closed:
                self._writing = start = True
        if start:
            timer = threading.Timer(self.delay, self._drain, args=(engine,))
            timer.daemon = True
            timer.start()
        return queued

    def flush(self, engine: Engine) -> int:
        """Write what is queued now, in one transaction; returns the rows inserted. On an
        error the rows go back to the queue (and the exception up)."""
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return 0
        try:
            with engine.begin() as conn:
                new = record_page_promises(conn, rows)
        except Exception:
            with self._lock:
                self._pending[:0] = rows
            raise
        self.written += new
        return new

    def _drain(self, engine: Engine) -> None:
        if self._closed:  # a timer set before close(): close() wrote the queue
            return
        try:
            self.flush(engine)
            self._failures = 0
        except Exception:  # the rows wait for the next round
            self._failures += 1
            if self._failures & (self._failures - 1) == 0:  # 1st, 2nd, 4th, 8th... failure
                log.exception(
                    "recording the tracking page's promises failed (%d times in a row)",
                    self._failures,
                )
        with self._lock:
            more = bool(self._pending) and not self._closed
            self._writing = more
        if more:
            wait = min(self.delay * 2 ** min(self._failures, 16), MAX_BACKOFF)
            timer = threading.Timer(wait, self._drain, args=(engine,))
            timer.daemon = True
            timer.start()

    def close(self, engine: Engine) -> int:
        """Stop the writer (no timer starts after this) and write what is queued, once;
        returns the rows inserted. A failure is logged: shutting down must not raise."""
        with self._lock:
            self._closed = True
        try:
            return self.flush(engine)
        except Exception:
            log.exception("recording the tracking page's promises at shutdown failed")
            return 0

    def forget(self) -> None:
        with self._lock:
            self._last.clear()
