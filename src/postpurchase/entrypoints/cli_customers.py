"""`postpurchase customers export|erase`: a shopper's data, for access and erasure requests."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
app = typer.Typer(help="A shopper's data: export it, or erase it.", no_args_is_help=True)


@app.command("export")
def export(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    email: Annotated[str, typer.Argument(help="The shopper's e-mail address.")],
    data_dir: DataDir = None,
) -> None:
    """Print everything stored about the shopper as JSON (a subject access request)."""
    from postpurchase.adapters.db.privacy_store import export_customer
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.privacy import normalise_email
    from postpurchase.entrypoints.cli import _platform, fail

    try:
        address = normalise_email(email)
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}")
    platform = _platform(data_dir)
    merchant = _merchant(platform, slug)
    with platform.engine.connect() as conn:
        data = export_customer(conn, merchant, address)
    typer.echo(json.dumps(data, default=str, indent=2, ensure_ascii=False))


@app.command("erase")
def erase(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    email: Annotated[str, typer.Argument(help="The shopper's e-mail address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Pseudonymise the shopper: name, e-mail, phone, street address, notes, message bodies
    and raw store payloads go; orders, money, statuses and dates stay, so KPIs still add up.
    Prints how many rows were changed, as JSON."""
    from postpurchase.domain import commands
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import _platform, fail

    if not yes and not typer.confirm(f"Erase {email} for {slug}? This cannot be undone"):
        raise typer.Exit(1)
    platform = _platform(data_dir)
    merchant = _merchant(platform, slug)
    try:
        report = platform.bus().handle(commands.EraseCustomer(merchant, email, (), "cli"))
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    typer.echo(json.dumps({"erased": asdict(report)}))


def _merchant(platform, slug: str) -> str:  # type: ignore[no-untyped-def]
    from postpurchase.entrypoints.cli import fail

    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    return str(merchant.id)
