"""Readers of store JSON (Shopify's and WooCommerce's payloads alike): strings, flags,
quantities, arrays of objects and ISO 4217 codes, each refusing a wrong type with the JSON
path of its field (``line_items[2].quantity``). What differs per store (ids, times, amounts)
stays in each store's own ``read`` module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from babel.numbers import list_currencies

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import parse_currency

Payload = bytes | str | Mapping[str, Any]


def text(data: Mapping[str, Any], key: str, field: str | None = None) -> str | None:
    """A string field, stripped; None when absent, null or blank."""
    value = data.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise InvalidInput("must be a string", field=field or key)
    return value.strip() or None


def flag(data: Mapping[str, Any], key: str, field: str | None = None) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if type(value) is not bool:
        raise InvalidInput("must be true or false", field=field or key)
    return value


def quantity(value: object, field: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidInput("quantity must be a non-negative integer", field=field)
    return value


def array(data: Mapping[str, Any], key: str, field: str) -> Sequence[Any]:
    """A JSON array; absent or null is empty."""
    value = data.get(key)
    if value is None:
        return ()
    if type(value) is not list:
        raise InvalidInput("must be an array", field=field)
    return value


def objects(data: Mapping[str, Any], key: str, field: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The objects of a JSON array with their paths (``line_items[2]``)."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for i, item in enumerate(array(data, key, field)):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput("must be an object", field=where)
        found.append((where, item))
    return found


def child(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


@cache
def _iso_4217() -> frozenset[str]:
    return frozenset(list_currencies())


def currency(value: object, field: str) -> str:
    """An ISO 4217 code ("usd" -> "USD"); a code no ISO 4217 list has ("XYZ") is refused."""
    if type(value) is not str:
        raise InvalidInput("currency is required", field=field)
    code = parse_currency(value, field=field)
    if code not in _iso_4217():
        raise InvalidInput(f"{value!r} is not an ISO 4217 currency code", field=field)
    return code
