"""`postpurchase woocommerce connect|backfill`: a merchant's WooCommerce store."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

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


def _since(value: str | None) -> date | None:
    from postpurchase.entrypoints.cli import fail

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--since: {value!r} is not a date (YYYY-MM-DD)")


@app.command("backfill")
def backfill(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Orders created on or after this day (YYYY-MM-DD, UTC)."),
    ] = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start over instead of resuming a stopped run.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Import the store's orders (with their refunds and tracking numbers) through REST API
    v3, oldest first, 100 a page, with a progress bar. Orders already here (from webhooks or
    an earlier run) are revised only by a newer snapshot, never duplicated. A run that stops
    (a revoked key, the store down) saves its page; run the same command again to resume."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from postpurchase.adapters.storefronts.woocommerce.backfill import OrderPages
    from postpurchase.adapters.storefronts.woocommerce.client import AccessRefused
    from postpurchase.adapters.storefronts.woocommerce.wiring import client_for_connection
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.storefronts import BackfillState, StorePlatform
    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.service_layer.storefronts import backfill as runner

    day = _since(since)
    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    try:
        connection, state = runner.start(
            platform.uow(), platform.clock, merchant.id, StorePlatform.WOOCOMMERCE, "orders",
            day, restart=restart,
        )  # fmt: skip
    except DomainError as exc:
        fail(f"{exc.message}; run `postpurchase woocommerce connect {slug}` first")
    out = Console(stderr=True)
    if state.cursor:
        out.print(f"resuming at page {state.cursor} ({state.imported} orders imported before)")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with client_for_connection()(connection) as client, Progress(*columns, console=out) as bar:
        source = OrderPages(client, merchant.id)
        task = bar.add_task("Importing orders", total=None, completed=state.imported)

        def on_page(now: BackfillState, _items: int) -> None:
            bar.update(task, total=source.total, completed=now.imported + now.skipped)

        try:
            report = runner.run(platform.uow(), platform.clock, platform.bus().handle, source,
                                connection, state, on_page=on_page)  # fmt: skip
        except runner.BackfillStopped as stopped:
            bar.stop()
            cause = stopped.__cause__ or stopped.__context__
            if isinstance(cause, AccessRefused) or "AccessRefused" in str(stopped):
                fail(f"WooCommerce refused the REST API key ({stopped}); create a new Read/Write "
                     f"key and run `postpurchase woocommerce connect {slug}` again, then this "
                     f"command again: it resumes at page {stopped.state.cursor or 1}")  # fmt: skip
            fail(f"backfill stopped: {stopped}; run the same command again to resume at page "
                 f"{stopped.state.cursor or 1}")  # fmt: skip
    for ref, why in report.skipped:
        out.print(f"order {ref}: {why}", markup=False, highlight=False)
    typer.echo(json.dumps({"imported": report.state.imported, "skipped": report.state.skipped,
                           "status": report.state.status.value}))  # fmt: skip
    if report.skipped:
        raise typer.Exit(2)
