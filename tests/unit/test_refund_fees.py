"""A fee kept out of a store refund (a return's restocking and return fees): taken from the
last amounts first, never below zero, the rest paid; the estimate before the store is asked
says the same; a request without a fee keeps the fingerprint it always had."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.storefronts import RefundRequest, RefundRequestLine, less_fee

cents = st.decimals(min_value=0, max_value=10_000, places=2)


@given(st.lists(cents, min_size=1, max_size=6), cents)
def test_the_fee_comes_off_the_total_and_no_amount_goes_negative(
    amounts: list[Decimal], fee: Decimal
) -> None:
    paid = less_fee(amounts, fee)
    assert len(paid) == len(amounts)
    assert all(Decimal(0) <= p <= a for p, a in zip(paid, amounts, strict=True))
    assert sum(paid) == max(sum(amounts) - fee, Decimal(0))


def test_the_last_amount_gives_first() -> None:
    assert less_fee([Decimal("40"), Decimal("16.45")], Decimal("20")) == [
        Decimal("36.45"), Decimal("0")
    ]  # fmt: skip


def request(fee: Money | None = None, currency: str = "USD") -> RefundRequest:
    return RefundRequest("5271", currency, (RefundRequestLine("315", 1),), note="Return R-1",
                         idempotency_key="return-r1", fee=fee)  # fmt: skip


def test_a_fee_changes_the_fingerprint_and_none_keeps_the_old_one() -> None:
    assert request().fingerprint() == request(Money.zero("USD")).fingerprint()
    assert request().fingerprint() != request(Money.of("5.00", "USD")).fingerprint()


def test_a_fee_in_another_currency_or_negative_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as other:
        request(Money.of("5.00", "EUR"))
    assert other.value.field == "fee"
    with pytest.raises(InvalidInput) as negative:
        request(Money.of("-1.00", "USD"))
    assert negative.value.field == "fee"
