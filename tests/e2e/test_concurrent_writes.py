"""A burst of API writes does not exhaust the database pool (each write route used to hold
a read connection through its command: two pooled connections a request)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.test_api import order_body


def test_fifty_concurrent_order_creates_all_succeed_quickly(server, make_tenant) -> None:
    t = make_tenant()

    def create(_: int) -> int:
        with server.client(t.key) as c:
            return c.post("/api/v1/orders", json=order_body()).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(create, range(100)))
    elapsed = time.monotonic() - started
    assert statuses.count(201) == 100, statuses
    assert elapsed < 20, elapsed  # pool exhaustion waited 30 s per request before failing
