"""What is refused before a carrier is asked for a label: parcels over the carrier's limits,
customs borders, idempotency keys, and what makes two purchases the same."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import ContentType, Customs, CustomsItem, Parcel
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.labels import (
    PARCEL_LIMITS,
    LabelPurchase,
    check_parcels,
    needs_customs,
)
from postpurchase.domain.money import Money

ORIGIN = Address("US", "43215", "OH", "Columbus", "1 Dock St", name="Acme")


@pytest.mark.parametrize("carrier", sorted(PARCEL_LIMITS))
def test_a_parcel_one_gram_over_the_limit_is_refused_naming_it(carrier: str) -> None:
    limit = PARCEL_LIMITS[carrier].max_weight_grams
    check_parcels(carrier, (Parcel(limit),))
    with pytest.raises(InvalidInput) as err:
        check_parcels(carrier, (Parcel(1000), Parcel(limit + 1)))
    assert err.value.field == "parcels[1].weight_grams"
    assert str(limit) in err.value.message


def test_length_and_girth() -> None:
    with pytest.raises(InvalidInput) as err:
        check_parcels("royal_mail", (Parcel(1000, Decimal(62), Decimal(10), Decimal(10)),))
    assert err.value.field == "parcels[0].length_cm"
    with pytest.raises(InvalidInput) as girth:  # 200 + 2 × (60 + 60) = 440 > 400
        check_parcels("ups", (Parcel(1000, Decimal(200), Decimal(60), Decimal(60)),))
    assert "girth" in girth.value.message
    check_parcels("ups", (Parcel(1000, Decimal(100), Decimal(50), Decimal(50)),))


@pytest.mark.parametrize(
    ("origin", "destination", "needed"),
    [("US", "US", False), ("US", "CA", True), ("DE", "FR", False), ("GB", "FR", True),
     ("FR", "GB", True), ("DE", "CH", True)],
)  # fmt: skip
def test_customs_borders(origin: str, destination: str, needed: bool) -> None:
    assert needs_customs(Address(origin), Address(destination)) is needed


def customs(value: str = "12.50") -> Customs:
    return Customs(
        ContentType.MERCHANDISE,
        (CustomsItem("Ceramic mug", 2, Money.of(value, "USD"), 400, "6912.00", "US"),),
    )


def test_customs_totals_and_checks() -> None:
    assert customs().total == Money.of("25.00", "USD")
    with pytest.raises(InvalidInput) as err:
        CustomsItem("Mug", 1, Money.of("1", "USD"), 10, hs_code="12")
    assert err.value.field == "customs.items.hs_code"
    with pytest.raises(InvalidInput):
        Customs(ContentType.GIFT, ())


def purchase(**kw: object) -> LabelPurchase:
    base: dict[str, object] = {
        "order_id": "o1", "carrier": "ups", "service": "ground", "origin": ORIGIN,
        "parcels": (Parcel(1200),), "idempotency_key": "k-1",
    }  # fmt: skip
    return LabelPurchase(**{**base, **kw})  # type: ignore[arg-type]


@given(st.text(min_size=0, max_size=140))
def test_keys_are_printable_ascii_without_spaces(key: str) -> None:
    ok = 0 < len(key) <= 128 and key.isascii() and not any(c.isspace() for c in key)
    if ok:
        assert purchase(idempotency_key=key).idempotency_key == key
    else:
        with pytest.raises(InvalidInput):
            purchase(idempotency_key=key)


def test_the_fingerprint_tells_purchases_apart() -> None:
    assert purchase().fingerprint() == purchase().fingerprint()
    assert purchase().fingerprint() != purchase(service="express").fingerprint()
    assert purchase().fingerprint() != purchase(parcels=(Parcel(1300),)).fingerprint()
    assert (
        purchase(customs=customs()).fingerprint() != purchase(customs=customs("13")).fingerprint()
    )
