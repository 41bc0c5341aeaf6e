"""Limits and schedules shared by every process, on SQLite and PostgreSQL (and Redis).

Two API apps on one database (or one Redis) are two processes behind a load balancer: the
tracking page's lookup limit is spent once across both. Two workers that both schedule a
periodic job run it once per tick.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.periodic import claim, run_once, tick_of
from postpurchase.adapters.shared_limits import Bucket, RedisBuckets, SqlBuckets
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.web import views
from postpurchase.entrypoints.web.ratelimit import LookupLimiter
from postpurchase.entrypoints.worker import build
from tests import tracking_scenarios as sc
from tests.conftest import REDIS_URL
from tests.fakes import FakeClock

T0 = 1_800_000_000.0  # a fixed wall-clock second: the buckets never read the real clock


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


STORES = ["db"] + (["redis"] if REDIS_URL else [])


@pytest.fixture(params=STORES)
def make_store(request: pytest.FixtureRequest, engine: Engine) -> Any:
    """A factory of stores that share one place (each call: another process's view)."""

    def make(clock: Clock) -> SqlBuckets | RedisBuckets:
        if request.param == "redis":
            assert REDIS_URL
            return RedisBuckets.from_url(REDIS_URL, clock=clock)
        return SqlBuckets(engine, clock=clock)

    return make


def key() -> str:
    return uuid.uuid4().hex


def test_a_bucket_spends_refills_and_says_how_long_to_wait(make_store: Any) -> None:
    clock = Clock()
    a, b = make_store(clock), make_store(clock)  # two processes
    bucket = Bucket(key(), 3, 1 / 60)
    assert [a.take([bucket]), b.take([bucket]), a.take([bucket])] == [None, None, None]
    assert b.take([bucket]) == 60  # the fourth, from either process, waits a minute
    clock.now += 30
    assert a.take([bucket]) == 30
    clock.now += 30
    assert b.take([bucket]) is None
    assert a.take([bucket]) == 60


def test_buckets_are_spent_together_or_not_at_all(make_store: Any) -> None:
    clock = Clock()
    store = make_store(clock)
    small, large = Bucket(key(), 1, 1 / 60), Bucket(key(), 5, 1 / 60)
    assert store.take([large, small]) is None
    assert store.take([large, small]) == 60  # small is empty: large is not spent either
    other = Bucket(key(), 1, 1 / 60)
    for _ in range(3):
        assert store.take([large, other]) in (None, 60)
    # large had 4 left after the first take; the refused ones spent nothing from it
    assert store.take([large]) is None


def test_a_clock_behind_never_refills_backwards(make_store: Any) -> None:
    ahead, behind = Clock(), Clock()
    behind.now -= 600
    bucket = Bucket(key(), 1, 1 / 60)
    assert make_store(ahead).take([bucket]) is None
    assert make_store(behind).take([bucket]) is not None


def test_concurrent_spends_from_two_processes_never_exceed_the_capacity(
    backend_url: str, make_store: Any, engine: Engine
) -> None:
    clock = Clock()
    other = make_engine(backend_url, pool_size=4)  # the second process has its own pool
    try:
        stores = [make_store(clock)]
        stores.append(
            SqlBuckets(other, clock=clock)
            if isinstance(stores[0], SqlBuckets)
            else make_store(clock)
        )
        bucket = Bucket(key(), 10, 1e-9)
        allowed: list[bool] = []
        lock = threading.Lock()

        def hammer(store: Any) -> None:
            for _ in range(15):
                ok = store.take([bucket]) is None
                with lock:
                    allowed.append(ok)

        threads = [threading.Thread(target=hammer, args=(stores[i % 2],)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sum(allowed) == 10 and len(allowed) == 60
    finally:
        other.dispose()


def test_full_buckets_are_pruned(engine: Engine) -> None:
    clock = Clock()
    store = SqlBuckets(engine, clock=clock)
    bucket = Bucket(key(), 2, 1.0)
    store.take([bucket])
    hashed = bucket.hashed
    with engine.connect() as conn:
        assert conn.scalar(select(t.rate_buckets.c.key).where(t.rate_buckets.c.key == hashed))
    clock.now += 2  # one token spent at 1/s: full again after one second
    assert store.prune() >= 1
    with engine.connect() as conn:
        assert (
            conn.scalar(select(t.rate_buckets.c.key).where(t.rate_buckets.c.key == hashed)) is None
        )


def test_keys_are_stored_hashed(engine: Engine) -> None:
    SqlBuckets(engine, clock=Clock()).take([Bucket("lookup:ip:203.0.113.9", 5, 1.0)])
    with engine.connect() as conn:
        keys = conn.scalars(select(t.rate_buckets.c.key)).all()
    assert not any("203.0.113" in k for k in keys)


def test_the_limiter_holds_its_own_quota_when_the_shared_store_is_down() -> None:
    class Down:
        def take(self, buckets: Any) -> int | None:
            raise ConnectionError("redis is down")

    limiter = LookupLimiter(per_order=(2, 1 / 60), per_ip=(5, 1 / 60), shared=Down())
    assert [limiter.attempt("ip", "1001") for _ in range(3)] == [None, None, 60]


def test_a_refusal_in_this_process_costs_no_round_trip() -> None:
    calls = []

    class Counting:
        def take(self, buckets: Any) -> int | None:
            calls.append(buckets)
            return None

    limiter = LookupLimiter(per_order=(2, 1 / 60), per_ip=(5, 1 / 60), shared=Counting())
    for _ in range(5):
        limiter.attempt("ip", "1001")
    assert len(calls) == 2
    assert limiter.local_wait("ip", "#1001") == 60  # the page answers 429 without a read
    assert limiter.local_wait("ip", "2002") is None and len(calls) == 2  # peeking spends none


# ---- two API processes share the tracking page's lookup limit --------------------------------


def forget_lookups(platform: Any, number: str) -> None:
    """Fill the buckets this test spends from (the test client's IP is always the same, and
    Redis outlives the test session)."""
    ip = "testclient"
    keys = [Bucket(f"lookup:ip:{ip}", 1, 1).hashed]
    keys.append(Bucket(f"lookup:order:{ip}|{number.strip().lstrip('#').lower()}", 1, 1).hashed)
    with platform.engine.connect() as conn:
        conn.execute(t.rate_buckets.delete().where(t.rate_buckets.c.key.in_(keys)))
        conn.commit()
    if platform.settings.redis_url:
        import redis

        client = redis.Redis.from_url(platform.settings.redis_url)
        client.delete(*[RedisBuckets.PREFIX + k for k in keys])
        client.close()


@pytest.fixture(params=STORES)
def two_apps(
    request: pytest.FixtureRequest, engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TestClient, Any]]:
    monkeypatch.setattr(views, "LOOKUP_FLOOR_SECONDS", 0.0)
    redis_url = REDIS_URL if request.param == "redis" else None
    settings = Settings(data_dir=tmp_path, redis_url=redis_url)
    platforms = [
        bootstrap(settings, engine=engine, clock=FakeClock(sc.NOW), notifications=False)
        for _ in range(2)
    ]
    with (
        TestClient(create_app(platforms[0]), follow_redirects=False) as a,
        TestClient(create_app(platforms[1]), follow_redirects=False) as b,
    ):
        yield a, b, platforms[0]


def test_two_api_processes_share_one_lookup_limit(
    two_apps: tuple[TestClient, TestClient, Any],
) -> None:
    a, b, platform = two_apps
    shop = sc.merchant(platform)
    seeded = sc.order(platform, shop.id, "in_transit")
    forget_lookups(platform, seeded.number)
    statuses = []
    for i in range(6):
        client = (a, b)[i % 2]  # the load balancer alternates
        r = client.post(
            "/track",
            data={"shop": shop.slug, "number": seeded.number, "contact": f"g{i}@example.com"},
        )
        statuses.append(r.status_code)
    # five wrong guesses across both processes, then both refuse (each alone would allow 5)
    assert statuses == [404] * 5 + [429]
    right = {"shop": shop.slug, "number": seeded.number, "contact": seeded.email}
    assert a.post("/track", data=right).status_code == 429
    assert b.post("/track", data=right).status_code == 429


# ---- periodic jobs run once per tick across workers -------------------------------------------

NOW = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)


def test_a_tick_is_claimed_once(engine: Engine) -> None:
    name = "job-" + key()[:8]
    tick = tick_of(NOW, timedelta(minutes=15))
    assert tick == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    lease = timedelta(seconds=15)
    assert claim(engine, name, tick, NOW, holder="a", lease=lease)
    assert not claim(engine, name, tick, NOW, holder="b", lease=lease)
    later = tick + timedelta(minutes=15)
    # the next tick, while a still holds the job: not before its lease lapses
    assert not claim(engine, name, later, NOW + timedelta(seconds=5), holder="b", lease=lease)
    assert claim(engine, name, later, NOW + timedelta(seconds=16), holder="b", lease=lease)


def test_two_workers_racing_run_a_periodic_job_once(backend_url: str, engine: Engine) -> None:
    name = "job-" + key()[:8]
    other = make_engine(backend_url, pool_size=4)
    runs: list[str] = []
    barrier = threading.Barrier(4)

    def worker(eng: Engine, who: str) -> None:
        barrier.wait()
        run_once(eng, name, timedelta(minutes=1), lambda: NOW, lambda: runs.append(who))

    try:
        threads = [
            threading.Thread(target=worker, args=((engine, other)[i % 2], f"w{i}"))
            for i in range(4)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        other.dispose()
    assert len(runs) == 1
    # the next minute runs again, once
    run_once(
        engine,
        name,
        timedelta(minutes=1),
        lambda: NOW + timedelta(minutes=1),
        lambda: runs.append("x"),
    )
    run_once(
        engine,
        name,
        timedelta(minutes=1),
        lambda: NOW + timedelta(minutes=1),
        lambda: runs.append("y"),
    )
    assert runs[1:] == ["x"]


def test_a_crashed_holder_does_not_block_the_next_tick(engine: Engine) -> None:
    name = "job-" + key()[:8]
    tick = tick_of(NOW, timedelta(minutes=1))
    assert claim(engine, name, tick, NOW, holder="dead", lease=timedelta(seconds=15))
    # it never finishes; a minute later its lease has lapsed
    ran = run_once(
        engine, name, timedelta(minutes=1), lambda: NOW + timedelta(minutes=1), lambda: 7
    )
    assert ran == 7


def test_two_worker_processes_run_the_stale_sweep_once(engine: Engine, tmp_path: Any) -> None:
    clock = FakeClock(datetime(2031, 1, 1, 9, 0, 10, tzinfo=UTC))  # a minute no other test uses
    settings = Settings(data_dir=tmp_path)
    workers = [
        build(platform=bootstrap(settings, engine=engine, clock=clock, notifications=False))
        for _ in range(2)
    ]
    calls: list[int] = []
    for w in workers:
        original = w.platform.bus

        def counting(original: Any = original) -> Any:
            calls.append(1)
            return original()

        w.platform.bus = counting  # type: ignore[method-assign]
    for w in workers:
        w.periodic["stale_shipments_sweep"].call_local()
    assert len(calls) == 1
    with engine.connect() as conn:
        row = conn.execute(
            select(t.periodic_runs).where(t.periodic_runs.c.name == "stale_shipments_sweep")
        ).one()
    assert row.held_until is None and row.finished_at is not None
