"""Streaming a CSV file into orders: rows grouped by ``external_id``, one order at a time."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import TextIO

from postpurchase.adapters.storefronts.csv_orders.build import Group, Result, build
from postpurchase.adapters.storefronts.csv_orders.cells import Bad
from postpurchase.adapters.storefronts.csv_orders.columns import parse_header
from postpurchase.domain.errors import InvalidInput

Source = str | PathLike[str] | TextIO | Iterable[str]


@contextmanager
def _opened(source: Source) -> Iterator[Iterable[str]]:
    """A path is opened (and closed) here; an open file or lines of text are the caller's."""
    if isinstance(source, str | PathLike):
        with Path(source).open(encoding="utf-8-sig", newline="") as handle:
            yield handle
    else:
        yield source


def count_rows(source: str | PathLike[str]) -> int:
    """Data rows in the file (header and blank rows excluded), for a progress bar's total."""
    with Path(source).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        if next(reader, None) is None:
            return 0
        return sum(1 for row in reader if any(cell.strip() for cell in row))


def read_orders(
    source: Source,
    *,
    merchant_id: str,
    default_locale: str = "en",
    progress: Callable[[int], None] | None = None,
) -> Iterator[Result]:
    """Stream ``(line, PlaceOrder)`` / ``(line, error message)``, one per order, in file order.

    ``source`` is a path, an open text file (opened with ``newline=""``) or lines of text.
    ``progress`` is called with the number of data rows consumed so far after each order.
    """
    with _opened(source) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise InvalidInput("the file is empty: expected a header row", field="header")
        index = parse_header(header)
        id_column = index["external_id"]
        seen: dict[str, str] = {}  # external_id -> "lines a-b" of its finished group
        group: Group | None = None
        rows_done = 0
        previous_end = reader.line_num
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            rows_done += 1
            external_id = cells[id_column].strip() if id_column < len(cells) else ""
            if group is not None and external_id and external_id == group.external_id:
                group.add(start, cells)
                continue
            if group is not None:
                yield _finish(group, index, merchant_id, default_locale, seen)
                if progress is not None:
                    progress(rows_done - 1)
            group = Group(external_id, start, start)
            group.add(start, cells)
        if group is not None:
            yield _finish(group, index, merchant_id, default_locale, seen)
            if progress is not None:
                progress(rows_done)


def _finish(
    group: Group,
    index: dict[str, int],
    merchant_id: str,
    default_locale: str,
    seen: dict[str, str],
) -> Result:
    if not group.external_id:
        return group.first_line, f"row (line {group.first_line}) rejected: " + Bad(
            group.first_line, "external_id", "required"
        ).describe()
    earlier = seen.get(group.external_id)
    if earlier is not None:
        return group.first_line, (
            f"order {group.external_id!r} ({group.lines()}) rejected: line {group.first_line}, "
            f"column external_id: this order already appeared on {earlier}; "
            "keep all rows of an order together"
        )
    seen[group.external_id] = group.lines()
    return build(group, index, merchant_id, default_locale)
