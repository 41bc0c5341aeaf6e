"""Small readers for Shopify JSON; every error names the JSON path of the offending field
(``line_items[2].price``, ``shipping_lines[0].discounted_price_set.presentment_money.amount``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from postpurchase.adapters.storefronts.json_fields import (
    Payload,
    child,
    currency,
    objects,
    quantity,
    text,
)
from postpurchase.adapters.tracking_sources.normalised import load_json
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, parse_amount
from postpurchase.domain.timestamps import parse_instant

# gid://shopify/Order/450789469 (an optional ?query is Shopify's, e.g. on InventoryItem ids)
_GID = re.compile(r"gid://shopify/([A-Za-z]+)/([^/?#\s]+)(?:\?.*)?")


def unwrap(payload: Payload, key: str) -> Mapping[str, Any]:
    """The resource object: a webhook body is the object itself, a REST response wraps it
    as ``{"order": {...}}``."""
    data = load_json(payload)
    if not isinstance(data, Mapping):
        raise InvalidInput("body must be a JSON object", field="body")
    inner = data.get(key)
    if len(data) == 1 and isinstance(inner, Mapping):
        return inner
    return data


def shopify_id(value: object, field: str, kind: str) -> str:
    """A REST id (``450789469``) or a GraphQL id (``gid://shopify/Order/450789469``) as the
    same string, so a backfill over GraphQL never duplicates what a webhook created."""
    if type(value) is int and value > 0:
        return str(value)
    if type(value) is str and value.strip():
        text = value.strip()
        gid = _GID.fullmatch(text)
        if gid is not None:
            if gid.group(1) != kind:
                raise InvalidInput(f"a {gid.group(1)} id where a {kind} id belongs", field=field)
            return gid.group(2)
        if text.startswith("gid:"):
            raise InvalidInput(f"{text[:60]!r} is not a Shopify {kind} id", field=field)
        return text
    raise InvalidInput("required id is missing", field=field)


def optional_id(value: object, field: str, kind: str) -> str | None:
    return None if value is None or value == "" else shopify_id(value, field, kind)


def timestamp(data: Mapping[str, Any], key: str, field: str) -> datetime | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    return parse_instant(value, field)  # with an offset, 1970 to 2100


def optional_quantity(value: object, field: str) -> int | None:
    return None if value is None else quantity(value, field)


def rate(value: object, field: str) -> Decimal:
    """A tax rate. Shopify sends it as a JSON number (0.13); it is a ratio, not money, so the
    shortest decimal text of the number is exact enough."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput("must be a number", field=field)
    return parse_amount(str(value) if isinstance(value, float) else value, field=field)


@dataclass(frozen=True, slots=True)
class Prices:
    """Reads amounts in the order currency in use: the shop's (plain ``price`` strings, or
    ``*_set.shop_money``) or, in presentment mode, the shopper's (``*_set.presentment_money``).
    Amounts are Decimal strings; a JSON number is refused (floats are inexact)."""

    currency: str
    presentment: bool = False

    @property
    def side(self) -> str:
        return "presentment_money" if self.presentment else "shop_money"

    def amount(
        self, data: Mapping[str, Any], key: str, field: str, *, set_first: bool = False
    ) -> Decimal | None:
        """``data[key]`` (or its ``_set``); None when neither is there. ``set_first`` reads
        the set before the plain value even in shop mode (refund lines, whose plain
        ``subtotal`` Shopify sends as a JSON number)."""
        if self.presentment or set_first or data.get(key) is None:
            money_set = data.get(f"{key}_set")
            if isinstance(money_set, Mapping) and isinstance(money_set.get(self.side), Mapping):
                where = f"{field}_set.{self.side}"
                money = money_set[self.side]
                code = money.get("currency_code")
                if code is not None and currency(code, f"{where}.currency_code") != self.currency:
                    raise InvalidInput(
                        f"{code} where the order is in {self.currency}",
                        field=f"{where}.currency_code",
                    )
                return parse_amount(money.get("amount"), field=f"{where}.amount")
            if self.presentment:
                return None
        value = data.get(key)
        return None if value is None else parse_amount(value, field=field)

    def required(self, data: Mapping[str, Any], key: str, field: str, **kw: bool) -> Money:
        amount = self.amount(data, key, field, **kw)
        if amount is None:
            missing = f"{field}_set" if self.presentment else field
            raise InvalidInput("amount is required", field=missing)
        return Money(amount, self.currency)

    def optional(self, data: Mapping[str, Any], key: str, field: str, **kw: bool) -> Money | None:
        amount = self.amount(data, key, field, **kw)
        return None if amount is None else Money(amount, self.currency)

    def zero(self) -> Money:
        return Money.zero(self.currency)


def line_sku(item: Mapping[str, Any]) -> str:
    """The SKU, or a stable stand-in for lines without one (same rule for order, refund and
    fulfillment lines, so they match)."""
    sku = item.get("sku")
    if type(sku) is str and sku.strip():
        return sku.strip()
    variant = item.get("variant_id")
    if variant not in (None, ""):
        if type(variant) is str and variant.startswith("gid:"):
            variant = variant.rsplit("/", 1)[-1]
        return f"variant-{variant}"
    line = item.get("id")
    if type(line) is str and line.startswith("gid:"):
        line = line.rsplit("/", 1)[-1]
    return f"line-{line}"


def address(data: Mapping[str, Any], field: str) -> Address:
    def part(key: str) -> str | None:
        return text(data, key, f"{field}.{key}")

    name = part("name")
    if name is None:
        joined = " ".join(p for p in (part("first_name"), part("last_name")) if p)
        name = joined or None
    try:
        return Address(
            country=part("country_code") or "",
            postal_code=part("zip"),
            region=part("province_code") or part("province"),
            city=part("city"),
            line1=part("address1"),
            line2=part("address2"),
            name=name,
            phone=part("phone"),
        )
    except InvalidInput as bad:
        key = {"country": "country_code"}.get(bad.field or "", bad.field)
        raise InvalidInput(bad.message, field=f"{field}.{key}") from None


def optional_address(data: Mapping[str, Any], key: str) -> Address | None:
    """An address that may be missing or country-less (POS orders): None then."""
    value = data.get(key)
    if not isinstance(value, Mapping) or not value.get("country_code"):
        return None
    return address(value, key)


def destination(order: Mapping[str, Any]) -> Address:
    """``shipping_address``; pickup orders without one fall back to the billing address,
    then the customer's default address."""
    for key in ("shipping_address", "billing_address"):
        found = optional_address(order, key)
        if found is not None:
            return found
    default = child(child(order, "customer"), "default_address")
    if default.get("country_code"):
        return address(default, "customer.default_address")
    shipping = order.get("shipping_address")
    if isinstance(shipping, Mapping):
        return address(shipping, "shipping_address")  # raises on its missing country
    raise InvalidInput("the order has no shipping address", field="shipping_address")


def pairs(data: Mapping[str, Any], key: str, field: str) -> tuple[tuple[str, str], ...]:
    """``[{"name": ..., "value": ...}]`` (note_attributes, line properties) as pairs; values
    Shopify stores as numbers or booleans are kept as their text, null as ""."""
    found: list[tuple[str, str]] = []
    for where, item in objects(data, key, field):
        name = item.get("name")
        if type(name) is not str:
            raise InvalidInput("must be a string", field=f"{where}.name")
        value = item.get("value")
        if isinstance(value, Mapping | list):
            raise InvalidInput("must be a string", field=f"{where}.value")
        if isinstance(value, bool):
            value = "true" if value else "false"
        found.append((name, "" if value is None else str(value)))
    return tuple(found)
