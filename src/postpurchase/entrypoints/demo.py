"""`postpurchase demo`: the whole product on the embedded default, with simulated carriers.

One process: uvicorn serves the API, an embedded Huey consumer drains the outbox, and the
simulated carrier serves its own HTTP API, which the worker polls through the demo
merchant's carrier accounts like a real carrier's: history first, then the last two days in
accelerated time until it catches up with the real clock.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console
from rich.progress import Progress

from postpurchase.adapters.carriers import simulated
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.notifications import demo_settings, register, start_demo_smtp
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import DomainError
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput, Promise
from postpurchase.entrypoints.api.app import EVENT_LOOP, create_app
from postpurchase.entrypoints.carrier_tasks import make_poller, poll_until_done
from postpurchase.entrypoints.demo_carriers import buy_demo_labels, sim_clock, start_simulator
from postpurchase.entrypoints.demo_history import (
    HISTORY_DAYS,
    record_history,
    train_in_background,
)
from postpurchase.entrypoints.worker import build
from postpurchase.service_layer.checkout import settings as checkout_settings
from postpurchase.service_layer.handlers import create_merchant

console = Console(stderr=True)
log = logging.getLogger(__name__)

LABEL_ORDERS = 3  # the newest orders, left for the demo to buy labels for
DEFAULT_HISTORY = 900  # delivered orders of the past months (demo_history): enough to train
WAREHOUSE = Address("US", "43215", "OH", "Columbus", "500 Commerce Way", name="Demo Store DC")

# (postal code, region, city): real US places across the simulated network's regions.
DESTINATIONS = [
    ("10001", "NY", "New York"), ("02108", "MA", "Boston"), ("19103", "PA", "Philadelphia"),
    ("20001", "DC", "Washington"), ("30303", "GA", "Atlanta"), ("33130", "FL", "Miami"),
    ("32801", "FL", "Orlando"), ("28202", "NC", "Charlotte"), ("37203", "TN", "Nashville"),
    ("60601", "IL", "Chicago"), ("48226", "MI", "Detroit"), ("44113", "OH", "Cleveland"),
    ("43215", "OH", "Columbus"), ("46204", "IN", "Indianapolis"), ("55401", "MN", "Minneapolis"),
    ("63101", "MO", "St. Louis"), ("64105", "MO", "Kansas City"), ("70112", "LA", "New Orleans"),
    ("75201", "TX", "Dallas"), ("77002", "TX", "Houston"), ("78701", "TX", "Austin"),
    ("80202", "CO", "Denver"), ("84101", "UT", "Salt Lake City"), ("85004", "AZ", "Phoenix"),
    ("89101", "NV", "Las Vegas"), ("90012", "CA", "Los Angeles"), ("92101", "CA", "San Diego"),
    ("94103", "CA", "San Francisco"), ("95814", "CA", "Sacramento"), ("97204", "OR", "Portland"),
    ("98101", "WA", "Seattle"), ("99501", "AK", "Anchorage"), ("96813", "HI", "Honolulu"),
    ("53202", "WI", "Milwaukee"), ("15222", "PA", "Pittsburgh"), ("21202", "MD", "Baltimore"),
]  # fmt: skip

CATALOGUE = [
    ("MUG-BLU", "Stoneware mug, blue", "18.00", 450),
    ("MUG-WHT", "Stoneware mug, white", "18.00", 450),
    ("TEE-S", "Organic tee, S", "29.00", 180),
    ("TEE-M", "Organic tee, M", "29.00", 190),
    ("TEE-L", "Organic tee, L", "29.00", 200),
    ("HOOD-M", "Heavy hoodie, M", "64.00", 700),
    ("CAP-01", "Canvas cap", "24.00", 120),
    ("SOCK-3", "Wool socks, 3 pairs", "21.50", 150),
    ("BAG-TOTE", "Market tote", "32.00", 300),
    ("BOTL-750", "Steel bottle 750 ml", "27.00", 380),
]

FIRST = ["Ada", "Grace", "Alan", "Linus", "Maya", "Omar", "Lena", "Kofi", "Ines", "Ravi", "Zoe"]
LAST = ["Lovelace", "Hopper", "Turing", "Okafor", "Silva", "Nakamura", "Novak", "Haddad", "Berg"]


def _fresh(data_dir: Path) -> None:
    """Remove only the files the demo itself creates, never anything else in the folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.rmtree(data_dir / "mail", ignore_errors=True)
    for pattern in ("postpurchase.sqlite3*", "queue.sqlite3*"):
        for path in data_dir.glob(pattern):
            path.unlink()


def _typo(number: str, rng: random.Random) -> str:
    i = rng.randrange(len(number) - 4, len(number))
    digit = number[i]
    new = str((int(digit) + 1) % 10) if digit.isdigit() else "7"
    return number[:i] + new + number[i + 1 :]


