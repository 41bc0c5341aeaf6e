"""Pieces several CLI sub-commands share: the stderr progress bar of long reads and replays,
and the ``--since`` date option. Kept apart from ``cli.py`` so the sub-command modules can
import them at module level without importing the whole command tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

err = Console(stderr=True)


@contextmanager
def progress_bar(label: str, *, in_bytes: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A Rich bar on stderr (only on a terminal, so pipes and JSON output stay clean), fed
    ``(done, total)``: bytes read when ``in_bytes``, else counted steps (days replayed)."""
    counter = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        counter,
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def since_date(value: str | None, option: str = "--since") -> date | None:
    """An optional ``YYYY-MM-DD`` option; anything else is the one-line error and exit 2."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: {option}: {value!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
