"""Shopify backfill: how fast a shop's history is imported through the Admin GraphQL API,
against ingesting the same orders from their webhook bodies in process.

The shop is a local HTTP server (pytest-httpserver's, in this process) answering the
`BackfillOrders` query with pages of GraphQL Order nodes in the documented shape (each the
reference order of the tests, ~30 fields, lines with taxes, presentment money, a line
without SKU, one fulfilment with a tracking number), with `pageInfo` cursors and
`extensions.cost.throttleStatus` that never runs dry (the rate limit is not what is
measured: Shopify's bucket refills 100-2,000 points a second, a page of 25 orders costs
~40-250). The rows, on one database (SQLite in a temporary file by default):

  baseline webhook bodies     the same N orders (and their fulfilments) parsed from the REST
                              webhook shape and handled by the message bus, no HTTP
  backfill (CLI path)         `run_backfill` as `postpurchase shopify backfill` runs it: pages
                              over HTTP, GraphQL read into the webhook shape, same handlers,
                              the cursor saved after every page
  backfill again (no-op)      the same backfill with --restart: every order is known and
                              not newer, so nothing is written but the cursor

Run:  .venv/bin/python benchmarks/shopify_backfill.py [--orders 1000] [--page 25]
      [--db-url postgresql+psycopg://...]   (a scratch database is made on that server)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from copy import deepcopy
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from rich.console import Console
from rich.table import Table
from werkzeug import Request, Response

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import upgrade
from postpurchase.adapters.secrets import new_key
from postpurchase.adapters.storefronts.shopify import backfill as shopify_backfill
from postpurchase.adapters.storefronts.shopify.fulfillments import as_command, parse_fulfillment
from postpurchase.adapters.storefronts.shopify.jobs import run_backfill
from postpurchase.adapters.storefronts.shopify.orders import parse_order
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.ids import new_id
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer.handlers import create_merchant
from postpurchase.testing import scratch_pg_database

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # the GraphQL shapes the tests replay (tests/integration/...)
from tests.integration.storefronts.shopify_shapes import fixture, graphql_order  # noqa: E402

TOKEN = "shpat_" + "0b" * 16


def rest_orders(n: int) -> list[dict[str, Any]]:
    base, fulfilment = fixture("shopify_order.json"), fixture("shopify_fulfillment.json")
    out = []
    for i in range(n):
        o = deepcopy(base)
        o["id"] = 7_000_000_000_000 + i
        o["name"] = f"#B{i}"
        o["created_at"] = f"2026-0{1 + i % 9}-1{i % 10}T10:00:00-04:00"
        for j, li in enumerate(o["line_items"]):
            li["id"] = 80_000_000_000_000 + i * 10 + j
        f = deepcopy(fulfilment)
        f["id"], f["order_id"] = 90_000_000_000 + i, o["id"]
        f["tracking_number"] = f"1Z999AA1{i:010d}"
        f["tracking_numbers"], f["tracking_urls"] = [f["tracking_number"]], []
        for x in f.get("line_items") or ():
            x["id"] = o["line_items"][0]["id"]
        o["fulfillments"], o["refunds"] = [f], []
        out.append(o)
    return out


def serve(server: HTTPServer, nodes: list[dict[str, Any]]) -> None:
    bucket = {"maximumAvailable": 20000.0, "currentlyAvailable": 19000.0, "restoreRate": 1000.0}
    cost = {"cost": {"requestedQueryCost": 252, "actualQueryCost": 40, "throttleStatus": bucket}}

    def graphql(request: Request) -> Response:
        v = request.get_json()["variables"]
        start = int(json.loads(base64.b64decode(v["after"]))["i"]) if v.get("after") else 0
        page = nodes[start : start + v["first"]]
        end = start + len(page)
        cursor = base64.b64encode(json.dumps({"i": end}).encode()).decode()
        info = {"hasNextPage": end < len(nodes), "endCursor": cursor}
        body = {"data": {"orders": {"nodes": page, "pageInfo": info}}, "extensions": cost}
        return Response(json.dumps(body), content_type="application/json")

    version = Settings.model_fields["shopify_api_version"].default
    server.expect_request(f"/admin/api/{version}/graphql.json").respond_with_handler(graphql)


def phase(platform: Any, name: str, n: int, run: Any) -> tuple[str, int, float]:
    start = time.perf_counter()
    run()
    return name, n, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--page", type=int, default=25)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("POSTPURCHASE_ENCRYPTION_KEYS", new_key())
    rest = rest_orders(args.orders)
    nodes = [graphql_order(o) for o in rest]
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = (
            stack.enter_context(scratch_pg_database(args.db_url, prefix="pp_bench"))
            if args.db_url
            else f"sqlite:///{tmp}/bench.sqlite3"
        )
        engine = make_engine(url)
        upgrade(engine)
        server = HTTPServer()
        server.start()
        stack.callback(server.stop)
        serve(server, nodes)
        settings = Settings(data_dir=Path(tmp), shopify_client_id="bench",
                            shopify_client_secret="bench-secret",
                            shopify_admin_base_url=server.url_for("").rstrip("/"))  # fmt: skip
        platform = bootstrap(settings, engine=engine, notifications=False)
        shopify_backfill.ORDERS_PAGE = args.page

        baseline_merchant = create_merchant(platform.uow(), platform.clock, "Baseline").merchant

        def baseline() -> None:
            for o in rest:
                platform.bus().handle(parse_order(o, merchant_id=baseline_merchant.id))
                for f in o["fulfillments"]:
                    platform.bus().handle(as_command(parse_fulfillment(f), baseline_merchant.id))

        shop = create_merchant(platform.uow(), platform.clock, "Backfilled").merchant
        connection = StoreConnection(
            id=new_id(), merchant_id=shop.id, platform=StorePlatform.SHOPIFY,
            shop="bench-shop.myshopify.com", scopes=("read_orders",),
            credentials={"access_token": TOKEN}, installed_at=platform.clock.now(),
        )  # fmt: skip
        with platform.uow() as uow:
            uow.connections.add(connection)
            uow.commit()
        rows = [
            phase(platform, "baseline: webhook bodies, in process", args.orders, baseline),
            phase(platform, "backfill over the Admin GraphQL API", args.orders,
                  lambda: run_backfill(platform, shop.id, "orders", None, restart=True)),
            phase(platform, "backfill again (all known: no-op)", args.orders,
                  lambda: run_backfill(platform, shop.id, "orders", None, restart=True)),
        ]  # fmt: skip
    base = rows[0][1] / rows[0][2]
    table = Table(title=f"Shopify backfill, {args.orders} orders, pages of {args.page}, "
                        f"{'PostgreSQL' if args.db_url else 'SQLite'}")  # fmt: skip
    for col in ("path", "orders", "s", "orders/s", "vs baseline"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for name, n, secs in rows:
        rate = n / secs
        table.add_row(name, f"{n:,}", f"{secs:.2f}", f"{rate:,.0f}", f"{rate / base:.0%}")
    Console().print(table)


if __name__ == "__main__":
    main()
