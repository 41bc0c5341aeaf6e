"""One CSV row's cells, read as typed values; every error names its line and column."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from postpurchase.adapters.storefronts.csv_orders.columns import MAX_CELL
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.timestamps import instant_utc

_AMOUNT: Final = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
MAX_INTEGER_DIGITS: Final = 12
MAX_DECIMALS: Final = 6
_TRUE: Final = frozenset({"true", "yes", "1"})
_FALSE: Final = frozenset({"false", "no", "0"})


class Bad(Exception):
    """A cell (or row) that rejects its order."""

    def __init__(self, line: int, column: str | None, message: str) -> None:
        self.line = line
        self.column = column
        self.message = message

    def describe(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


class Row:
    """Typed access to one row's cells (blank cells read as None)."""

    __slots__ = ("cells", "index", "line")

    def __init__(self, line: int, cells: list[str], index: dict[str, int]) -> None:
        self.line = line
        self.cells = cells
        self.index = index

    def bad(self, column: str, message: str) -> Bad:
        return Bad(self.line, column, message)

    def raw(self, column: str) -> str:
        i = self.index.get(column)
        if i is None or i >= len(self.cells):
            return ""
        value = self.cells[i].strip()
        if len(value) > MAX_CELL:
            raise self.bad(column, f"longer than {MAX_CELL} characters")
        return value

    def opt(self, column: str, *, max_length: int | None = None) -> str | None:
        value = self.raw(column)
        if max_length is not None and len(value) > max_length:
            raise self.bad(column, f"longer than {max_length} characters")
        return value or None

    def req(self, column: str) -> str:
        value = self.raw(column)
        if not value:
            raise self.bad(column, "required")
        return value

    def integer(self, column: str, *, minimum: int, required: bool = False) -> int | None:
        value = self.req(column) if required else self.raw(column)
        if not value:
            return None
        if not value.isascii() or not value.isdigit():
            raise self.bad(column, f"{value!r} is not a whole number")
        number = int(value)
        if number < minimum:
            raise self.bad(column, f"must be at least {minimum}")
        return number

    def amount(self, column: str, *, required: bool = False) -> Decimal | None:
        """A non-negative decimal with a dot: ``1234.50``. Comma decimal separators,
        thousands separators and currency signs are refused rather than guessed at."""
        value = self.req(column) if required else self.raw(column)
        if not value:
            return None
        if not _AMOUNT.match(value):
            raise self.bad(column, f"{value!r} is not a decimal amount ({_hint(value)})")
        if value.startswith("-"):
            raise self.bad(column, "must not be negative")
        whole, _, fraction = value.partition(".")
        if len(fraction) > MAX_DECIMALS:
            raise self.bad(column, f"more than {MAX_DECIMALS} decimal places")
        if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise self.bad(column, f"more than {MAX_INTEGER_DIGITS} digits before the dot")
        return Decimal(value)

    def boolean(self, column: str) -> bool | None:
        value = self.raw(column)
        if not value:
            return None
        word = value.lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise self.bad(column, f"{value!r} is not true or false (use true/false, yes/no, 1/0)")

    def day(self, column: str) -> date | None:
        value = self.raw(column)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.bad(column, f"{value!r} is not a date (YYYY-MM-DD)") from None

    def instant(self, column: str) -> datetime:
        value = self.req(column)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self.bad(column, f"{value!r} is not an ISO 8601 timestamp") from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise self.bad(column, "needs a UTC offset, e.g. 2026-11-17T09:03:55-05:00")
        try:
            return instant_utc(parsed, column)  # 1970 to 2100, as UTC
        except InvalidInput as bad:
            raise self.bad(column, bad.message) from None


def _hint(value: str) -> str:
    if "," in value:
        return "use 1234.50: a dot for decimals, no comma, no thousands separator"
    if any(unicodedata.category(c) == "Sc" for c in value) or any(c.isalpha() for c in value):
        return "use 1234.50: a number only, no currency sign or code"
    return "use 1234.50"
