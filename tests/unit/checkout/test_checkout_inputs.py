"""What a storefront and a merchant may send: countries, postal codes, carts, methods,
origins and settings; each refusal names its field."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.domain.checkout.query import CheckoutQuery, parse_items, service_level
from postpurchase.domain.checkout.settings import (
    CheckoutSettings,
    normalise_origin,
    promise_confidence_of,
    settings_of,
)
from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE, MAX_CONFIDENCE, MIN_CONFIDENCE
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.order_details import ServiceLevel


def field_of(fn, *args, **kw) -> str | None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        fn(*args, **kw)
    return exc.value.field


def test_queries_are_checked_field_by_field() -> None:
    q = CheckoutQuery.parse(country="gb", postal_code="sw1a 1aa", method="UPS Next Day Air",
                            items="MUG-1:2, TEE-M:1,MUG-1")  # fmt: skip
    assert (q.country, q.postal_code, q.postal_checked) == ("GB", "SW1A 1AA", True)
    assert q.level is ServiceLevel.NEXT_DAY
    assert q.items == (("MUG-1", 3), ("TEE-M", 1)) and q.item_count == 4
    unchecked = CheckoutQuery.parse(country="KE", postal_code="00100", method="standard")
    assert unchecked.postal_checked is False
    parse = CheckoutQuery.parse
    assert field_of(parse, country="XX", postal_code=None, method="standard") == "country"
    assert field_of(parse, country="EU", postal_code=None, method="standard") == "country"
    assert field_of(parse, country="US", postal_code="ABCDE", method="standard") == "postal_code"
    assert field_of(parse, country="DE", postal_code="1011", method="standard") == "postal_code"
    assert field_of(parse, country="KE", postal_code="<script>", method="standard") == (
        "postal_code"
    )
    assert field_of(parse, country="US", postal_code=None, method="warp") == "method"
    assert field_of(parse, country="US", postal_code=None, method="standard",
                    weight_grams=0) == "weight"  # fmt: skip


@pytest.mark.parametrize("raw", ["", ",", "A:0", "A:1000", "A:x", "A B:1", ":3"])
def test_bad_carts_name_items(raw: str) -> None:
    assert field_of(parse_items, raw) == "items"


def test_methods_read_like_orders_read_them() -> None:
    assert service_level("express") is ServiceLevel.EXPRESS
    assert service_level("Free shipping") is ServiceLevel.STANDARD
    assert service_level("DHL Economy Select") is ServiceLevel.ECONOMY
    assert field_of(service_level, "Local pickup") == "method"


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://Shop.Example.com", "https://shop.example.com"),
        ("https://shop.example.com:443/", "https://shop.example.com"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("http://localhost:5173", "http://localhost:5173"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_origins_are_normalised_as_browsers_send_them(raw: str, origin: str) -> None:
    assert normalise_origin(raw) == origin


@pytest.mark.parametrize(
    "raw",
    ["http://shop.example.com", "shop.example.com", "https://shop.example.com/checkout",
     "https://user@shop.example.com", "https://", "ftp://shop.example.com", "https://a..b",
     "https://shop.example.com?x=1", "*"],
)  # fmt: skip
def test_bad_origins_are_refused(raw: str) -> None:
    assert field_of(normalise_origin, raw) == "storefront_origins"


def test_settings_update_validate_and_round_trip() -> None:
    s = CheckoutSettings().updated({
        "cutoff": "15:30", "handling_days": 2, "ship_from_country": "de",
        "ship_from_postal_code": "10115", "storefront_origins": ["https://a.example"],
    })  # fmt: skip
    assert s.cutoff == time(15, 30) and s.ship_from_country == "DE"
    assert settings_of({"checkout": s.as_dict()}) == s
    assert field_of(s.updated, {"cutoff": "25:00"}) == "cutoff"
    assert field_of(s.updated, {"cutoff": "2pm"}) == "cutoff"
    assert field_of(s.updated, {"handling_days": -1}) == "handling_days"
    assert field_of(s.updated, {"handling_days": 31}) == "handling_days"
    assert field_of(s.updated, {"handling_days": True}) == "handling_days"
    assert field_of(s.updated, {"ship_from_postal_code": "ABC"}) == "ship_from_postal_code"
    assert field_of(s.updated, {"ship_from_country": "ZZ"}) == "ship_from_country"
    assert field_of(s.updated, {"storefront_origins": "https://a.example"}) == (
        "storefront_origins"
    )
    assert field_of(s.updated, {"colour": "red"}) == "colour"
    # Clearing the country clears its postal code; None resets to the default.
    cleared = s.updated({"ship_from_country": None, "cutoff": None})
    assert cleared.ship_from_country is None and cleared.ship_from_postal_code is None
    assert cleared.cutoff == time(14, 0)
    # Whatever is stored, checkout keeps working on defaults for what it cannot read.
    assert settings_of({"checkout": {"cutoff": "nonsense", "handling_days": 3}}) == (
        CheckoutSettings(handling_days=3)
    )


@settings(deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.booleans() | st.text())
def test_the_promise_confidence_is_a_share_from_80_to_99_percent(value: object) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and MIN_CONFIDENCE <= value <= MAX_CONFIDENCE
    )
    if ok:
        s = CheckoutSettings().updated({"promise_confidence": value})
        assert s.promise_confidence == float(value)  # type: ignore[arg-type]
        assert settings_of({"checkout": s.as_dict()}) == s
        assert promise_confidence_of({"checkout": s.as_dict()}) == s.promise_confidence
    else:
        assert field_of(CheckoutSettings().updated, {"promise_confidence": value}) == (
            "promise_confidence"
        )
        # Something unreadable in storage falls back to the default instead of failing.
        assert promise_confidence_of({"checkout": {"promise_confidence": value}}) == (
            DEFAULT_CONFIDENCE
        )


def test_the_default_promise_confidence_and_its_reset() -> None:
    assert CheckoutSettings().promise_confidence == DEFAULT_CONFIDENCE
    assert promise_confidence_of({}) == DEFAULT_CONFIDENCE
    s = CheckoutSettings().updated({"promise_confidence": 0.97})
    assert s.updated({"promise_confidence": None}).promise_confidence == DEFAULT_CONFIDENCE
    assert s.updated({"handling_days": 2}).promise_confidence == 0.97  # others untouched
