"""`postpurchase merchant publishable-key` and `postpurchase merchant checkout`: the keys a
storefront uses for delivery dates at checkout, and the settings those dates follow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from postpurchase.domain.errors import DomainError

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]


def _fail(message: str) -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(2)


def _merchant(data_dir: Path | None, slug: str) -> tuple[Any, str]:
    from postpurchase.entrypoints.cli import _platform

    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        _fail(f"no merchant with slug {slug!r}")
    return platform, merchant.id


def publishable_key(
    slug: str,
    data_dir: DataDir = None,
    rotate: Annotated[
        bool,
        typer.Option("--rotate", help="Issue a new key and revoke every other one at once."),
    ] = False,
    revoke: Annotated[
        str | None,
        typer.Option(
            "--revoke", help="Revoke the key with this id (from the list).", show_default=False
        ),
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="Issue another key, keeping the current ones.")
    ] = False,
) -> None:
    """List a merchant's publishable keys (one JSON object per line); the first call issues
    one. A publishable key (pk_...) goes in the storefront's page: it can only read checkout
    estimates. The key is printed once (only a hash is stored)."""
    from postpurchase.service_layer.checkout import keys

    if sum((rotate, revoke is not None, new)) > 1:
        _fail("use one of --rotate, --revoke, --new")
    platform, merchant_id = _merchant(data_dir, slug)
    try:
        if revoke is not None:
            keys.revoke(platform.uow(), platform.clock, merchant_id, revoke)
        else:
            live = [r for r in keys.list_keys(platform.uow(), merchant_id) if not r.revoked_at]
            if rotate or new or not live:
                key, _ = keys.issue(
                    platform.uow(), platform.clock, merchant_id, revoke_others=rotate
                )
                typer.echo(f"Publishable key: {key}")
    except DomainError as exc:
        _fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    for row in keys.list_keys(platform.uow(), merchant_id):
        typer.echo(
            json.dumps(
                {
                    "id": row.id,
                    "hint": row.hint,
                    "label": row.label,
                    "created_at": row.created_at.isoformat(),
                    "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
                }
            )
        )


def checkout_settings(
    slug: str,
    data_dir: DataDir = None,
    cutoff: Annotated[
        str | None,
        typer.Option(
            help="Daily cut-off, HH:MM (24 h) in the merchant's time zone.", show_default=False
        ),
    ] = None,
    handling_days: Annotated[
        int | None, typer.Option(help="Business days to pick and pack (0-30).", show_default=False)
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="The merchant's IANA time zone (the cut-off's clock).", show_default=False
        ),
    ] = None,
    ship_from: Annotated[
        str | None,
        typer.Option(
            help="Where parcels leave from: COUNTRY or COUNTRY:POSTAL_CODE "
            "(GB:M1 1AE). Its public holidays are not business days.",
            show_default=False,
        ),
    ] = None,
    origin: Annotated[
        list[str] | None,
        typer.Option(
            help="A storefront origin allowed to call the estimate from a browser "
            "(https://shop.example.com); repeatable; replaces the list.",
            show_default=False,
        ),
    ] = None,
    clear_origins: Annotated[
        bool, typer.Option("--clear-origins", help="Remove every storefront origin.")
    ] = False,
) -> None:
    """Show or change the settings checkout estimates follow: cut-off, handling days, time
    zone, ship-from and storefront origins (CORS). Prints them as JSON."""
    from postpurchase.service_layer.checkout import settings as cs

    changes: dict[str, Any] = {}
    if cutoff is not None:
        changes["cutoff"] = cutoff
    if handling_days is not None:
        changes["handling_days"] = handling_days
    if ship_from is not None:
        country, _, postal = ship_from.partition(":")
        changes["ship_from_country"] = country or None
        changes["ship_from_postal_code"] = postal or None
    if origin:
        changes["storefront_origins"] = list(origin)
    if clear_origins:
        if origin:
            _fail("use --origin or --clear-origins, not both")
        changes["storefront_origins"] = []
    platform, merchant_id = _merchant(data_dir, slug)
    try:
        if changes or timezone is not None:
            found = cs.update(platform.uow(), merchant_id, changes, timezone=timezone, actor="cli")
        else:
            found = cs.get(platform.uow(), merchant_id)
    except DomainError as exc:
        _fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    settings, tz = found
    typer.echo(json.dumps({**settings.as_dict(), "timezone": tz}))


def register(merchant_app: typer.Typer) -> None:
    merchant_app.command("publishable-key")(publishable_key)
    merchant_app.command("checkout")(checkout_settings)