def seed_orders(
    platform: Any,
    merchant_id: str,
    n: int,
    now: datetime,
    seed: int,
    *,
    days: tuple[float, float] = (0.0, 30.0),
    label_orders: int = LABEL_ORDERS,
    first_number: int = 1000,
    title: str = "Creating demo orders",
) -> list[dict[str, Any]]:
    """Create ``n`` orders placed ``days`` (from, to) days ago with shipments; return their
    scan plans. The ``label_orders`` first ones are placed today and left unshipped."""
    rng = random.Random(f"{seed}|{days}")
    scans: list[dict[str, Any]] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(title, total=n)
        for i in range(n):
            placed = now - timedelta(days=rng.uniform(*days))
            if i < label_orders:  # placed today, not shipped yet: the demo buys their labels
                placed = now - timedelta(hours=rng.uniform(1, 6))
            postal, region, city = rng.choice(DESTINATIONS)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            picks = rng.sample(CATALOGUE, rng.choices([1, 2, 3], [60, 30, 10])[0])
            lines = tuple(
                OrderLineInput(sku, name, rng.choice([1, 1, 1, 2]), Money(Decimal(p), "USD"), g)
                for sku, name, p, g in picks
            )
            service = rng.choices(["ground", "express", "same_day"], [70, 26, 4])[0]
            carrier = rng.choice(simulated.carriers_for("US"))
            if service not in simulated.CARRIER_SERVICES[carrier]:
                service = "ground"
            dest = Address("US", postal, region, city, f"{rng.randint(1, 999)} Main St",
                           name=f"{first} {last}")  # fmt: skip
            handling = timedelta(hours=rng.uniform(2, 30))
            promised = simulated.quote(WAREHOUSE, dest, carrier, service, placed + handling)
            order = platform.bus().handle(
                commands.PlaceOrder(
                    merchant_id=merchant_id,
                    external_id=f"DEMO-{first_number + i}",
                    number=f"#{first_number + i}",
                    email=f"{first}.{last}{i}@example.com".lower(),
                    phone=None,
                    customer_name=f"{first} {last}",
                    locale=rng.choices(["en", "es", "fr", "de", "pt-BR"], [80, 8, 4, 4, 4])[0],
                    currency="USD",
                    lines=lines,
                    shipping_address=dest,
                    shipping_fee=Money(Decimal("0" if len(lines) > 1 else "6.95"), "USD"),
                    placed_at=placed,
                    promise=Promise(promised + timedelta(days=1)),
                    source="demo",
                )
            )
            progress.advance(task)
            shipped_at = placed + handling
            if i < label_orders:
                continue
            if shipped_at > now or rng.random() < 0.02:
                if rng.random() < 0.5 and shipped_at <= now:
                    platform.bus().handle(commands.CancelOrder(merchant_id, order.id, "demo"))
                continue
            parcels = [lines] if len(lines) == 1 or rng.random() > 0.15 else [lines[:1], lines[1:]]
            for part in parcels:
                number = simulated.tracking_number(carrier, rng)
                if rng.random() < 0.015:
                    number = _typo(number, rng)
                try:
                    platform.bus().handle(
                        commands.CreateShipment(
                            merchant_id=merchant_id,
                            order_id=order.id,
                            tracking_number=number,
                            carrier=carrier,
                            service=service,
                            lines=tuple(
                                commands.ShipmentLineInput(li.sku, li.quantity) for li in part
                            )
                            if len(parcels) > 1
                            else (),
                            origin=WAREHOUSE,
                            created_at=shipped_at,
                        )
                    )
                except DomainError as exc:
                    log.warning("demo shipment skipped: %s", exc.message)
                    continue
                parcel = simulated.SimParcel(number, carrier, service, WAREHOUSE, dest, shipped_at)
                scans.extend(simulated.plan(parcel, seed))
    return scans


def catch_up_clock(start: datetime, speed: float) -> Any:
    """A clock for the Player: simulated time runs ``speed`` times faster until it reaches
    the real present, then follows the real clock (scans are never sent from the future)."""
    w0 = time.monotonic()

    def clock() -> float:
        fast = start + timedelta(seconds=(time.monotonic() - w0) * speed)
        sim = min(fast, datetime.now(UTC))
        return w0 + (sim - start).total_seconds() / speed

    return clock


