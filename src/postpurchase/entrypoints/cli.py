"""The `postpurchase` command. Bad input exits 2 with one line on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from postpurchase.config import Settings
from postpurchase.entrypoints import (
    cli_audit,
    cli_carriers,
    cli_checkout,
    cli_console,
    cli_customers,
    cli_edd,
    cli_edd_backtest,
    cli_kpis,
    cli_labels,
    cli_merchants,
    cli_notify,
    cli_returns,
    cli_settings,
    cli_shopify,
    cli_templates,
    cli_woocommerce,
)

app = typer.Typer(
    name="postpurchase",
    help="Self-hosted post-purchase platform: orders, tracking, delivery dates, notifications.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
merchant_app = cli_merchants.app
import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
carriers_app = typer.Typer(help="Carriers and tracking numbers.", no_args_is_help=True)
secrets_app = typer.Typer(
    help="The keys that seal integration secrets at rest (POSTPURCHASE_ENCRYPTION_KEYS).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(merchant_app, name="merchant")
app.add_typer(import_app, name="import")
app.add_typer(carriers_app, name="carriers")
app.add_typer(secrets_app, name="secrets")

err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]


def fail(message: str) -> NoReturn:
    """One line, exit code 2: the contract for bad input."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(2)


def settings_for(data_dir: Path | None) -> Settings:
    try:
        settings = Settings(data_dir=data_dir) if data_dir else Settings()
    except Exception as exc:  # pydantic ValidationError: name the setting
        fail(str(exc).splitlines()[0] if str(exc) else "invalid settings")
    return settings


def _platform(data_dir: Path | None, *, migrate: bool = True):  # type: ignore[no-untyped-def]
    from postpurchase.adapters.db.migrate import upgrade
    from postpurchase.bootstrap import bootstrap

    platform = bootstrap(settings_for(data_dir))
    if migrate:
        upgrade(platform.engine)
    return platform


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from postpurchase.adapters.db.migrate import upgrade
    from postpurchase.bootstrap import bootstrap

    platform = bootstrap(settings_for(data_dir))
    upgrade(platform.engine, revision)
    err.print(
        f"database at {platform.engine.url.render_as_string(hide_password=True)} is up to date"
    )
    if revision == "head":
        _reseal(platform)


