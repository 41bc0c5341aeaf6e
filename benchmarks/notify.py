"""Notification engine: planning throughput, and scan-to-inbox latency through a real worker.

Throughput (per database: SQLite file; PostgreSQL when reachable), same run, same messages:

  render only   JinjaRenderer.render() of the contexts, no database        (ceiling 1)
  bulk INSERT   executemany of the same number of message rows, pre-rendered (ceiling 2)
  engine        outbox drain -> NotificationService.handle_many: orders, shipments, messages
                and opt-outs of a run of events read together, rules, dedupe, collapse,
                render email + SMS, one INSERT of the messages and one of the due rows;
                then (out for delivery is urgent) hand each to an in-memory channel
  engine, held  the same for "delivered" scans of a merchant holding updates 5 minutes:
                planning alone (load, rules, dedupe, render, store), nothing sent

Latency (per Huey storage: SQLite file, Redis when reachable), SQLite database:

  baseline      smtplib send of a pre-built message from this process to the same server
  engine        scan ingested through the bus (RecordTracking, out for delivery, urgent) ->
                outbox -> Huey nudge -> worker drain -> plan + render -> due row -> nudge ->
                drain -> SMTP send -> the message is accepted by the local aiosmtpd server

Run:  .venv/bin/python benchmarks/notify.py [--events 1000] [--latency-scans 200] [--rate 20]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, insert, select, text

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.notifications.demo_smtp import free_port
from postpurchase.adapters.notifications.fake import FakeEmailChannel, FakeSmsChannel
from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.samples import sample_context
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.adapters.notifications.wiring import register
from postpurchase.adapters.outbox import drain
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.carrier_detection import example_number
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money
from postpurchase.domain.notifications import Channel
from postpurchase.domain.orders import OrderLineInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.service_layer.notification_ports import INTERNAL_TOPICS
from postpurchase.service_layer.notifications import Channels

console = Console()
LOCALES = ["en", "es", "pt-BR", "fr", "de"]
NOTIFY = {"notify_quiet_hours": "off", "notify_collapse_seconds": 0, "webhooks_enabled": False}


def place(platform: Any, merchant_id: str, i: int, rng_seed: int) -> tuple[str, str, str]:
    import random

    email = f"shopper{i}-{uuid.uuid4().hex[:6]}@example.com"
    order = platform.bus().handle(
        commands.PlaceOrder(
            merchant_id=merchant_id,
            external_id=uuid.uuid4().hex,
            number=f"#{1000 + i}",
            email=email,
            phone="+15555550100",
            customer_name="Ada",
            locale=LOCALES[i % 5],
            currency="USD",
            lines=(OrderLineInput("SKU", "Thing", 1, Money(Decimal(5), "USD")),),
            shipping_address=Address("US", "10001", name="Ada"),
            shipping_fee=Money(Decimal("4.99"), "USD"),
            placed_at=datetime.now(UTC),
            timezone="America/New_York",
        )
    )
    number = example_number("ups", random.Random(rng_seed + i))
    platform.bus().handle(commands.CreateShipment(merchant_id, order.id, number, "ups"))
    return order.id, number, email


def out_for_delivery(number: str, status: ShipmentStatus = ShipmentStatus.OUT_FOR_DELIVERY) -> Any:
    scan = TrackingEvent(occurred_at=datetime.now(UTC), status=status)
    return commands.TrackingUpdate(number, "ups", (scan,))


# --------------------------------------------------------------------------- throughput


def engine_phase(
    platform: Any, service: Any, n: int, status: ShipmentStatus, hold: bool
) -> tuple[int, float, dict[str, Any] | None]:
    """n orders of a fresh merchant, one scan each; the drain that plans them, timed.
    ``hold``: the merchant holds updates 5 minutes (collapse), so nothing is sent: planning
    alone. Returns the messages planned, the seconds and one of the rows."""
    engine = platform.engine
    merchant, _, *_ = create_merchant(
        platform.uow(), platform.clock, "Bench " + uuid.uuid4().hex[:6]
    )
    if hold:
        service.update_preferences(merchant.id, {"collapse_seconds": 300})
    numbers = [place(platform, merchant.id, i, 7)[1] for i in range(n)]
    drain(engine, platform.subscribers)  # confirmations and "shipped": not what we time
    drain(engine, platform.subscribers)
    for i in range(0, n, 500):
        update = tuple(out_for_delivery(x, status) for x in numbers[i : i + 500])
        platform.bus().handle(commands.RecordTracking(merchant.id, update))
    plan_only = {k: v for k, v in platform.subscribers.items() if k not in INTERNAL_TOPICS}
    m = t.notification_messages.c
    queued_q = select(func.count()).where(
        m.merchant_id == merchant.id,
        m.flow == status.value,
        m.status.in_(["queued", "sent"]),  # urgent: sent to the in-memory channel at once
    )
    start = time.perf_counter()
    drain(engine, plan_only)
    engine_s = time.perf_counter() - start
    with engine.connect() as conn:
        queued = int(conn.execute(queued_q).scalar_one())
        sample = (
            conn.execute(
                select(t.notification_messages).where(m.merchant_id == merchant.id).limit(1)
            )
            .mappings()
            .first()
        )
    return queued, engine_s, dict(sample) if sample else None


def throughput(name: str, db_url: str, n: int) -> list[tuple[str, str, int, float]]:
    engine = make_engine(db_url)
    upgrade(engine)
    platform = bootstrap(
        Settings(base_url="https://shop.example"), engine=engine, notifications=False
    )
    email, sms = FakeEmailChannel(), FakeSmsChannel()
    service = register(platform, NotifySettings(**NOTIFY), channels=Channels(email=email, sms=sms))
    queued, engine_s, sample = engine_phase(
        platform, service, n, ShipmentStatus.OUT_FOR_DELIVERY, hold=False
    )
    held, held_s, _ = engine_phase(platform, service, n, ShipmentStatus.DELIVERED, hold=True)

    renderer = JinjaRenderer()
    contexts = [
        sample_context("out_for_delivery", LOCALES[i % 5], ch)
        for i in range(n)
        for ch in (Channel.EMAIL, Channel.SMS)
    ]
    start = time.perf_counter()
    for ctx in contexts:
        renderer.render(ctx)
    render_s = time.perf_counter() - start

    assert sample is not None
    rows = []
    for _ in range(queued):
        row = dict(sample)
        row.update(id=new_id(), dedupe_key=new_id(), unsubscribe_token=new_id())
        rows.append(row)
    start = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(rows), 1000):
            conn.execute(insert(t.notification_messages), rows[i : i + 1000])
    insert_s = time.perf_counter() - start
    engine.dispose()
    return [
        (name, "render only (ceiling)", len(contexts), render_s),
        (name, "bulk INSERT (ceiling)", len(rows), insert_s),
        (name, "engine: plan+render+queue+send", queued, engine_s),
        (name, "engine: plan+render+queue (delivered, held)", held, held_s),
    ]


# --------------------------------------------------------------------------- latency


class Arrivals:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        content = (
            envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        )
        flow = str(BytesHeaderParser().parsebytes(content).get("X-Postpurchase-Flow", ""))
        for rcpt in envelope.rcpt_tos:
            with self.lock:
                self.at[f"{rcpt}|{flow}"] = now
        return "250 OK"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def smtp_baseline(port: int, arrivals: Arrivals, k: int) -> list[float]:
    out = []
    for i in range(k):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.com", f"base{i}@example.com", "base"
        msg["X-Postpurchase-Flow"] = "base"
        msg.set_content("x" * 2000)
        t0 = time.time()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
            c.send_message(msg)
        out.append(arrivals.at[f"base{i}@example.com|base"] - t0)
    return out


def latency(
    queue: str, redis_url: str | None, k: int, rate: float, *, fast_poll: bool = False
) -> list[float] | None:
    """``fast_poll``: the consumer polls its queue every 5-50 ms instead of Huey's default
    0.1-10 s backoff (which is what an idle SQLite-storage consumer does between tasks)."""
    from postpurchase.adapters.queue import EmbeddedConsumer
    from postpurchase.entrypoints.worker import build

    arrivals = Arrivals()
    port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=port)
    controller.start()
    data_dir = Path(tempfile.mkdtemp(prefix=f"pp-notify-{queue}-"))
    settings = Settings(data_dir=data_dir, base_url="https://shop.example", redis_url=redis_url)
    platform = bootstrap(settings, notifications=False)
    upgrade(platform.engine)
    register(platform, NotifySettings(smtp_url=f"smtp://127.0.0.1:{port}", **NOTIFY))
    worker = build(settings, platform)
    worker.huey.flush()
    if fast_poll:
        consumer = EmbeddedConsumer(
            worker.huey, workers=2, worker_type="thread", periodic=True,
            check_worker_health=False, initial_delay=0.005, backoff=1.1, max_delay=0.05,
        )  # fmt: skip
    else:
        consumer = worker.consumer(2, embedded=True)
    consumer.start()
    try:
        merchant, _, *_ = create_merchant(platform.uow(), platform.clock, "Latency " + queue)
        placed = [place(platform, merchant.id, i, 11) for i in range(k)]
        deadline = time.time() + 120
        while len(arrivals.at) < 2 * k and time.time() < deadline:  # confirmations + shipped
            time.sleep(0.1)
        sent_at: dict[str, float] = {}
        for _order_id, number, email in placed:
            sent_at[email] = time.time()
            platform.bus().handle(commands.RecordTracking(merchant.id, (out_for_delivery(number),)))
            time.sleep(1 / rate)
        deadline = time.time() + 120
        want = {email for _, _, email in placed}

        def arrived() -> dict[str, float]:
            return {
                key.split("|")[0]: at
                for key, at in arrivals.at.items()
                if key.endswith("|out_for_delivery") and key.split("|")[0] in want
            }

        while len(arrived()) < k and time.time() < deadline:
            time.sleep(0.1)
        got = arrived()
        if len(got) < k:
            console.print(f"[red]{queue}: only {len(got)}/{k} arrived[/red]")
        return [got[e] - sent_at[e] for e in got]
    finally:
        consumer.stop(graceful=True)
        controller.stop()
        platform.engine.dispose()


def reachable_postgres(url: str) -> bool:
    try:
        eng = create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


def reachable_redis(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1000, help="out-for-delivery events to plan")
    ap.add_argument("--latency-scans", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0, help="scans per second in the latency run")
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    pg = os.environ.get(
        "POSTPURCHASE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    redis_url = os.environ.get("POSTPURCHASE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")

    results: list[tuple[str, str, int, float]] = []
    tmp = Path(tempfile.mkdtemp(prefix="pp-notify-bench-"))
    results += throughput("sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}", args.events)
    if reachable_postgres(pg):
        name = f"pp_notify_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results += throughput("postgresql", pg.rsplit("/", 1)[0] + f"/{name}", args.events)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    table = Table(title=f"Planning throughput ({args.events} out-for-delivery events, email + SMS)")
    for col in ("database", "phase", "messages", "seconds", "messages/s", "engine / this"):
        table.add_column(col, justify="right" if col not in ("database", "phase") else "left")
    table.add_column("held / this", justify="right")
    by_db = {r[0]: r[2] / r[3] for r in results if r[1].startswith("engine: plan+render+queue+")}
    held_by = {r[0]: r[2] / r[3] for r in results if "held" in r[1]}
    for db, phase, count, secs in results:
        rate = count / secs
        table.add_row(
            db, phase, str(count), f"{secs:.2f}", f"{rate:,.0f}", f"{by_db[db] / rate:.0%}",
            f"{held_by[db] / rate:.0%}",
        )  # fmt: skip
    console.print(table)

    if args.skip_latency:
        return
    title = f"Scan ingestion -> SMTP server ({args.latency_scans} scans at {args.rate:g}/s)"
    lat = Table(title=title + ", SQLite database")
    for col in ("queue storage", "path", "p50 ms", "p99 ms", "max ms", "p50 vs baseline"):
        lat.add_column(col, justify="left" if col in ("queue storage", "path") else "right")
    base_port = free_port()
    arrivals = Arrivals()
    controller = Controller(arrivals, hostname="127.0.0.1", port=base_port)
    controller.start()
    base = smtp_baseline(base_port, arrivals, 100)
    controller.stop()
    b50 = statistics.median(base)
    lat.add_row("-", "baseline: direct SMTP send", f"{b50 * 1000:.1f}",
                f"{pct(base, 99) * 1000:.1f}", f"{max(base) * 1000:.1f}", "1x")  # fmt: skip
    queues = [("sqlite", None, False), ("sqlite", None, True)]
    if reachable_redis(redis_url):
        queues.append(("redis", redis_url, False))
    for queue, url, fast in queues:
        values = latency(queue, url, args.latency_scans, args.rate, fast_poll=fast)
        if not values:
            continue
        lat.add_row(
            queue + (" (5-50 ms polling)" if fast else ""),
            "engine: scan -> inbox",
            f"{statistics.median(values) * 1000:.1f}",
            f"{pct(values, 99) * 1000:.1f}",
            f"{max(values) * 1000:.1f}",
            f"{statistics.median(values) / b50:,.0f}x",
        )
    console.print(lat)


if __name__ == "__main__":
    main()