def run_demo(
    *,
    host: str,
    port: int,
    data_dir: Path,
    orders: int,
    speed: float,
    seed: int,
    history: int = DEFAULT_HISTORY,
) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _fresh(data_dir)
    base = f"http://{host}:{port}"
    settings = Settings(
        data_dir=data_dir, base_url=base, database_url=None, redis_url=None,
        carrier_poll_cadence_scale=0.02,  # hourly polls every ~72 s, so the demo moves
    )  # fmt: skip
    worker = build(settings)
    platform = worker.platform
    upgrade(platform.engine)
    smtp = start_demo_smtp("127.0.0.1", 0, data_dir / "mail")
    register(platform, demo_settings(smtp.url), replace=True)
    merchant, key, _ = create_merchant(platform.uow(), platform.clock, "Demo Store", slug="demo")
    checkout_settings.update(  # it ships from its Columbus warehouse: precise checkout dates
        platform.uow(), merchant.id,
        {"ship_from_country": WAREHOUSE.country, "ship_from_postal_code": WAREHOUSE.postal_code},
        timezone="America/New_York", actor="system:demo",
    )  # fmt: skip
    console_login = demo_console_user(platform)
    now = datetime.now(UTC)
    if history:
        _seed_history(platform, merchant.id, history, now, seed)
    scans = seed_orders(platform, merchant.id, orders, now, seed, first_number=1000 + history)

    start = now - timedelta(days=2)
    carrier_api = start_simulator(platform, merchant.id, scans, seed, sim_clock(start, speed))
    labels = buy_demo_labels(platform, merchant.id, WAREHOUSE, LABEL_ORDERS)

    consumer = worker.consumer(platform.settings.worker_threads, embedded=True)
    consumer.start()
    stop = threading.Event()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(platform), host=host, port=port, loop=EVENT_LOOP, log_level="warning"
        )
    )

    def first_poll() -> None:  # the worker polls every minute; the history shows at once
        poll_until_done(make_poller(platform), settings.carrier_poll_batch)

    threading.Thread(target=first_poll, name="first-poll", daemon=True).start()
    threading.Thread(
        target=_announce,
        args=(server, base, key, platform, console_login, labels),
        kwargs={"train_for": merchant.id if history else None},
        daemon=True,
    ).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; the shutdown already happened
    finally:
        stop.set()
        carrier_api.stop()
        consumer.stop(graceful=True)
        smtp.stop()
        platform.engine.dispose()
        console.print("demo stopped; data kept in", str(data_dir))


DEMO_CONSOLE_EMAIL = "owner@demo.example"


def demo_console_user(platform: Any) -> tuple[str, str]:
    """The demo store's console owner, with a fresh random password: (e-mail, password)."""
    import secrets

    from postpurchase.domain.console import Role
    from postpurchase.entrypoints.console import accounts_for

    accounts = accounts_for(platform)
    link = accounts.create_user("demo", DEMO_CONSOLE_EMAIL, Role.OWNER)
    password = "demo-" + secrets.token_urlsafe(9)
    accounts.set_password(link.token, password)
    return DEMO_CONSOLE_EMAIL, password


def _announce(
    server: uvicorn.Server,
    base: str,
    key: str,
    platform: Any,
    console_login: tuple[str, str],
    labels: list[Any],
    train_for: str | None = None,
) -> None:
    while not server.started:
        time.sleep(0.05)
    from sqlalchemy import select

    from postpurchase.adapters.db import tables as t

    with platform.engine.connect() as conn:
        token = conn.execute(
            select(t.orders.c.tracking_token).order_by(t.orders.c.placed_at.desc()).limit(1)
        ).scalar()
    lines = [
        "",
        "postpurchase demo is running (Ctrl-C to stop)",
        f"  API docs:       {base}/docs",
        f"  Orders (API):   curl -H 'Authorization: Bearer {key}' {base}/api/v1/orders",
        f"  Console:        {base}/console  (log in as {console_login[0]} / {console_login[1]})",
        f"  Tracking page:  {base}/t/{token}",
        f"  Order lookup:   {base}/track",
        f"  Emails sent:    {base}/notifications/sent",
        f"  Health:         {base}/healthz",
        (
            "  Delivery model: training on the store's history in the background (rules answer "
            f"until then); re-train: postpurchase edd train demo "
            f"--data-dir {platform.settings.data_dir}"
            if train_for
            else "  Delivery model: the rules layer answers (no history: --history 0)"
        ),
        *(
            f"  Label ({r.carrier} {r.label_format.value}, {r.tracking_number}): curl -H "
            f"'Authorization: Bearer {key}' {base}/api/v1/labels/{r.id}/document -o "
            f"label-{r.tracking_number}.{r.label_format.value.lower()}"
            for r in labels
        ),
        f"  Labels (CLI):   postpurchase labels get demo LABEL_ID --out label.pdf --data-dir "
        f"{platform.settings.data_dir}",
        f"API key: {key}",
        "",
    ]
    print("\n".join(lines), flush=True)
    if train_for:
        train_in_background(platform, train_for, lambda line: print(line, flush=True))


def _seed_history(platform: Any, merchant_id: str, n: int, now: datetime, seed: int) -> None:
    """The store's past months: delivered orders to learn delivery dates from."""
    scans = seed_orders(
        platform, merchant_id, n, now, seed, days=HISTORY_DAYS, label_orders=0,
        title="Creating the store's history",
    )  # fmt: skip
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Recording its scans", total=len(scans))
        record_history(platform, merchant_id, scans, now, lambda k: progress.advance(task, k))
