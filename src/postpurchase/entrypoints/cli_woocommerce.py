"""`postpurchase woocommerce connect|backfill`: a merchant's WooCommerce store."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from postpurchase.entrypoints.cli_common import since_date

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
app = typer.Typer(
    help="A WooCommerce store: connect it (REST API key, webhooks) and import its history.",
    no_args_is_help=True,
)


def _stdin_or(value: str) -> str:
    return sys.stdin.readline().strip() if value == "-" else value


@app.command("connect")
def connect(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    url: Annotated[str, typer.Option("--url", help="The store's address, https://…")],
    key: Annotated[
        str, typer.Option("--key", help="Consumer key (ck_…) of a Read/Write REST API key.")
    ],
    secret: Annotated[
        str,
        typer.Option("--secret", help="Consumer secret (cs_…); '-' reads it from stdin."),
    ],
    data_dir: DataDir = None,
) -> None:
    """Check the REST API key against the store, keep it (sealed), and subscribe
    POSTPURCHASE_BASE_URL/webhooks/woocommerce/SLUG to order.created, order.updated,
    order.deleted, product.created, product.updated and product.deleted with a webhook
    secret generated here. Safe to run again (a new key, a moved store): existing webhooks
    are kept or re-keyed, missing ones created. Prints what it did as JSON."""
    from postpurchase.adapters.storefronts.woocommerce import connect as woo
    from postpurchase.adapters.storefronts.woocommerce.client import WooError
    from postpurchase.adapters.storefronts.woocommerce.wiring import client_for_credentials
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import _platform, fail

    platform = _platform(data_dir)
    try:
        credentials = woo.Credentials.checked(url, key, _stdin_or(secret))
        done = woo.connect(
            platform.uow(), platform.clock, slug, credentials,
            base_url=platform.settings.base_url, client_for=client_for_credentials(),
        )  # fmt: skip
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    except WooError as exc:
        fail(f"the store refused a webhook change ({exc}); run connect again")
    host = urlsplit(done.delivery_url).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1") or host.endswith(".local"):
        typer.echo(f"warning: the store will post to {done.delivery_url}, which it cannot "
                   "reach; set POSTPURCHASE_BASE_URL to this server's public https address "
                   "and run connect again", err=True)  # fmt: skip
    hooks = {"created": done.created, "updated": done.updated, "kept": done.kept}
    typer.echo(
        json.dumps(
            {
                "merchant": slug,
                "shop": done.shop,
                "delivery_url": done.delivery_url,
                "webhooks": hooks,
            }
        )
    )


class Only(StrEnum):
    orders = "orders"
    products = "products"


@app.command("backfill")
def backfill(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Orders created on or after this day (YYYY-MM-DD, UTC)."),
    ] = None,
    only: Annotated[
        Only | None, typer.Option("--only", help="Import only orders, or only products.")
    ] = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start over instead of resuming a stopped run.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Import the store's orders (with their refunds and tracking numbers), oldest first,
    then its products (with their variations) into the catalogue, through REST API v3, 100
    a page, with a progress bar. Orders already here (from webhooks or an earlier run) are
    revised only by a newer snapshot, never duplicated. A run that stops (a revoked key, the
    store down) saves its page; run the same command again to resume there. Prints one JSON
    line per kind; exits 2 when any item was refused (each is listed)."""
    from rich.console import Console

    from postpurchase.adapters.storefronts.woocommerce.backfill import OrderPages, ProductPages
    from postpurchase.adapters.storefronts.woocommerce.wiring import client_for_connection
    from postpurchase.entrypoints.cli import _platform, fail

    day = since_date(since)
    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    out = Console(stderr=True)
    refused = False
    sources = {"orders": OrderPages, "products": ProductPages}
    for kind, make in sources.items():
        if only is not None and only.value != kind:
            continue
        refused |= _run_kind(platform, merchant.id, slug, kind, make, day, restart, out,
                             client_for_connection())  # fmt: skip
    if refused:
        raise typer.Exit(2)


def _run_kind(platform, merchant_id, slug, kind, make, day, restart, out, opener) -> bool:  # type: ignore[no-untyped-def]
    """One kind's run with its progress bar; True when an item was refused."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from postpurchase.adapters.storefronts.woocommerce.client import AccessRefused
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.storefronts import BackfillState, StorePlatform
    from postpurchase.entrypoints.cli import fail
    from postpurchase.service_layer.storefronts import backfill as runner

    try:
        connection, state = runner.start(
            platform.uow(), platform.clock, merchant_id, StorePlatform.WOOCOMMERCE, kind,
            day if kind == "orders" else None, restart=restart,
        )  # fmt: skip
    except DomainError as exc:
        fail(f"{exc.message}; run `postpurchase woocommerce connect {slug}` first")
    if state.cursor:
        out.print(f"{kind}: resuming at page {state.cursor} ({state.imported} imported before)")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with opener(connection) as client, Progress(*columns, console=out) as bar:
        source = make(client, merchant_id)
        task = bar.add_task(f"Importing {kind}", total=None, completed=state.imported)

        def on_page(now: BackfillState, _items: int) -> None:
            bar.update(task, total=source.total, completed=now.imported + now.skipped)

        try:
            report = runner.run(platform.uow(), platform.clock, platform.bus().handle, source,
                                connection, state, on_page=on_page)  # fmt: skip
        except runner.BackfillStopped as stopped:
            bar.stop()
            page = stopped.state.cursor or 1
            if "AccessRefused" in str(stopped) or isinstance(stopped.__context__, AccessRefused):
                fail(f"WooCommerce refused the REST API key ({stopped}); create a new Read/Write "
                     f"key, run `postpurchase woocommerce connect {slug}` with it, then this "
                     f"command again: {kind} resume at page {page}")  # fmt: skip
            fail(f"backfill of {kind} stopped: {stopped}; run the same command again to resume "
                 f"at page {page}")  # fmt: skip
    for ref, why in report.skipped:
        out.print(f"{kind[:-1]} {ref}: {why}", markup=False, highlight=False)
    typer.echo(json.dumps({"kind": kind, "imported": report.state.imported,
                           "skipped": report.state.skipped,
                           "status": report.state.status.value}))  # fmt: skip
    return bool(report.skipped)
