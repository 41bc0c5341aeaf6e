"""Bulk order import from CSV with a progress bar and a line-numbered error report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from postpurchase.adapters.storefronts.csv_orders import count_rows, read_orders
from postpurchase.bootstrap import Platform
from postpurchase.domain.errors import DomainError


def _say(out: Console, text: str) -> None:
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def _unusable(out: Console, path: Path, message: str) -> dict[str, Any]:
    """The file as a whole cannot be imported: one ``error:`` line, nothing stored."""
    error = f"{path.name}: {message}"
    _say(out, f"error: {error}")
    return {"created": 0, "unchanged": 0, "rejected": 0, "error": error}


def _no_rows(path: Path, merchant_id: str) -> str:
    """Why a file with no data rows imports nothing: a bad header first, else no orders."""
    try:
        for _ in read_orders(path, merchant_id=merchant_id):
            pass  # nothing to read past the header; this only checks it
    except DomainError as exc:
        return exc.message
    return "only a header row, no orders under it: nothing to import"


def run_import(platform: Platform, merchant_id: str, path: Path, out: Console) -> dict[str, Any]:
    """Valid orders are stored (each in its own transaction, so one bad order never loses the
    good ones); re-importing a file changes nothing because orders are keyed by external id.

    The report counts orders: ``created``, ``unchanged`` (already stored) and ``rejected``
    (each listed on ``out`` with its line number). A file that cannot be imported at all
    (empty, only a header, a bad header, not UTF-8) prints one ``error:`` line and the
    report carries ``error``."""
    created = unchanged = rejected = 0
    try:
        total = count_rows(path)
        if total == 0:
            return _unusable(out, path, _no_rows(path, merchant_id))
    except UnicodeDecodeError:  # count_rows reads it all: this is the only place it shows
        return _unusable(out, path, "not UTF-8 text: save it as CSV UTF-8")
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=out, transient=False) as progress:
        task = progress.add_task(f"Importing {path.name}", total=total)

        def advance(rows: int) -> None:
            progress.update(task, completed=rows)

        try:
            for line, item in read_orders(path, merchant_id=merchant_id, progress=advance):
                if isinstance(item, str):
                    rejected += 1
                    _say(out, f"line {line}: {item}")
                    continue
                try:
                    result = platform.bus().handle(item)
                except DomainError as exc:
                    rejected += 1
                    where = f" ({exc.field})" if exc.field else ""
                    _say(out, f"line {line}: {exc.message}{where}")
                    continue
                if result.created:
                    created += 1
                else:
                    unchanged += 1
        except DomainError as exc:  # the file as a whole is unusable
            return _unusable(out, path, exc.message)
        progress.update(task, completed=total)
    if rejected:
        stored = created + unchanged
        _say(
            out,
            f"error: {rejected} order(s) rejected (lines above), {stored} stored; fix those "
            "lines and import the file again: orders already stored stay unchanged",
        )
    return {"created": created, "unchanged": unchanged, "rejected": rejected}


__all__ = ["run_import"]
