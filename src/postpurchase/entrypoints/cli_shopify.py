"""`postpurchase shopify ...`: the installed Shopify app from the command line: import a
shop's history, change the connection's settings, refund through Shopify, re-register
webhooks, show the connection.

Output that a script reads goes to stdout as JSON; progress and messages go to stderr. Bad
input exits 2 with one line.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from postpurchase.entrypoints.cli_common import since_date

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
app = typer.Typer(
    help="The Shopify app: backfill a shop's history, settings, refunds, webhooks.",
    no_args_is_help=True,
)
err = Console(stderr=True)


def _merchant_id(platform: Any, slug: str) -> str:
    from postpurchase.entrypoints.cli import fail

    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    return str(merchant.id)


@app.command("backfill")
def backfill(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Orders created on or after this day (YYYY-MM-DD)."),
    ] = None,
    products: Annotated[
        bool, typer.Option("--products/--no-products", help="Sync the catalogue too.")
    ] = True,
    orders: Annotated[bool, typer.Option("--orders/--no-orders", help="Import orders.")] = True,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start over instead of resuming a stopped run.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Import the shop's orders (with fulfilments and refunds) and products through the
    Admin GraphQL API, page by page, idempotent with the webhooks. A run stopped by an
    error resumes from its last page when run again with the same --since."""
    from postpurchase.adapters.storefronts.shopify.jobs import run_backfill
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.service_layer.storefronts.backfill import BackfillStopped

    day = since_date(since)
    platform = _platform(data_dir)
    merchant_id = _merchant_id(platform, slug)
    kinds = [k for k, on in (("orders", orders), ("products", products)) if on]
    if not kinds:
        fail("nothing to import: drop --no-orders or --no-products")
    summary: dict[str, Any] = {}
    for kind in kinds:
        with Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            TextColumn("{task.completed} {task.fields[kind]}"),
            TextColumn("{task.fields[skipped]} skipped"), TimeElapsedColumn(),
            console=err, transient=False,
        ) as bar:  # fmt: skip
            task = bar.add_task(f"{slug} {kind}", total=None, kind=kind, skipped=0)

            def moved(state: Any, _: int, task: Any = task, bar: Any = bar) -> None:
                bar.update(task, completed=state.imported, skipped=state.skipped)

            try:
                report = run_backfill(
                    platform, merchant_id, kind, day, restart=restart, on_page=moved
                )
            except BackfillStopped as stopped:
                fail(
                    f"{kind} backfill stopped after {stopped.state.imported} imported: "
                    f"{stopped}; run the same command again to resume from the last page"
                )
            except DomainError as exc:
                fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
            bar.update(task, total=report.state.imported, completed=report.state.imported)
        for ref, why in report.skipped[:20]:
            err.print(f"skipped {kind[:-1]} {ref}: {why}")
        summary[kind] = {
            "imported": report.state.imported,
            "skipped": report.state.skipped,
            "pages": report.pages,
            "status": report.state.status.value,
        }
    typer.echo(json.dumps(summary))


