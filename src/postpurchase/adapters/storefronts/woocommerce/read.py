"""Readers for WooCommerce REST v3 JSON. Every error names the JSON path of its field
(``line_items[1].total``, ``shipping.country``).

The generic readers (strings, flags, arrays of objects, ISO 4217 codes) are shared with
Shopify's (``storefronts.json_fields``); what differs is here: WooCommerce ids are
integers, its ``*_gmt`` times carry no offset (they are UTC, as their name says), and its
amounts are decimal strings, with an empty string for "none".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from postpurchase.adapters.storefronts.json_fields import (
    Payload,
    array,
    child,
    currency,
    flag,
    objects,
    quantity,
    text,
)
from postpurchase.adapters.tracking_sources.common import load_json
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money, minor_units, parse_amount
from postpurchase.domain.timestamps import parse_instant

__all__ = [
    "Payload",
    "array",
    "body_object",
    "child",
    "currency",
    "flag",
    "gmt",
    "objects",
    "quantity",
    "text",
    "woo_id",
]


def body_object(payload: Payload) -> Mapping[str, Any]:
    data = load_json(payload)
    if not isinstance(data, Mapping):
        raise InvalidInput("body must be a JSON object", field="body")
    return data


def woo_id(value: object, field: str) -> str:
    """A WooCommerce id (a positive integer; a numeric string is accepted) as text."""
    if type(value) is int and value > 0:
        return str(value)
    if type(value) is str and value.strip().isdigit() and int(value) > 0:
        return str(int(value))
    raise InvalidInput("must be a positive integer id", field=field)


def optional_woo_id(value: object, field: str) -> str | None:
    """None for absent, 0 (WooCommerce's "none", e.g. ``variation_id: 0``) or blank."""
    if value in (None, 0, "", "0"):
        return None
    return woo_id(value, field)


def gmt(data: Mapping[str, Any], key: str, field: str | None = None) -> datetime | None:
    """A ``*_gmt`` time (``2026-11-28T14:05:09``, no offset: UTC by definition)."""
    value = data.get(key)
    if value is None or value == "":
        return None
    return parse_instant(value, field or key, naive_as_utc=True)


class Amounts:
    """Amounts of one order in its currency: decimal strings (integers accepted); a JSON
    float is refused (floats are inexact), "" and null are absent."""

    def __init__(self, code: str) -> None:
        self.currency = code

    def optional(self, data: Mapping[str, Any], key: str, field: str) -> Money | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        return Money(parse_amount(value, field=field), self.currency)

    def get(self, data: Mapping[str, Any], key: str, field: str) -> Money:
        """The amount, or zero when the payload leaves it out."""
        return self.optional(data, key, field) or self.zero()

    def required(self, data: Mapping[str, Any], key: str, field: str) -> Money:
        found = self.optional(data, key, field)
        if found is None:
            raise InvalidInput("amount is required", field=field)
        return found

    def zero(self) -> Money:
        return Money.zero(self.currency)

    def unit(self, line_total: Money, count: int) -> Money:
        """One unit's price from a line's amount: exact when it divides, else rounded up to
        the currency's minor unit (the caller books the difference as the line's discount,
        so the line still adds up to what the store charged)."""
        exact = line_total.amount / count
        quantum = Decimal(1).scaleb(-minor_units(self.currency))
        if exact == exact.quantize(quantum):
            return Money(exact.quantize(quantum), self.currency)
        return Money(exact.quantize(quantum, rounding=ROUND_CEILING), self.currency)


def address(data: Mapping[str, Any], field: str) -> Address | None:
    """A ``billing`` or ``shipping`` object; None when it has no country (a store that
    does not ship, a POS order)."""

    def part(key: str) -> str | None:
        return text(data, key, f"{field}.{key}")

    country = part("country")
    if country is None:
        return None
    name = " ".join(p for p in (part("first_name"), part("last_name")) if p) or part("company")
    line2 = part("address_2")
    try:
        return Address(
            country=country,
            postal_code=part("postcode"),
            region=part("state"),
            city=part("city"),
            line1=part("address_1"),
            line2=line2,
            name=name,
            phone=part("phone"),
        )
    except InvalidInput as bad:
        raise InvalidInput(bad.message, field=f"{field}.{bad.field or 'country'}") from None


def child_at(data: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """The ``meta_data`` entry at ``where`` (``...meta_data[3]``)."""
    index = int(where.rsplit("[", 1)[1].rstrip("]"))
    entry = data["meta_data"][index]
    return entry if isinstance(entry, Mapping) else {}


def meta(data: Mapping[str, Any], field: str) -> list[tuple[str, str, Any]]:
    """``meta_data`` as (path, key, value); entries without a string key are skipped (a
    plugin's business, not ours)."""
    found: list[tuple[str, str, Any]] = []
    for where, entry in objects(data, "meta_data", f"{field}meta_data" if field else "meta_data"):
        key = entry.get("key")
        if type(key) is str and key:
            found.append((where, key, entry.get("value")))
    return found


def meta_value(data: Mapping[str, Any], key: str) -> Any:
    for _, found, value in meta(data, ""):
        if found == key:
            return value
    return None


def public_pairs(data: Mapping[str, Any], field: str) -> tuple[tuple[str, str], ...]:
    """The meta entries a shopper or the merchant sees (keys not starting with ``_``, the
    WordPress convention for hidden ones) whose values are plain text or numbers."""
    pairs: list[tuple[str, str]] = []
    for where, key, value in meta(data, field):
        if key.startswith("_") or isinstance(value, Mapping | list) or value is None:
            continue
        entry = child_at(data, where)
        shown_key, shown = entry.get("display_key"), entry.get("display_value")
        if isinstance(shown_key, str) and isinstance(shown, str) and shown_key and shown:
            key, value = shown_key, shown  # what the shopper saw ("Color: Black")
        if isinstance(value, bool):
            value = "yes" if value else "no"
        pairs.append((key, str(value)))
    return tuple(pairs)


def line_sku(item: Mapping[str, Any]) -> str:
    """The SKU, else a stable stand-in (``variation-<id>``, ``product-<id>``, ``line-<id>``)
    so that a product without a SKU (common in WooCommerce) is still one line, and the
    refunds and shipments that name it find it."""
    sku = item.get("sku")
    if type(sku) is str and sku.strip():
        return sku.strip()
    for key, prefix in (("variation_id", "variation"), ("product_id", "product"), ("id", "line")):
        value = item.get(key)
        if type(value) is int and value > 0:
            return f"{prefix}-{value}"
    return "line-unknown"
