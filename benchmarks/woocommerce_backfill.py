"""WooCommerce backfill: orders imported per second over REST API v3, against storing the
same orders straight through the message bus.

A local HTTP server (pytest-httpserver) answers ``GET /wp-json/wc/v3/orders`` as
WooCommerce does: pages of full order JSON (the shape of
``tests/fixtures/payloads/woocommerce/order_created.json``: two lines, a fee, a coupon,
taxes, shipping; each order with its own id, number and creation time), ``X-WP-Total`` and
``X-WP-TotalPages``, Basic auth checked. SQLite in a temporary directory. Rows:

  baseline bus          each order's commands (``order_commands``: the order, its refunds,
                        its tracking numbers) handled by the bus, no HTTP: the floor
  backfill              ``woocommerce backfill``'s code path (the shared runner with
                        ``OrderPages``): pages fetched over loopback HTTP, parsed, handled,
                        the cursor saved after each page
  backfill again        the same run once more with --restart: every order is known, so
                        every snapshot is compared and left alone (webhooks and backfill
                        converging)

Run:  .venv/bin/python benchmarks/woocommerce_backfill.py [--orders 2000] [--per-page 100]
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from rich.console import Console
from rich.table import Table
from werkzeug import Request, Response

from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.net_guard import OutboundPolicy
from postpurchase.adapters.storefronts.woocommerce import order_commands
from postpurchase.adapters.storefronts.woocommerce.backfill import OrderPages
from postpurchase.adapters.storefronts.woocommerce.wiring import client_for_connection
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.ids import new_id
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.service_layer.storefronts import backfill as runner

FIXTURE = Path(__file__).parent.parent / "tests/fixtures/payloads/woocommerce/order_created.json"
KEY, SECRET = "ck_" + "a" * 40, "cs_" + "b" * 40
START = datetime(2026, 6, 1, tzinfo=UTC)


def orders(n: int) -> list[dict[str, Any]]:
    template = json.loads(FIXTURE.read_bytes())
    made = []
    for i in range(n):
        order = copy.deepcopy(template)
        at = (START + timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        order.update(id=100000 + i, number=str(100000 + i), date_created_gmt=at,
                     date_modified_gmt=at, date_paid_gmt=at)  # fmt: skip
        for j, item in enumerate(order["line_items"]):
            item["id"] = 10 * (100000 + i) + j
        made.append(order)
    return made


def serve(server: HTTPServer, pages: list[bytes], total: int) -> None:
    auth = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()

    def handle(request: Request) -> Response:
        if request.headers.get("Authorization") != auth:
            return Response('{"code":"woocommerce_rest_cannot_view"}', status=401)
        page = int(request.args.get("page", "1"))
        body = pages[page - 1] if page <= len(pages) else b"[]"
        return Response(body, content_type="application/json",
                        headers={"X-WP-Total": str(total),
                                 "X-WP-TotalPages": str(len(pages))})  # fmt: skip

    server.expect_request("/wp-json/wc/v3/orders").respond_with_handler(handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--per-page", type=int, default=100)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    console = Console(width=160)
    data = orders(args.orders)
    pages = [json.dumps(data[i : i + args.per_page]).encode()
             for i in range(0, len(data), args.per_page)]  # fmt: skip
    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        platform = bootstrap(Settings(data_dir=Path(tmp)), notifications=False)
        upgrade(platform.engine)
        clock, bus = platform.clock, platform.bus()

        base, _, _ = create_merchant(platform.uow(), clock, "Baseline")
        started = time.perf_counter()
        for order in data:
            for command in order_commands(order, merchant_id=base.id):
                bus.handle(command)
        rows.append(("baseline bus (no HTTP)", len(data), time.perf_counter() - started))

        server = HTTPServer(host="127.0.0.1", port=0)
        server.start()
        try:
            serve(server, pages, len(data))
            merchant, _, _ = create_merchant(platform.uow(), clock, "Backfilled")
            with platform.uow() as uow:
                uow.connections.add(StoreConnection(
                    new_id(), merchant.id, StorePlatform.WOOCOMMERCE,
                    server.url_for("").rstrip("/"), ("read_write",),
                    {"consumer_key": KEY, "consumer_secret": SECRET}, clock.now(),
                ))  # fmt: skip
                uow.commit()
            opener = client_for_connection(OutboundPolicy.parse("127.0.0.1"))
            for label, restart in (("backfill over REST v3", False),
                                   ("backfill again (all known)", True)):  # fmt: skip
                connection, state = runner.start(platform.uow(), clock, merchant.id,
                                                 StorePlatform.WOOCOMMERCE, "orders", None,
                                                 restart=restart)  # fmt: skip
                started = time.perf_counter()
                with opener(connection) as client:
                    source = OrderPages(client, merchant.id, per_page=args.per_page)
                    report = runner.run(platform.uow(), clock, bus.handle, source, connection,
                                        state)  # fmt: skip
                assert report.complete and report.state.imported == len(data), report.state
                rows.append((label, report.state.imported, time.perf_counter() - started))
        finally:
            server.stop()

    table = Table(title=f"WooCommerce backfill, SQLite, {args.per_page} a page")
    for column in ("path", "orders", "s", "orders/s", "× baseline"):
        table.add_column(column, justify="left" if column == "path" else "right")
    floor = rows[0][1] / rows[0][2]
    for label, count, seconds in rows:
        rate = count / seconds
        table.add_row(label, f"{count:,}", f"{seconds:.2f}", f"{rate:,.0f}", f"{rate / floor:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
