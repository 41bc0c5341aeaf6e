"""Dependencies failing under load: SMTP down, Redis down, PostgreSQL restarted, the API
process killed mid-request -- every accepted event stored exactly once, every message sent,
a message accepted twice only as often as its outcome was unknown, and everything caught
up once the dependency is back.

One run on servers of its own (a throwaway PostgreSQL and Redis, an aiosmtpd recorder):
a real API process (uvicorn, ``POSTPURCHASE_TRACKING_INGEST=deferred``) receives tracking
webhooks from a feeder that behaves like a carrier (a batch that got no 2xx is sent again,
the same event ids), and a real ``postpurchase worker`` folds and sends. While it feeds:

1. the SMTP server stops for ``OUTAGE`` seconds, then comes back on its port;
2. Redis is stopped for ``OUTAGE`` seconds (and comes back empty: the queued nudges are
   gone, as after a Redis crash without persistence);
3. PostgreSQL is restarted with ``pg_ctl restart -m immediate`` (a crash and recovery: every
   connection is cut, in-flight transactions roll back);
4. the API process gets SIGKILL in the middle of requests, and is started again.

The CI version feeds 10,000 events with 2-second outages (the issue's short run);
``make faults`` the issue's full run: 100,000 events, Redis down 60 s, SMTP down 10
minutes, the restart and the kill 10 s apart (``POSTPURCHASE_OUTAGE_EVENTS``,
``POSTPURCHASE_OUTAGE_SECONDS``, and ``POSTPURCHASE_OUTAGE_REDIS_SECONDS`` /
``POSTPURCHASE_OUTAGE_SMTP_SECONDS`` when those two differ).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.db.repositories import unfolded
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.carrier_detection import example_number
from postpurchase.entrypoints.api.app import EVENT_LOOP
from postpurchase.entrypoints.worker import build
from postpurchase.service_layer import handlers
from postpurchase.testing import free_port, wait_until_healthy
from tests.conftest import REQUIRE
from tests.factories import place_order
from tests.faults.outage_servers import RestartablePostgres, RestartableRedis, smtp_outage
from tests.faults.servers import RecordingSmtp, Unavailable

EVENTS = int(os.environ.get("POSTPURCHASE_OUTAGE_EVENTS", "10000"))
OUTAGE = float(os.environ.get("POSTPURCHASE_OUTAGE_SECONDS", "2"))
# the full run: Redis down 60 s, SMTP down 10 minutes (``make faults``)
REDIS_OUTAGE = float(os.environ.get("POSTPURCHASE_OUTAGE_REDIS_SECONDS", OUTAGE))
SMTP_OUTAGE = float(os.environ.get("POSTPURCHASE_OUTAGE_SMTP_SECONDS", OUTAGE))
PER_PARCEL = 4
BATCH = 10
# A bound, not a wait: the run ends when everything is folded and sent. The worker plans and
# sends some 10-100 messages/s on a shared 2-core machine (docs/benchmarks.md, scale-out).
# After SMTP is back, a message waits out its backoff (1 s doubling in this run): up to
# about as long again as the outage.
BUDGET = 120 + EVENTS / 10 + 4 * OUTAGE + 3 * SMTP_OUTAGE + 2 * REDIS_OUTAGE
SENDER = "tracking@outages.test"
WORKER = [str(Path(sys.executable).with_name("postpurchase")), "worker", "--threads", "2"]
STATUSES = ["in_transit", "in_transit", "out_for_delivery", "delivered"]


@dataclass
class Api:
    """One uvicorn process on a fixed port; killed (SIGKILL) and restarted by its pid."""

    env: dict[str, str]
    log: IO[bytes]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "postpurchase.entrypoints.asgi:app", "--host",
             "127.0.0.1", "--port", str(self.port), "--loop", EVENT_LOOP, "--log-level",
             "warning"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        proc = self.proc
        wait_until_healthy(self.url, timeout=90, running=lambda: proc.poll() is None)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Feed:
    """Carrier-like: every batch sent until a 2xx answers it."""

    url: str
    key: str
    batches: list[list[dict[str, Any]]]
    accepted: set[str] = field(default_factory=set)
    retries: int = 0
    short: list[tuple[float, int, int]] = field(default_factory=list)  # 200 but not all
    done: threading.Event = field(default_factory=threading.Event)

    def run(self, deadline: float, pause: float) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as client:
            for batch in self.batches:
                body = orjson.dumps({"events": batch})
                while time.monotonic() < deadline:
                    try:
                        r = client.post("/webhooks/tracking/postpurchase", content=body)
                        if r.status_code == 200:
                            self.accepted.update(e["id"] for e in batch)
                            items = r.json().get("results", [])
                            counted = sum(i["new_events"] + i["duplicates"] for i in items)
                            if counted != len(batch):
                                self.short.append((time.monotonic(), counted, len(batch)))
                            break
                    except httpx.HTTPError:
                        pass
                    self.retries += 1
                    time.sleep(0.2)
                time.sleep(pause)
        self.done.set()


@pytest.fixture
def servers() -> Iterator[tuple[RestartablePostgres, RestartableRedis]]:
    with ExitStack() as stack:
        try:
            pg = stack.enter_context(RestartablePostgres())
            redis = stack.enter_context(RestartableRedis())
        except Unavailable as exc:
            if REQUIRE:
                raise
            pytest.skip(f"no PostgreSQL + Redis servers of our own: {exc}")
        yield pg, redis


def _events(numbers: list[str], now: datetime) -> list[list[dict[str, Any]]]:
    """Scans for every parcel in time order (the last one delivers), in batches."""
    events = []
    for k, status in enumerate(STATUSES[:PER_PARCEL]):
        for i, number in enumerate(numbers):
            at = now - timedelta(hours=2) + timedelta(minutes=20 * k, seconds=i % 60)
            events.append(
                {"id": uuid.uuid4().hex, "tracking_number": number, "carrier": "ups",
                 "occurred_at": at.isoformat(), "status": status}
            )  # fmt: skip
    return [events[i : i + BATCH] for i in range(0, len(events), BATCH)]


def _wait(what: str, check: Any, deadline: float) -> None:
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_outages_lose_nothing_and_send_nothing_twice_outside_the_window(
    servers: tuple[RestartablePostgres, RestartableRedis], tmp_path: Path
) -> None:
    pg, redis = servers
    started = time.monotonic()
    deadline = started + BUDGET
    data_dir = tmp_path / "data"
    smtp = RecordingSmtp()
    with ExitStack() as stack:
        stack.enter_context(smtp)
        log = stack.enter_context(open(tmp_path / "processes.log", "wb"))
        settings = Settings(data_dir=data_dir, database_url=pg.url, redis_url=redis.url)
        platform = bootstrap(settings, notifications=False)
        upgrade(platform.engine)
        build(platform=platform)
        merchant, key, _ = handlers.create_merchant(platform.uow(), platform.clock, "Outages")
        n_parcels = max(1, EVENTS // PER_PARCEL)
        rng = random.Random(17)
        numbers = []
        now = datetime.now(UTC)
        for i in range(n_parcels):
            order = platform.bus().handle(
                place_order(merchant.id, email=f"shopper-{i}@example.com", placed_at=now)
            )
            number = example_number("ups", rng)
            platform.bus().handle(commands.CreateShipment(merchant.id, order.id, number, "ups"))
            numbers.append(number)
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSTPURCHASE_")}
        env.update({
            "POSTPURCHASE_ENCRYPTION_KEYS": os.environ["POSTPURCHASE_ENCRYPTION_KEYS"],
            "POSTPURCHASE_DATA_DIR": str(data_dir),
            "POSTPURCHASE_DATABASE_URL": pg.url,
            "POSTPURCHASE_REDIS_URL": redis.url,
            "POSTPURCHASE_TRACKING_INGEST": "deferred",
            "POSTPURCHASE_SMTP_URL": smtp.url,
            "POSTPURCHASE_SMTP_FROM": SENDER,
            "POSTPURCHASE_NOTIFY_QUIET_HOURS": "off",
            "POSTPURCHASE_NOTIFY_COLLAPSE_SECONDS": "0",
            "POSTPURCHASE_NOTIFY_RETRY_BASE_SECONDS": "1",
            "POSTPURCHASE_WEBHOOKS_ENABLED": "false",
        })  # fmt: skip
        api = Api(env, log)
        api.start()
        stack.callback(api.stop)
        worker = subprocess.Popen(WORKER, env=env, stdout=log, stderr=subprocess.STDOUT)
        stack.callback(lambda: (worker.terminate(), worker.wait(timeout=30)))
        feed = Feed(api.url, key, _events(numbers, now))
        # spread the feed over the outages (and as long again for recovery)
        pause = max(0.0, (2 * (SMTP_OUTAGE + REDIS_OUTAGE + 2 * OUTAGE) + 8) / len(feed.batches))
        feeder = threading.Thread(target=feed.run, args=(deadline, pause), daemon=True)
        feeder.start()

        def sent() -> int:
            return len(smtp.counts())

        def events_stored() -> int:
            q = select(func.count()).select_from(t.tracking_events)
            with platform.engine.connect() as conn:
                return int(conn.scalar(q) or 0)

        outages: list[str] = []
        marks: dict[str, float] = {}
        # 1. SMTP down, then back on the same port
        _wait("first messages", lambda: sent() >= 3, deadline)
        smtp_outage(smtp, SMTP_OUTAGE)
        outages.append("smtp")
        marks["smtp"] = time.monotonic()
        # 2. Redis down (comes back empty)
        redis.stop()
        time.sleep(REDIS_OUTAGE)
        redis.start()
        outages.append("redis")
        marks["redis"] = time.monotonic()
        # 3. PostgreSQL crash-restarted
        pg.restart()
        outages.append("postgresql")
        marks["postgresql"] = time.monotonic()
        # 4. the API killed with requests in flight, then started again
        before = feed.retries
        time.sleep(OUTAGE / 2)
        api.kill()
        time.sleep(OUTAGE / 2)
        api.start()
        outages.append("api")
        marks["api"] = time.monotonic()
        feeder.join(timeout=max(0.0, deadline - time.monotonic()))
        assert feed.done.is_set(), "the feed did not finish"
        # The tail: the API nudges the worker with every commit; with the feed over, this
        # stands in for that traffic until every scan is folded and every message sent.
        m = t.notification_messages.c
        rows: list[Any] = []
        while time.monotonic() < deadline:
            with platform.engine.connect() as conn:
                pending = unfolded(conn)[0]
                rows = list(conn.execute(
                    select(m.id, m.status, m.reason, m.unknown_outcomes).where(
                        m.merchant_id == merchant.id
                    )
                ))  # fmt: skip
            if not pending and rows and all(r.status != "queued" for r in rows):
                break
            platform.queue.nudge_tracking()
            platform.queue.nudge_outbox()
            time.sleep(1)
        time.sleep(0.3)
        accepted = smtp.counts()
        stored = events_stored()
        e = t.tracking_events.c
        with platform.engine.connect() as conn:
            twice = conn.scalar(
                select(func.count()).select_from(
                    select(e.source_event_id).where(e.merchant_id == merchant.id)
                    .group_by(e.shipment_id, e.source_event_id)
                    .having(func.count() > 1).subquery()
                )
            )  # fmt: skip
            got = set(conn.scalars(select(e.source_event_id).where(e.merchant_id == merchant.id)))
        missing = feed.accepted - got
        platform.engine.dispose()
    ids = {f"<{r.id}@outages.test>": r for r in rows}
    sent_rows = [mid for mid, r in ids.items() if r.status == "sent"]
    lost = [mid for mid in sent_rows if accepted[mid] == 0]
    unsent = {mid: r.status for mid, r in ids.items() if r.status in ("queued", "failed")}
    suppressed = Counter(r.reason for r in rows if r.status == "suppressed")
    duplicates = sum(n - 1 for n in accepted.values() if n > 1)
    unknown = sum(r.unknown_outcomes for r in rows)
    print(
        f"outages[{','.join(outages)}] events={len(feed.accepted)} stored={stored} "
        f"stored_twice={twice} feed_retries={feed.retries} (after the API kill: "
        f"{feed.retries - before}) messages={len(ids)} sent={len(sent_rows)} "
        f"suppressed={dict(suppressed)} "
        f"lost={len(lost)} "
        f"duplicates={duplicates} unknown_outcomes={unknown} "
        f"seconds={time.monotonic() - started:.1f} outage_s={OUTAGE} "
        f"smtp_outage_s={SMTP_OUTAGE} redis_outage_s={REDIS_OUTAGE} "
        f"missing={sorted(missing)[:5]} short_answers={feed.short} marks={marks}"
    )
    assert len(feed.accepted) == n_parcels * PER_PARCEL
    assert stored == len(feed.accepted) and twice == 0
    assert len(ids) >= n_parcels  # at least the delivered message of every parcel
    assert not unsent, unsent
    assert not lost
    assert duplicates <= unknown
