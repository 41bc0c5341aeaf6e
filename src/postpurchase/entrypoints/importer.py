"""Bulk order import from CSV with a progress bar and a line-numbered error report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from postpurchase.adapters.storefronts.csv_orders import count_rows, read_orders
from postpurchase.bootstrap import Platform
from postpurchase.domain.errors import DomainError


def run_import(platform: Platform, merchant_id: str, path: Path, out: Console) -> dict[str, Any]:
    """Valid orders are stored (each in its own transaction, so one bad order never loses the
    good ones); re-importing a file changes nothing because orders are keyed by external id."""
    created = unchanged = rejected = 0
    total = count_rows(path)
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
                    out.print(f"line {line}: {item}", markup=False, highlight=False, soft_wrap=True)
                    continue
                try:
                    result = platform.bus().handle(item)
                except DomainError as exc:
                    rejected += 1
                    where = f" ({exc.field})" if exc.field else ""
                    out.print(
                        f"line {line}: {exc.message}{where}",
                        markup=False,
                        highlight=False,
                        soft_wrap=True,
                    )
                    continue
                if result.created:
                    created += 1
                else:
                    unchanged += 1
        except DomainError as exc:  # the file as a whole is unusable
            out.print(f"error: {exc.message}", markup=False, highlight=False)
            return {"created": 0, "unchanged": 0, "rejected": 0, "error": exc.message}
        progress.update(task, completed=total)
    return {"created": created, "unchanged": unchanged, "rejected": rejected}


__all__ = ["run_import"]
