"""Distributed mode as an operator runs it: ``postpurchase serve --workers 2`` over one
database (and one Redis when there is one), reached over HTTP on loopback.

Two hosts behind a load balancer (one ``serve --workers 2``, one ``serve``): the tracking
page's lookup limit is spent once across all their processes (each alone would allow its
own five guesses), and the first host's ``/metrics`` sums its processes' counters whichever
one answers the scrape.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict
from sqlalchemy import Engine

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.shared_limits import Bucket, RedisBuckets
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.testing import free_port, wait_until_healthy
from tests import tracking_scenarios as sc
from tests.conftest import PG_URL, REDIS_URL

# (database, shared limits): the deployments there are. Hosts that share Redis share
# PostgreSQL too, so Redis beside SQLite is not one of them.
DEPLOYMENTS = [("sqlite", "db")] + (
    [("postgresql", "db")] + ([("postgresql", "redis")] if REDIS_URL else []) if PG_URL else []
)
IP = "127.0.0.1"


def start(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "postpurchase.entrypoints.cli", "serve", "--port", str(port),
         "--workers", str(workers), "--no-migrate"],
        env=env, start_new_session=True,
    )  # fmt: skip


@dataclass
class Cluster:
    urls: list[str]  # two hosts behind a load balancer: serve --workers 2, and serve
    metrics_dir: Path  # the first one's multiprocess metric files
    redis_url: str | None


@pytest.fixture
def cluster(limits: str, backend_url: str, tmp_path: Path) -> Iterator[Cluster]:
    redis_url = REDIS_URL if limits == "redis" else None
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "POSTPURCHASE_DATABASE_URL": backend_url,
        "POSTPURCHASE_DATA_DIR": str(tmp_path),
        "POSTPURCHASE_BASE_URL": f"http://{IP}",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("POSTPURCHASE_REDIS_URL", None)
    if redis_url:
        env["POSTPURCHASE_REDIS_URL"] = redis_url
    procs = [start(env, ports[0], 2), start(env, ports[1], 1)]
    urls = [f"http://{IP}:{port}" for port in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            wait_until_healthy(url, timeout=90, running=lambda proc=proc: proc.poll() is None)
        yield Cluster(urls, tmp_path / f"metrics-{ports[0]}", redis_url)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=20)


def forget(engine: Engine, redis_url: str | None, number: str) -> None:
    """Full buckets for this IP and order (Redis outlives the test session)."""
    keys = [Bucket(f"lookup:ip:{IP}", 1, 1).hashed]
    keys.append(Bucket(f"lookup:order:{IP}|{number.lstrip('#').lower()}", 1, 1).hashed)
    with engine.connect() as conn:
        conn.execute(t.rate_buckets.delete().where(t.rate_buckets.c.key.in_(keys)))
        conn.commit()
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete(*[RedisBuckets.PREFIX + k for k in keys])
        client.close()


def lookups_by_process(metrics_dir: Path) -> dict[str, float]:
    """POST /track answers counted per process, from the multiprocess metric files."""
    found: dict[str, float] = {}
    for path in metrics_dir.glob("histogram_*.db"):
        pid = path.stem.rsplit("_", 1)[1]
        d = MmapedDict(str(path), read_mode=True)  # type: ignore[no-untyped-call]
        try:
            for key, value, _ in d.read_all_values():  # type: ignore[no-untyped-call]
                _, sample, labels, *_ = json.loads(key)
                wanted = {"route": "/track", "method": "POST"}  # buckets: not cumulative here
                if sample.endswith("_bucket") and wanted.items() <= labels.items():
                    found[pid] = found.get(pid, 0) + value
        finally:
            d.close()  # type: ignore[no-untyped-call]
    return found


def scrape(url: str, prefix: str) -> float:
    text = httpx.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix) and not line.startswith("#")
    )


@pytest.mark.parametrize(("backend_url", "limits"), DEPLOYMENTS, indirect=["backend_url"])
def test_api_processes_share_the_lookup_limit_and_sum_their_metrics(
    cluster: Cluster, engine: Engine
) -> None:
    for url in cluster.urls:
        assert httpx.get(f"{url}/healthz/ready", timeout=10).status_code == 200
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    shop = sc.merchant(platform)
    seeded = sc.order(platform, shop.id, "in_transit")
    forget(engine, cluster.redis_url, seeded.number)
    route = 'postpurchase_http_request_seconds_count{method="POST",route="/track"'
    first = cluster.urls[0]
    before = scrape(first, route)
    statuses: list[int] = []
    for i in range(8):
        url = cluster.urls[i % 2]  # the load balancer alternates between the two hosts
        with httpx.Client(base_url=url, timeout=10) as client:  # a fresh connection each
            r = client.post(
                "/track",
                data={"shop": shop.slug, "number": seeded.number, "contact": f"x{i}@e.test"},
                headers={"Connection": "close"},
            )
        statuses.append(r.status_code)
    # five wrong guesses in all, wherever they landed; then every process refuses
    assert statuses == [404] * 5 + [429] * 3
    right = {"shop": shop.slug, "number": seeded.number, "contact": seeded.email}
    for url in cluster.urls:
        assert httpx.post(f"{url}/track", data=right, timeout=10).status_code == 429
    # the first host's /metrics sums its two processes, whichever one answers the scrape
    sent = 4 + 1
    totals = {scrape(first, route) - before for _ in range(6)}
    assert totals == {float(sent)}
    assert sum(lookups_by_process(cluster.metrics_dir).values()) == sent