def _reseal(platform) -> int:  # type: ignore[no-untyped-def]
    from postpurchase.adapters.db.secret_store import reseal_all, reseal_endpoint_secrets
    from postpurchase.adapters.db.storefront_store import reseal_connections

    with platform.engine.begin() as conn:
        changed = reseal_all(conn, platform.keyring)
        changed += reseal_endpoint_secrets(conn, platform.keyring)
        changed += reseal_connections(conn, platform.keyring)
        changed += cli_carriers.reseal_credentials(conn, platform.keyring)
    if changed:
        err.print(f"re-sealed {changed} stored secrets with the first encryption key")
    return changed


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a new key for POSTPURCHASE_ENCRYPTION_KEYS. To rotate: put it first, keep the old
    keys after it, run `postpurchase secrets reencrypt`, then remove the old keys."""
    from postpurchase.adapters.secrets import new_key

    typer.echo(new_key())


@secrets_app.command("reencrypt")
def secrets_reencrypt(data_dir: DataDir = None) -> None:
    """Re-seal every stored secret with the first key of POSTPURCHASE_ENCRYPTION_KEYS (after a
    key rotation; also seals rows an upgrade moved over in the clear)."""
    from postpurchase.adapters.secrets import SecretsUnavailable

    platform = _platform(data_dir)
    try:
        changed = _reseal(platform)
    except SecretsUnavailable as exc:
        fail(str(exc))
    typer.echo(json.dumps({"resealed": changed}))


@import_app.command("orders")
def import_orders(
    file: Annotated[Path, typer.Argument(help="CSV file, one row per order line.")],
    merchant: Annotated[str, typer.Option(help="Merchant slug.")],
    data_dir: DataDir = None,
) -> None:
    """Import orders from CSV (examples/orders.csv shows the columns).

    Valid orders are stored; each rejected row is listed on stderr with its line number; a
    JSON summary goes to stdout. Importing the same file again changes nothing.

    Exit code 0 only when every row was accepted. Exit code 2 when any row was rejected (the
    valid ones are still stored: fix the listed lines and import the file again), when the
    file is empty or has only a header, or when the file or merchant does not exist."""
    from postpurchase.entrypoints.importer import run_import

    if not file.is_file():
        fail(f"{file}: no such file")
    platform = _platform(data_dir)
    with platform.uow() as uow:
        m = uow.merchants.get_by_slug(merchant)
    if m is None:
        fail(f"no merchant with slug {merchant!r}")
    report = run_import(platform, m.id, file, err)
    typer.echo(json.dumps(report))
    if report["rejected"] or report.get("error"):
        raise typer.Exit(2)


@carriers_app.command("detect")
def carriers_detect() -> None:
    """Read tracking numbers (one per line) on stdin; print one JSON object per line.

    Keys: number (the line as given), normalised (the number read from it;
    words around the number are skipped), carrier (best reading, or null),
    valid (check digit holds, or the format has none), candidates (every
    reading, best first, as {carrier, format, confidence}; confidence is
    high, medium or low). Formats and carriers: docs/carriers.md.
    """
    from postpurchase.domain.carrier_detection import candidates, detect

    for raw in sys.stdin:
        number = raw.strip()
        if not number:
            continue
        d = detect(number)
        readings = [
            {"carrier": c.carrier, "format": c.format, "confidence": c.confidence}
            for c in candidates(number)
        ]
        typer.echo(
            json.dumps(
                {
                    "number": number,
                    "normalised": d.number,
                    "carrier": d.carrier,
                    "valid": d.valid,
                    "candidates": readings,
                }
            )
        )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    data_dir: DataDir = None,
    workers: Annotated[int, typer.Option(help="API processes (uvicorn workers).")] = 1,
    migrate: Annotated[bool, typer.Option(help="Run migrations before serving.")] = True,
) -> None:
    """Run the HTTP API and pages. With --workers N, N processes share the port; /metrics
    sums their counters (through PROMETHEUS_MULTIPROC_DIR, set here when unset)."""
    import os
    import shutil

    import uvicorn

    from postpurchase.entrypoints.api.app import EVENT_LOOP
    from postpurchase.entrypoints.observability import configure_from

    settings = settings_for(data_dir)
    configure_from(settings)
    if migrate:
        _platform(data_dir)
    if data_dir:
        os.environ["POSTPURCHASE_DATA_DIR"] = str(data_dir)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = settings.data_dir.resolve() / f"metrics-{port}"
        shutil.rmtree(metrics_dir, ignore_errors=True)  # counters restart with the server
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    uvicorn.run(
        "postpurchase.entrypoints.asgi:app",
        host=host,
        port=port,
        workers=workers,
        loop=EVENT_LOOP,
        log_level=settings.log_level,
        log_config=None,  # ours (structlog, redacted), not uvicorn's
        access_log=False,
        # uvicorn kills a worker that misses a 5 s health ping; a process busy importing or
        # serving on a loaded host can miss it while healthy, and the kill drops its requests.
        timeout_worker_healthcheck=30,
    )


@app.command()
def worker(
    data_dir: DataDir = None,
    threads: Annotated[int, typer.Option(help="Worker threads.")] = 0,
    metrics_port: Annotated[
        int, typer.Option(help="Serve this worker's Prometheus counters on this port (0: off).")
    ] = 0,
) -> None:
    """Run the background worker (outbox delivery, store webhooks, folding, periodic
    sweeps); it logs what each job did at info level."""
    from postpurchase.entrypoints.observability import configure_from
    from postpurchase.entrypoints.worker import build

    configure_from(settings_for(data_dir))
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    platform = _platform(data_dir)
    w = build(platform=platform)
    consumer = w.consumer(threads or platform.settings.worker_threads)
    consumer.run()


@app.command()
def demo(
    port: int = 8000,
    host: str = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option(help="Demo data directory (recreated).")] = Path(
        "demo-data"
    ),
    orders: Annotated[int, typer.Option(min=1, max=20000)] = 500,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 120.0,
    seed: int = 7,
    history: Annotated[
        int,
        typer.Option(
            min=0,
            max=20000,
            help="Delivered orders of the store's past months (31-240 days ago), to train "
            "its delivery-date model on at start; 0: none, the rules layer answers.",
        ),
    ] = 900,
) -> None:
    """Run the whole product on SQLite with simulated carriers, and print where to look."""
    from postpurchase.entrypoints.demo import run_demo

    run_demo(
        host=host, port=port, data_dir=data_dir, orders=orders, speed=speed, seed=seed,
        history=history,
    )  # fmt: skip


app.add_typer(cli_edd.app, name="edd", help="Delivery-date estimates: train and evaluate.")
cli_edd.app.command("backtest")(cli_edd_backtest.backtest)
app.add_typer(cli_notify.app, name="notify", help="Notification previews.")
app.add_typer(cli_customers.app, name="customers")
app.add_typer(cli_console.app, name="user")
app.add_typer(cli_labels.app, name="labels")
app.add_typer(cli_settings.app, name="settings")
app.add_typer(cli_templates.app, name="templates")
app.add_typer(cli_audit.app, name="audit")
app.add_typer(cli_returns.app, name="returns")
app.add_typer(cli_kpis.app, name="kpis")
app.add_typer(cli_shopify.app, name="shopify")
app.add_typer(cli_woocommerce.app, name="woocommerce")
cli_checkout.register(merchant_app)  # publishable-key, checkout
app.add_typer(cli_carriers.simulator_app, name="simulator")
cli_carriers.register(carriers_app, _platform, DataDir)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