@app.command("settings")
def settings(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    write_back: Annotated[
        bool | None,
        typer.Option(
            "--write-back/--no-write-back",
            help="Send tracking numbers Shopify does not have back to it as fulfilments.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Show the Shopify connection, or change its settings."""
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.storefronts import StorePlatform
    from postpurchase.entrypoints.api.routes.integrations import connection_out
    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.service_layer.storefronts.install import set_write_back

    platform = _platform(data_dir)
    merchant_id = _merchant_id(platform, slug)
    try:
        if write_back is not None:
            connection = set_write_back(
                platform.uow(), merchant_id, StorePlatform.SHOPIFY, write_back
            )
        else:
            with platform.uow() as uow:
                connection = uow.connections.get(merchant_id, StorePlatform.SHOPIFY)
            if connection is None:
                fail(f"{slug} has no Shopify store connected (install the app first)")
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    typer.echo(json.dumps(connection_out(connection)))


def _line(value: str) -> tuple[str, int]:
    from postpurchase.entrypoints.cli import fail

    line_id, sep, qty = value.partition(":")
    if not sep or not line_id or not qty.isdigit() or int(qty) < 1:
        fail(f"--line: {value!r} is not LINE_ID:QUANTITY")
    return line_id, int(qty)


@app.command("refund")
def refund(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    order: Annotated[str, typer.Argument(help="The order: our id, or its Shopify id/number.")],
    line: Annotated[
        list[str] | None,
        typer.Option("--line", help="LINE_ID:QUANTITY (Shopify's line item id); repeat."),
    ] = None,
    shipping: Annotated[
        str | None, typer.Option("--shipping", help="Shipping amount to refund.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note on the refund.")] = None,
    store_credit: Annotated[
        bool, typer.Option("--store-credit", help="Refund as store credit.")
    ] = False,
    no_restock: Annotated[
        bool, typer.Option("--no-restock", help="Do not put the items back in stock.")
    ] = False,
    key: Annotated[
        str | None,
        typer.Option("--idempotency-key", help="Retrying with the same key never pays twice."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Refund lines and/or shipping through Shopify. Refused before Shopify is asked when
    it is more than is still refundable."""
    from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
    from postpurchase.adapters.storefronts.shopify.refund_port import ShopifyRefunds
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.ids import new_id
    from postpurchase.domain.money import Money
    from postpurchase.domain.storefronts import RefundRequest, RefundRequestLine
    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.service_layer.storefronts.refunds import refund_order

    wanted = [_line(v) for v in line or ()]
    amount: Decimal | None = None
    if shipping is not None:
        try:
            amount = Decimal(shipping)
        except InvalidOperation:
            fail(f"--shipping: {shipping!r} is not an amount")
    platform = _platform(data_dir)
    merchant_id = _merchant_id(platform, slug)
    with platform.uow() as uow:
        held = uow.orders.get(merchant_id, order) or uow.orders.get_by_external_id(
            merchant_id, order
        )
    if held is None:
        fail(f"order: {slug} has no order {order!r}")
    if held.source != "shopify":
        fail(f"order: {order!r} came from {held.source!r}, not from Shopify")
    try:
        request = RefundRequest(
            held.external_id,
            held.currency,
            tuple(RefundRequestLine(i, q, not no_restock) for i, q in wanted),
            shipping=Money(amount, held.currency) if amount is not None else None,
            note=note,
            to_store_credit=store_credit,
            idempotency_key=key or f"cli-{new_id()}",
        )
        app_ = ShopifyApp.from_settings(platform.settings)
        with app_.http() as client:
            stores = ShopifyRefunds(lambda c: app_.api(c, client))
            outcome = refund_order(
                platform.uow(), platform.clock, stores, merchant_id, held.id, request
            )
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    r = outcome.result
    typer.echo(json.dumps({
        "store_refund_id": r.store_refund_id, "amount": str(r.amount.amount),
        "currency": r.amount.currency, "store_credit": r.store_credit,
        "replayed": outcome.replayed, "idempotency_key": request.idempotency_key,
    }))  # fmt: skip


@app.command("webhooks")
def webhooks(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    data_dir: DataDir = None,
) -> None:
    """Register (again) the app's webhook subscriptions on the merchant's shop, pointed at
    POSTPURCHASE_BASE_URL/webhooks/shopify/SLUG."""
    from postpurchase.adapters.storefronts.shopify import subscriptions
    from postpurchase.adapters.storefronts.shopify.admin_api import AdminApiError
    from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.storefronts import StorePlatform
    from postpurchase.entrypoints.cli import _platform, fail

    platform = _platform(data_dir)
    merchant_id = _merchant_id(platform, slug)
    with platform.uow() as uow:
        connection = uow.connections.get(merchant_id, StorePlatform.SHOPIFY)
    if connection is None:
        fail(f"{slug} has no Shopify store connected (install the app first)")
    app_ = ShopifyApp.from_settings(platform.settings)
    url = f"{platform.settings.base_url.rstrip('/')}/webhooks/shopify/{slug}"
    try:
        with app_.http() as client:
            done = subscriptions.register(app_.api(connection, client), url)
    except (AdminApiError, DomainError) as exc:
        fail(getattr(exc, "message", None) or str(exc))
    typer.echo(json.dumps([{"topic": d.topic, "ok": d.ok, "error": d.error} for d in done]))
    if not all(d.ok for d in done):
        raise typer.Exit(1)
