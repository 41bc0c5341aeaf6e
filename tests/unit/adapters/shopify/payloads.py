"""The recorded Shopify payloads (tests/fixtures/payloads) and the money helpers the Shopify
translation tests share, so each test module reads the same bytes the same way."""

from decimal import Decimal
from pathlib import Path

import orjson

from postpurchase.domain.money import Money

PAYLOADS = Path(__file__).parents[3] / "fixtures" / "payloads"
MERCHANT = "m_north_wind"
REFERENCE = "shopify_order_reference_discount.json"  # Shopify's documented order, 9% off
MULTI = "shopify_order_multicurrency.json"  # USD shop, EUR shopper, gift card, digital line


def raw(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def order_data() -> dict:
    return orjson.loads(raw("shopify_order.json"))


def fulfillment_data() -> dict:
    return orjson.loads(raw("shopify_fulfillment.json"))


def data(name: str) -> dict:
    return orjson.loads(raw(name))


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")
