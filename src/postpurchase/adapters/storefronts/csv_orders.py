"""CSV order import (``postpurchase import orders FILE.csv``).

One row per order line; the rows of one order share its ``external_id`` and must be next to
each other (as store exports write them). The first row is the header. Column names are
matched case-insensitively, surrounding spaces ignored; unknown columns are refused so a
typo cannot silently drop data. The file is UTF-8 (a BOM is accepted), comma-separated,
quoted as RFC 4180.

=================  ===  =====  ==========================================================
column             req  level  meaning
=================  ===  =====  ==========================================================
external_id        yes  order  the store's order id; re-importing the same id is a no-op
number                  order  the order number shown to the shopper (default: external_id)
placed_at          yes  order  ISO 8601 with offset, e.g. ``2026-11-17T09:03:55-05:00``
email                   order  shopper e-mail
phone                   order  shopper phone, E.164 preferred
customer_name           order  shopper name
locale                  order  e.g. ``en``, ``fr-CA`` (default ``en``)
currency           yes  order  ISO 4217 code, e.g. ``USD``; prices are in this currency
sku                yes  line   stock keeping unit
name               yes  line   product name as the shopper saw it
quantity           yes  line   positive integer
unit_price         yes  line   decimal with a dot, no currency sign or thousands separator
weight_grams            line   non-negative integer
shipping_fee            order  decimal, what the shopper paid for shipping (default 0)
ship_country       yes  order  ISO 3166-1 alpha-2, e.g. ``US``
ship_postal_code        order  postal / ZIP code
ship_region             order  state / province code, e.g. ``KY``
ship_city               order  city
ship_line1              order  street address
ship_name               order  recipient name
promise_date            order  promised delivery date ``YYYY-MM-DD`` (latest date)
promise_earliest        order  start of a promised window ``YYYY-MM-DD`` (needs promise_date)
=================  ===  =====  ==========================================================

Order-level columns may be filled on every row of an order or only on its first row; a
value that differs from an earlier row of the same order is an error.

:func:`read_orders` yields one result per order, in file order: ``(line, PlaceOrder)`` for
a valid order (``line`` = its first line) or ``(line, message)`` for a rejected one
(``line`` = the first bad line; the message names the column and the order's lines). One
bad row rejects its whole order; other orders are unaffected. Problems with the file itself
(empty, header missing a required column, unknown column) raise ``InvalidInput`` before
anything is yielded. Memory stays bounded: one order's rows at a time (at most
:data:`MAX_ROWS_PER_ORDER`) plus the set of order ids already seen. :func:`count_rows` gives
the total for a progress bar; the ``progress`` callback reports data rows consumed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Final, TextIO

from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, parse_amount, parse_currency
from postpurchase.domain.orders import OrderLineInput, Promise

SOURCE: Final = "csv"

COLUMNS: Final = (
    "external_id",
    "number",
    "placed_at",
    "email",
    "phone",
    "customer_name",
    "locale",
    "currency",
    "sku",
    "name",
    "quantity",
    "unit_price",
    "weight_grams",
    "shipping_fee",
    "ship_country",
    "ship_postal_code",
    "ship_region",
    "ship_city",
    "ship_line1",
    "ship_name",
    "promise_date",
    "promise_earliest",
)
REQUIRED: Final = frozenset(
    {
        "external_id",
        "placed_at",
        "currency",
        "sku",
        "name",
        "quantity",
        "unit_price",
        "ship_country",
    }
)
LINE_LEVEL: Final = frozenset({"sku", "name", "quantity", "unit_price", "weight_grams"})
ORDER_LEVEL: Final = tuple(c for c in COLUMNS if c not in LINE_LEVEL and c != "external_id")

MAX_ROWS_PER_ORDER: Final = 1000
MAX_CELL: Final = 1000

_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")

Source = str | PathLike[str] | TextIO | Iterable[str]
Result = tuple[int, PlaceOrder | str]


class _Bad(Exception):
    def __init__(self, line: int, column: str | None, message: str) -> None:
        self.line = line
        self.column = column
        self.message = message

    def describe(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class _Group:
    external_id: str
    first_line: int
    last_line: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    overflow: bool = False

    def add(self, line: int, row: list[str]) -> None:
        self.last_line = line
        if len(self.rows) >= MAX_ROWS_PER_ORDER:
            self.overflow = True
        else:
            self.rows.append((line, row))

    def lines(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


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


def _header(row: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    known = set(COLUMNS)
    for i, raw in enumerate(row):
        name = raw.strip().lower()
        if not name:
            raise InvalidInput(f"column {i + 1} of the header has no name", field="header")
        if name not in known:
            raise InvalidInput(
                f"unknown column {raw.strip()!r}; expected columns: {', '.join(COLUMNS)}",
                field=name,
            )
        if name in index:
            raise InvalidInput(f"column {name!r} appears twice in the header", field=name)
        index[name] = i
    missing = [c for c in COLUMNS if c in REQUIRED and c not in index]
    if missing:
        raise InvalidInput(f"required column(s) missing: {', '.join(missing)}", field=missing[0])
    return index


class _Row:
    """Typed access to one row's cells; every error names its line and column."""

    __slots__ = ("cells", "index", "line")

    def __init__(self, line: int, cells: list[str], index: dict[str, int]) -> None:
        self.line = line
        self.cells = cells
        self.index = index

    def raw(self, column: str) -> str:
        i = self.index.get(column)
        if i is None or i >= len(self.cells):
            return ""
        value = self.cells[i].strip()
        if len(value) > MAX_CELL:
            raise _Bad(self.line, column, f"longer than {MAX_CELL} characters")
        return value

    def opt(self, column: str) -> str | None:
        return self.raw(column) or None

    def req(self, column: str) -> str:
        value = self.raw(column)
        if not value:
            raise _Bad(self.line, column, "required")
        return value

    def bad(self, column: str, message: str) -> _Bad:
        return _Bad(self.line, column, message)


