"""The outage test: the mail server is down for a while; when it returns, every queued
message arrives exactly once -- on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import Engine

from postpurchase.adapters.notifications.demo_smtp import DemoSmtp, free_port
from tests.factories import place_order
from tests.integration.notifications.conftest import make_notify, quiet_settings


def test_smtp_down_then_back_delivers_every_message_exactly_once(
    engine: Engine, tmp_path: Path
) -> None:
    port = free_port()
    notify = make_notify(engine, quiet_settings(smtp_url=f"smtp://127.0.0.1:{port}?timeout=2"))
    orders = [place_order(notify.merchant.id) for _ in range(6)]
    for cmd in orders:
        notify.platform.bus().handle(cmd)
    notify.drain()
    rows = notify.messages(channel="email")
    assert len(rows) == 6 and {r["status"] for r in rows} == {"queued"}
    assert all(
        "SMTP unavailable" in r["reason"] or "unavailable, waiting" in r["reason"] for r in rows
    )
    for _ in range(4):  # still down: retries keep failing, nothing is lost or duplicated
        notify.advance(minutes=3)
    assert {r["status"] for r in notify.messages(channel="email")} == {"queued"}

    server = DemoSmtp("127.0.0.1", port, tmp_path / "mail")
    (tmp_path / "mail").mkdir()
    server.start()
    try:
        for _ in range(6):
            notify.advance(minutes=10)
        notify.advance(days=2)  # long after: no late duplicates from stale due rows
        received = Counter(m["To"] for m in server.messages())
        ids = Counter(m["Message-ID"] for m in server.messages())
    finally:
        server.stop()
    ours = {cmd.email: received[cmd.email] for cmd in orders}
    assert ours == {cmd.email: 1 for cmd in orders}
    assert max(ids.values()) == 1
    rows = notify.messages(channel="email")
    assert {r["status"] for r in rows} == {"sent"}
    assert max(r["attempts"] for r in rows) >= 2
