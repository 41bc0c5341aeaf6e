"""Health split into live and ready, Prometheus metrics that sum every API process, and
structured logs with a request id and no shopper's personal data."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from postpurchase.adapters.signatures import sign_postpurchase
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.observability import configure_logging
from postpurchase.service_layer import handlers
from postpurchase.testing import free_port, wait_until_healthy
from tests.factories import ref, ups_number


def test_live_ready_and_a_database_that_is_down(engine) -> None:  # type: ignore[no-untyped-def]
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    with TestClient(create_app(platform)) as client:
        assert client.get("/healthz/live").json() == {"status": "ok"}
        ready = client.get("/healthz/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    down = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing", connect_args={"connect_timeout": 1}
    )
    broken = bootstrap(Settings(), engine=down, notifications=False)
    with TestClient(create_app(broken)) as client:
        assert client.get("/healthz/live").status_code == 200  # the process itself is fine
        r = client.get("/healthz/ready")
        assert r.status_code == 503 and r.json()["checks"]["database"].startswith("down")


def test_metrics_show_the_backlog_and_what_this_process_counted(engine) -> None:  # type: ignore[no-untyped-def]
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    merchant, key, _ = handlers.create_merchant(platform.uow(), platform.clock, "M " + ref())
    with TestClient(create_app(platform)) as client:
        auth = {"Authorization": f"Bearer {key}"}
        body = {"events": [{"tracking_number": ups_number(), "status": "in_transit",
                            "occurred_at": "2026-11-20T10:00:00Z"}]}  # fmt: skip
        client.post("/webhooks/tracking/postpurchase", json=body, headers=auth)
        text = client.get("/metrics").text
    assert 'postpurchase_queue_depth{queue="outbox"}' in text
    assert 'postpurchase_queue_oldest_seconds{queue="webhook_inbox"}' in text
    assert re.search(r'postpurchase_tracking_events_received_total\{.*source="postpurchase"', text)
    assert 'route="/webhooks/tracking/{source}"' in text  # route templates, not raw paths
    del merchant


def _scrape_total(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


def test_serve_with_two_workers_sums_both_processes(backend_url, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    platform = bootstrap(Settings(database_url=backend_url), engine=engine, notifications=False)
    merchant, _, secret = handlers.create_merchant(platform.uow(), platform.clock, "W " + ref())
    port = free_port()
    env = {**os.environ, "POSTPURCHASE_DATABASE_URL": backend_url,
           "POSTPURCHASE_DATA_DIR": str(tmp_path)}  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "postpurchase.entrypoints.cli", "serve", "--port", str(port),
         "--workers", "2", "--no-migrate"],
        env=env, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, timeout=120, running=lambda: proc.poll() is None)
        before = _scrape_total(url, "postpurchase_tracking_events_received_total")
        n = 30
        with httpx.Client(base_url=url, timeout=10) as client:
            for i in range(n):  # fresh connections: the kernel spreads them over both workers
                event = {"id": f"s{i}", "tracking_number": ups_number(),
                         "status": "in_transit", "occurred_at": "2026-11-20T10:00:00Z"}  # fmt: skip
                raw = orjson.dumps({"events": [event]})
                sig = sign_postpurchase(raw, secret, datetime.now(UTC))
                r = client.post(
                    f"/webhooks/tracking/postpurchase?merchant={merchant.slug}", content=raw,
                    headers={"X-Postpurchase-Signature": sig, "Connection": "close"},
                )  # fmt: skip
                assert r.status_code in (200, 422), r.text
        totals = {_scrape_total(url, "postpurchase_tracking_events_received_total") - before
                  for _ in range(6)}  # fmt: skip
        assert totals == {float(n)}  # whichever process answers, both processes' counts
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def test_log_lines_are_json_with_the_request_id_and_no_personal_data(
    engine, capfd: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    configure_logging(json=True)
    try:
        platform = bootstrap(Settings(), engine=engine, notifications=False)
        with TestClient(create_app(platform)) as client:
            r = client.get("/healthz/live", headers={"X-Request-Id": "req-42"})
            assert r.headers["x-request-id"] == "req-42"
            assert re.fullmatch(
                r"[0-9a-f]{32}", client.get("/healthz/live").headers["x-request-id"]
            )
        log = logging.getLogger("postpurchase.test")
        log.info("mail to avery@example.com failed", extra={"email": "avery@example.com",
                                                            "order_id": "o1"})  # fmt: skip
        lines = [json.loads(x) for x in capfd.readouterr().err.splitlines() if x.startswith("{")]
        mine = next(x for x in lines if x.get("order_id") == "o1")
        assert mine["email"] == "[redacted]" and "avery@" not in json.dumps(mine)
        assert mine["level"] == "info" and mine["timestamp"].endswith("Z")
    finally:
        logging.getLogger().handlers.clear()
        time.sleep(0)


def test_a_database_that_is_down_answers_503_with_retry_after(engine) -> None:  # type: ignore[no-untyped-def]
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    _, key, _ = handlers.create_merchant(platform.uow(), platform.clock, "Down " + ref())
    down = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing", connect_args={"connect_timeout": 1}
    )
    broken = bootstrap(Settings(), engine=down, notifications=False)
    with TestClient(create_app(broken), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Service unavailable"
