"""`postpurchase audit list SLUG`: who changed what, from the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The audit log of admin actions.", no_args_is_help=True)


@app.command("list")
def list_entries(
    slug: Annotated[str, typer.Argument(help="Merchant slug.")],
    limit: Annotated[int, typer.Option(min=1, max=500, help="Entries to show.")] = 50,
    before: Annotated[
        int | None, typer.Option(min=1, help="Only entries older than this id (paging).")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Only this subject.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
    ] = None,
) -> None:
    """Newest first: when, who, what, and each changed setting as old -> new."""
    from rich.console import Console
    from rich.table import Table

    from postpurchase.entrypoints.cli import _platform, fail
    from postpurchase.service_layer import audit

    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    rows = audit.history(
        platform.uow(), merchant.id, limit=limit, before_id=before, subject=subject
    )
    if as_json:
        for r in rows:
            e = r.entry
            line = {"id": r.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action}
            line |= {"subject": e.subject, "changes": e.changes}
            typer.echo(json.dumps(line, default=str, ensure_ascii=False))
        return
    table = Table("id", "at (UTC)", "actor", "action", "subject", "changes")
    for r in rows:
        e = r.entry
        changes = "\n".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in e.changes.items())
        table.add_row(
            str(r.id), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.subject, changes
        )
    Console().print(table)