def _int(row: _Row, column: str, *, minimum: int) -> int | None:
    value = row.raw(column)
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise row.bad(column, f"{value!r} is not a whole number")
    number = int(value)
    if number < minimum:
        raise row.bad(column, f"must be at least {minimum}")
    return number


def _decimal(row: _Row, column: str) -> Decimal | None:
    value = row.raw(column)
    if not value:
        return None
    try:
        amount = parse_amount(value, field=column)
    except InvalidInput:
        raise row.bad(column, f"{value!r} is not a decimal amount (use 1234.50)") from None
    if amount < 0:
        raise row.bad(column, "must not be negative")
    return amount


def _date(row: _Row, column: str) -> date | None:
    value = row.raw(column)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise row.bad(column, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _placed_at(row: _Row) -> datetime:
    value = row.req("placed_at")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise row.bad("placed_at", f"{value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise row.bad("placed_at", "needs a UTC offset, e.g. 2026-11-17T09:03:55-05:00")
    return parsed.astimezone(UTC)


def _order_values(rows: list[_Row]) -> dict[str, tuple[str, int]]:
    """Order-level columns: the first non-blank value of each; a later different one fails."""
    values: dict[str, tuple[str, int]] = {}
    for row in rows:
        for column in ORDER_LEVEL:
            value = row.raw(column)
            if not value:
                continue
            first = values.get(column)
            if first is None:
                values[column] = (value, row.line)
            elif first[0] != value:
                raise row.bad(
                    column, f"{value!r} differs from {first[0]!r} on line {first[1]} of this order"
                )
    return values


def _build(group: _Group, index: dict[str, int], merchant_id: str, default_locale: str) -> Result:
    rows = [_Row(line, cells, index) for line, cells in group.rows]
    head = rows[0]
    try:
        if group.overflow:
            raise _Bad(
                group.first_line, "external_id", f"more than {MAX_ROWS_PER_ORDER} rows in one order"
            )
        for row in rows:
            if len(row.cells) > len(index):
                raise _Bad(row.line, None, f"{len(row.cells)} fields, the header has {len(index)}")
        values = _order_values(rows)

        def order_row(column: str) -> _Row:
            line = values[column][1] if column in values else head.line
            return next(r for r in rows if r.line == line)

        currency_row = order_row("currency")
        try:
            currency = parse_currency(currency_row.req("currency"))
        except InvalidInput:
            raise currency_row.bad(
                "currency", f"{currency_row.raw('currency')!r} is not an ISO 4217 code"
            ) from None
        placed_at = _placed_at(order_row("placed_at"))

        lines: list[OrderLineInput] = []
        for row in rows:
            sku = row.req("sku")
            name = row.req("name")
            if not row.raw("quantity"):
                raise row.bad("quantity", "required")
            quantity = _int(row, "quantity", minimum=1)
            if not row.raw("unit_price"):
                raise row.bad("unit_price", "required")
            price = _decimal(row, "unit_price")
            assert quantity is not None and price is not None
            lines.append(
                OrderLineInput(
                    sku=sku,
                    name=name,
                    quantity=quantity,
                    unit_price=Money(price, currency),
                    weight_grams=_int(row, "weight_grams", minimum=0),
                )
            )

        fee_row = order_row("shipping_fee")
        fee = _decimal(fee_row, "shipping_fee") or Decimal(0)

        email_row = order_row("email")
        email = email_row.opt("email")
        if email is not None and ("@" not in email or " " in email):
            raise email_row.bad("email", f"{email!r} is not an e-mail address")

        locale_row = order_row("locale")
        locale = locale_row.opt("locale") or default_locale
        if not _LOCALE.match(locale):
            raise locale_row.bad("locale", f"{locale!r} is not a locale such as en or fr-CA")

        country_row = order_row("ship_country")
        try:
            address = Address(
                country=country_row.req("ship_country"),
                postal_code=order_row("ship_postal_code").opt("ship_postal_code"),
                region=order_row("ship_region").opt("ship_region"),
                city=order_row("ship_city").opt("ship_city"),
                line1=order_row("ship_line1").opt("ship_line1"),
                name=order_row("ship_name").opt("ship_name"),
            )
        except InvalidInput as bad:
            raise country_row.bad("ship_country", bad.message) from None

        latest_row = order_row("promise_date")
        earliest_row = order_row("promise_earliest")
        latest = _date(latest_row, "promise_date")
        earliest = _date(earliest_row, "promise_earliest")
        promise: Promise | None = None
        if earliest is not None and latest is None:
            raise earliest_row.bad("promise_earliest", "needs promise_date (the end of the window)")
        if latest is not None:
            try:
                promise = Promise(latest=latest, earliest=earliest)
            except InvalidInput as bad:
                raise earliest_row.bad("promise_earliest", bad.message) from None

        command = PlaceOrder(
            merchant_id=merchant_id,
            external_id=group.external_id,
            number=order_row("number").opt("number") or group.external_id,
            email=email,
            phone=order_row("phone").opt("phone"),
            customer_name=order_row("customer_name").opt("customer_name"),
            locale=locale,
            currency=currency,
            lines=tuple(lines),
            shipping_address=address,
            shipping_fee=Money(fee, currency),
            placed_at=placed_at,
            promise=promise,
            source=SOURCE,
        )
    except _Bad as bad:
        label = f"order {group.external_id!r}" if group.external_id else "row"
        return bad.line, f"{label} ({group.lines()}) rejected: {bad.describe()}"
    except InvalidInput as bad:  # a domain rule we did not pre-check
        label = f"order {group.external_id!r}" if group.external_id else "row"
        column = f", column {bad.field}" if bad.field else ""
        return group.first_line, (
            f"{label} ({group.lines()}) rejected: line {group.first_line}{column}: {bad.message}"
        )
    return group.first_line, command


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
        index = _header(header)
        id_column = index["external_id"]
        seen: dict[str, str] = {}  # external_id -> "lines a-b" of its finished group
        group: _Group | None = None
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
            group = _Group(external_id, start, start)
            group.add(start, cells)
        if group is not None:
            yield _finish(group, index, merchant_id, default_locale, seen)
            if progress is not None:
                progress(rows_done)


def _finish(
    group: _Group,
    index: dict[str, int],
    merchant_id: str,
    default_locale: str,
    seen: dict[str, str],
) -> Result:
    if not group.external_id:
        return group.first_line, f"row (line {group.first_line}) rejected: " + _Bad(
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
    return _build(group, index, merchant_id, default_locale)
