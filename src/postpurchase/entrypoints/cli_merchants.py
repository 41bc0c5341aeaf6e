"""`postpurchase merchant`: create a merchant (its API key and tracking-webhook secret), set
the webhook secrets the platforms issued to it, list merchants. Its publishable-key and
checkout commands come from cli_checkout, added to this group in cli.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from postpurchase.domain.secrets import PLATFORM_ISSUED, SecretKind
from postpurchase.service_layer.ports import SecretSummary

app = typer.Typer(help="Merchants (tenants) and their API keys.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
ShopifySecret = Annotated[
    str | None,
    typer.Option(
        "--shopify-secret",
        help="Shopify's webhook key (app client secret, or the key under Settings -> "
        "Notifications -> Webhooks). '-' reads it from stdin.",
        show_default=False,
    ),
]
EasyPostSecret = Annotated[
    str | None,
    typer.Option(
        "--easypost-secret",
        help="The webhook_secret of your EasyPost webhook. '-' reads stdin.",
        show_default=False,
    ),
]
AfterShipSecret = Annotated[
    str | None,
    typer.Option(
        "--aftership-secret",
        help="AfterShip's webhook secret (Settings -> Webhooks). '-' reads stdin.",
        show_default=False,
    ),
]
WooCommerceSecret = Annotated[
    str | None,
    typer.Option(
        "--woocommerce-secret",
        help="The Secret of your WooCommerce webhook. '-' reads stdin.",
        show_default=False,
    ),
]


def _platform_secrets(
    shopify: str | None, easypost: str | None, aftership: str | None, woocommerce: str | None
) -> dict[SecretKind, str | None]:
    """The secrets given on the command line; '-' reads one line of stdin for it (keeps it
    out of shell history and the process list)."""
    given = {
        SecretKind.SHOPIFY_WEBHOOK: shopify,
        SecretKind.EASYPOST_WEBHOOK: easypost,
        SecretKind.AFTERSHIP_WEBHOOK: aftership,
        SecretKind.WOOCOMMERCE_WEBHOOK: woocommerce,
    }
    out: dict[SecretKind, str | None] = {}
    for kind, value in given.items():
        if value is None:
            continue
        out[kind] = sys.stdin.readline().strip() if value == "-" else value
    return out


def _print_secrets(summaries: list[SecretSummary]) -> None:
    for s in summaries:
        typer.echo(f"{s.kind.field}_last4: {s.last4}")


@app.command("create")
def merchant_create(
    name: str,
    data_dir: DataDir = None,
    slug: str | None = None,
    shopify_secret: ShopifySecret = None,
    easypost_secret: EasyPostSecret = None,
    aftership_secret: AfterShipSecret = None,
    woocommerce_secret: WooCommerceSecret = None,
) -> None:
    """Create a merchant; print its API key and our tracking-webhook secret (each shown once:
    only a hash of the key and a sealed copy of the secret are stored). Platform-issued
    webhook secrets may be set here or later with `merchant secrets`."""
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.service_layer.handlers import create_merchant
    from postpurchase.service_layer.merchant_secrets import secret_summaries

    given = _platform_secrets(shopify_secret, easypost_secret, aftership_secret, woocommerce_secret)
    platform = _platform(data_dir)
    try:
        merchant, key, tracking = create_merchant(
            platform.uow(), platform.clock, name, slug=slug, secrets=given
        )
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    typer.echo(f"merchant: {merchant.slug} ({merchant.id})")
    typer.echo(f"API key: {key}")
    typer.echo(f"Tracking webhook secret: {tracking}")
    _print_secrets(
        [
            s
            for s in secret_summaries(platform.uow(), merchant.id)
            if s.kind is not SecretKind.TRACKING_WEBHOOK
        ]
    )


@app.command("secrets")
def merchant_secrets(
    slug: str,
    data_dir: DataDir = None,
    shopify_secret: ShopifySecret = None,
    easypost_secret: EasyPostSecret = None,
    aftership_secret: AfterShipSecret = None,
    woocommerce_secret: WooCommerceSecret = None,
    remove: Annotated[
        list[str] | None,
        typer.Option(
            help="Remove a secret: shopify, easypost, aftership or woocommerce (repeatable).",
            show_default=False,
        ),
    ] = None,
    rotate_tracking_secret: Annotated[
        bool, typer.Option(help="Issue a new tracking-webhook secret (printed once).")
    ] = False,
    helpdesk_secret: Annotated[
        str | None,
        typer.Option(
            "--helpdesk-secret",
            help="The signing secret Zendesk issued for the helpdesk webhook "
            "(/webhooks/helpdesk/SLUG). '-' reads stdin.",
            show_default=False,
        ),
    ] = None,
    rotate_helpdesk_secret: Annotated[
        bool,
        typer.Option(
            help="Issue a new helpdesk-webhook secret (printed once; for Gorgias "
            "or your own integration)."
        ),
    ] = False,
) -> None:
    """Set the webhook secrets the platforms issued to a merchant (sealed at rest; only the
    last four characters are ever shown). A replaced secret stays valid for
    POSTPURCHASE_SECRET_GRACE_HOURS. With no option, list what is set."""
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.service_layer import merchant_secrets as ms

    given = _platform_secrets(shopify_secret, easypost_secret, aftership_secret, woocommerce_secret)
    for name in remove or []:
        choices = {k.value.removesuffix("_webhook"): k for k in PLATFORM_ISSUED}
        if name.strip().lower() not in choices:
            fail(f"--remove: {name!r} is not one of {', '.join(choices)}")
        given[choices[name.strip().lower()]] = None
    if helpdesk_secret is not None:
        given[SecretKind.HELPDESK_WEBHOOK] = (
            sys.stdin.readline().strip() if helpdesk_secret == "-" else helpdesk_secret
        )
    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    try:
        summaries = ms.set_secrets(platform.uow(), platform.clock, merchant.id, given)
        if rotate_tracking_secret:
            secret = ms.rotate_tracking_secret(platform.uow(), platform.clock, merchant.id)
            typer.echo(f"Tracking webhook secret: {secret}")
            summaries = ms.secret_summaries(platform.uow(), merchant.id)
        if rotate_helpdesk_secret:
            secret = ms.rotate_helpdesk_secret(platform.uow(), platform.clock, merchant.id)
            typer.echo(f"Helpdesk webhook secret: {secret}")
            summaries = ms.secret_summaries(platform.uow(), merchant.id)
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    _print_secrets(summaries)


@app.command("list")
def merchant_list(data_dir: DataDir = None) -> None:
    """Every merchant, one JSON object per line."""
    from sqlalchemy import select

    from postpurchase.adapters.db import tables as t
    from postpurchase.entrypoints.cli import _platform

    platform = _platform(data_dir)
    with platform.engine.connect() as conn:
        rows = conn.execute(select(t.merchants.c.id, t.merchants.c.slug, t.merchants.c.name))
        for row in rows:
            typer.echo(json.dumps({"id": row.id, "slug": row.slug, "name": row.name}))
