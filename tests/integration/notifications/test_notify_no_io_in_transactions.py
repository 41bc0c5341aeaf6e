"""No network I/O inside a database transaction: on SQLite a writing transaction holds the
one write lock, so a worker that sent an email (or POSTed a webhook) while its transaction
was open made every API write wait for the remote server. Here the remote servers are
deliberately slow (3 s) and an API write made during the send must finish in well under 1 s.

These run on a SQLite database of their own (the lock is SQLite's; PostgreSQL's row locks
never blocked an unrelated insert)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.notifications.demo_smtp import free_port
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer.notifications import NotificationService
from tests.factories import place_order, ref
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings
from tests.notify_support import HttpRecorder, Recorded

SLOW = 3.0


class SlowSmtp:
    """Accepts every message, but takes ``SLOW`` seconds to answer the DATA command."""

    def __init__(self) -> None:
        self.sending = threading.Event()
        self.got: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sending.set()
        await asyncio.sleep(SLOW)
        self.got.append(envelope.content)
        return "250 OK"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'notify.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _order_body(notify: Notify) -> dict[str, Any]:
    return {
        "external_id": ref("ext-"),
        "currency": "USD",
        "lines": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "12.50"}],
        "shipping_address": {"country": "US", "postal_code": "10001", "city": "New York"},
        "placed_at": (notify.clock.now() - timedelta(hours=1)).isoformat(),
    }


def _api_write_during_send(notify: Notify, started: threading.Event) -> float:
    """Drain the outbox in a worker thread; once the remote server is busy with our send,
    time one API write (an order placed through the HTTP API; without an email address, so
    it gives the worker nothing more to send)."""
    with TestClient(create_app(notify.platform)) as client:
        client.headers["Authorization"] = f"Bearer {notify.api_key}"
        worker = threading.Thread(target=notify.drain, daemon=True)
        worker.start()
        assert started.wait(10), "the worker never reached the remote server"
        t0 = time.perf_counter()
        r = client.post("/api/v1/orders", json=_order_body(notify))
        elapsed = time.perf_counter() - t0
        assert r.status_code == 201, r.text
        worker.join(30)
        assert not worker.is_alive()
    return elapsed


def test_an_api_write_does_not_wait_for_a_slow_smtp_server(sqlite_engine: Engine) -> None:
    handler = SlowSmtp()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        notify = make_notify(sqlite_engine, quiet_settings(smtp_url=f"smtp://127.0.0.1:{port}"))
        notify.platform.bus().handle(place_order(notify.merchant.id))
        elapsed = _api_write_during_send(notify, handler.sending)
        assert elapsed < 1.0, f"the API write waited {elapsed:.2f} s for the SMTP server"
        assert len(handler.got) == 1
        [sent] = notify.messages(status="sent")
        assert sent["flow"] == "order_confirmed" and sent["attempts"] == 1
    finally:
        controller.stop()


def test_an_api_write_does_not_wait_for_a_slow_webhook_receiver(sqlite_engine: Engine) -> None:
    sending = threading.Event()

    def slow(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        if not sending.is_set():  # the first delivery; the API's own order then goes fast
            sending.set()
            time.sleep(SLOW)
        return 200, {}, b"ok"

    with HttpRecorder(slow) as server:
        notify = make_notify(sqlite_engine, quiet_settings(outbound_allow="127.0.0.1"))
        service: NotificationService = notify.service
        service.create_endpoint(notify.merchant.id, f"{server.url}/hooks", ["order.placed"])
        notify.platform.bus().handle(place_order(notify.merchant.id))
        elapsed = _api_write_during_send(notify, sending)
        assert elapsed < 1.0, f"the API write waited {elapsed:.2f} s for the webhook receiver"
        assert len([r for r in server.requests if r.path == "/hooks"]) >= 1
