"""`postpurchase user create|list`: console users from the command line (the first owner)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
app = typer.Typer(help="Merchant console users (log-ins at /console).", no_args_is_help=True)


@app.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their log-in).")],
    role: Annotated[
        str, typer.Option(help="owner (everything), agent (acts on orders) or viewer (reads).")
    ] = "owner",
    data_dir: DataDir = None,
) -> None:
    """Create a console user and print a one-time link to set the password (valid 7 days;
    running it again for a user who has not set one yet prints a fresh link)."""
    from postpurchase.domain.console import Role
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.entrypoints.console import accounts_for

    try:
        chosen = Role.parse(role, field="--role")
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}")
    platform = _platform(data_dir)
    try:
        link = accounts_for(platform).create_user(slug, email, chosen)
    except DomainError as exc:
        fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    typer.echo(f"user: {link.user.email} ({link.user.role.value} of {link.merchant.slug})")
    typer.echo(f"Set the password (one-time link, valid until {link.expires_at:%Y-%m-%d %H:%M} "
               f"UTC): {link.url(platform.settings.base_url)}")  # fmt: skip


@app.command("list")
def list_users(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    data_dir: DataDir = None,
) -> None:
    """The merchant's console users, one JSON object per line (never a password hash)."""
    from postpurchase.adapters.db.console import SqlConsoleUnitOfWork
    from postpurchase.entrypoints.cli import _platform, fail

    platform = _platform(data_dir)
    with SqlConsoleUnitOfWork(platform.engine) as uow:
        merchant = uow.merchants.by_slug(slug)
        if merchant is None:
            fail(f"no merchant with slug {slug!r}")
        for user in uow.users.list(merchant.id):
            state = "removed" if user.disabled_at else "active" if user.active else "invited"
            typer.echo(json.dumps({"email": user.email, "role": user.role.value, "state": state}))
