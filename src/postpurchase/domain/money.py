"""Money as an exact Decimal amount with its ISO 4217 currency.

Floats never touch money: rounding errors in refunds are real money lost or owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from postpurchase.domain.errors import CurrencyMismatch, InvalidInput

# Minor-unit exponents that differ from the usual 2 (ISO 4217).
_MINOR_UNITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency``."""
    return _MINOR_UNITS.get(currency, 2)


def parse_currency(value: str, *, field: str = "currency") -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise InvalidInput(f"{value!r} is not an ISO 4217 currency code", field=field)
    return code


def parse_amount(value: object, *, field: str = "amount") -> Decimal:
    """Exact Decimal from a str/int/Decimal; floats are refused because they are inexact."""
    if isinstance(value, (bool, float)):
        raise InvalidInput("money amounts must be given as strings or integers", field=field)
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{value!r} is not a decimal amount", field=field) from None
    if not amount.is_finite():
        raise InvalidInput(f"{value!r} is not a finite amount", field=field)
    return amount


# Currency codes already validated, exactly as parse_currency returns them.
_CANONICAL: set[str] = set()


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        # The common case, a finite Decimal and a code already seen in its canonical form,
        # is what parse_amount / parse_currency would return unchanged: skipped, because
        # decoding a batch of orders builds tens of Money per order (issue 17).
        amount = self.amount
        if type(amount) is not Decimal or not amount.is_finite():
            object.__setattr__(self, "amount", parse_amount(amount))
        if type(self.currency) is not str or self.currency not in _CANONICAL:
            code = parse_currency(self.currency)
            object.__setattr__(self, "currency", code)
            if len(_CANONICAL) < 1024:  # ISO 4217 has ~180; bounded whatever comes in
                _CANONICAL.add(code)

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        return cls(parse_amount(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("money can only be multiplied by an int or a Decimal")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def rounded(self) -> Money:
        """Rounded to the currency's minor unit, banker's rounding (no drift over many rows)."""
        quantum = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(quantum, rounding=ROUND_HALF_EVEN), self.currency)

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    """Sum that is well defined for an empty list."""
    result = Money.zero(currency)
    for m in amounts:
        result = result + m
    return result
