"""The edge types of /api/v1: bounded strings, codes checked against their registries,
amounts, dates and instants -- what every request model builds its fields from.

With them the one model both sides share: ``PromiseIn``, the delivery promise an order is
created with and answered with. Split out of ``schemas`` so the shared vocabulary of the edge
reads apart from the models that use it; ``schemas`` re-exports every name.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.timestamps import WINDOW, instant_utc

# --------------------------------------------------------------------------- edge types
# What a caller may send is bounded here, at the edge: every string has a length limit and
# no control characters, codes are checked against their registries (the domain stays pure).

LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"  # one line: no control character at all
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"  # tabs and line breaks allowed
# RFC 5321: at most 64 characters before the @, 254 in all; no spaces or control characters.
_ADDR = r"[^@\s\x00-\x1f\x7f-\x9f]"
EMAIL_PATTERN = rf"^{_ADDR}{{1,64}}@{_ADDR}+\.{_ADDR}+$"


@dataclass(frozen=True, slots=True)
class Matches:
    """``Annotated[str, ..., OneLine]``: a string the pattern must match whole, refused
    otherwise with a 422 naming the field and saying why in words; the OpenAPI shows the
    pattern."""

    pattern: str
    message: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        regex, message = re.compile(self.pattern), self.message

        def check(value: str) -> str:
            if regex.fullmatch(value) is None:
                raise ValueError(message)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out["pattern"] = self.pattern
        return out


# NUL and the other control characters (C0, DEL, C1) are refused in every string we take.
OneLine = Matches(LINE_PATTERN, "one line without control characters (NUL, tab, line breaks)")
MultiLine = Matches(TEXT_PATTERN, "control characters (NUL and the like) are not allowed")
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    Matches(
        EMAIL_PATTERN,
        "an email address, at most 64 characters before the @ and 254 in all (RFC 5321)",
    ),
]


def _json_integer(value: Any) -> Any:
    """What JSON Schema calls an integer (2 or 2.0), not "2" nor true."""
    if isinstance(value, bool | str):
        raise ValueError("a JSON integer, e.g. 2")
    return value


def _iso_date(value: Any) -> Any:
    """A date as text, not a number of days or seconds since 1970."""
    if not isinstance(value, str | date):
        raise ValueError("an ISO 8601 date, e.g. 2026-01-31")
    return value


Count = Annotated[int, BeforeValidator(_json_integer)]
Grams = Annotated[int, Field(ge=0, le=10_000_000), BeforeValidator(_json_integer)]
# Bounds before the validator, so they reach the JSON Schema as minimum/maximum (after it,
# an optional field's schema would carry pydantic's own ge/le, which no client reads).
Days = Annotated[int, Field(ge=0, le=3650), BeforeValidator(_json_integer)]
Version = Annotated[int, Field(ge=1, le=2_000_000_000), BeforeValidator(_json_integer)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


# ``Annotated[int, Field(ge=.., le=..), JSON_INTEGER]``: a JSON integer whose bounds reach the
# JSON Schema (see ``Days``).
JSON_INTEGER = BeforeValidator(_json_integer)


def _day_text(value: Any) -> Any:
    """A query's day as YYYY-MM-DD; "0" is not 1970-01-01."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a date as YYYY-MM-DD, e.g. 2026-01-31")
    return value


QueryDay = Annotated[date, BeforeValidator(_day_text), BeforeValidator(_iso_date)]


def keys_in_property_names(schema: dict[str, Any]) -> None:
    """OpenAPI of a ``dict[Annotated[str, ...], ...]``: the keys' pattern belongs with their
    length in ``propertyNames`` (Pydantic writes it as ``patternProperties``, which lets any
    other key through)."""
    patterns = schema.pop("patternProperties", None)
    if patterns:
        ((pattern, values),) = patterns.items()
        schema.setdefault("propertyNames", {})["pattern"] = pattern
        schema["additionalProperties"] = values


@cache
def currencies() -> frozenset[str]:
    """ISO 4217 codes, as Babel (CLDR) knows them."""
    return frozenset(code for code in list_currencies() if re.fullmatch("[A-Z]{3}", code))


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _currency(value: str) -> str:
    if value not in currencies():
        raise ValueError("not an ISO 4217 currency code, e.g. USD or EUR")
    return value


def _time_zone(value: str) -> str:
    if value not in time_zones():
        raise ValueError("not a time zone of the tz database, e.g. America/New_York")
    return value


def _carrier(value: str) -> str:
    if value not in CARRIERS:
        raise ValueError(f"unknown carrier {value!r} (the slugs are listed in /openapi.json)")
    return value


Carrier = Annotated[
    str,
    StringConstraints(max_length=48),
    AfterValidator(_carrier),
    Field(json_schema_extra=lambda s: s.update(enum=sorted(CARRIERS))),
]
Currency = Annotated[
    str,
    BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
    StringConstraints(min_length=3, max_length=3),
    AfterValidator(_currency),
    Field(
        description="ISO 4217 code (case-insensitive), e.g. USD",
        json_schema_extra=lambda s: s.update(enum=sorted(currencies())),
    ),
]
TimeZone = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_time_zone),
    Field(
        description="A time zone of the tz database, e.g. America/New_York",
        json_schema_extra=lambda s: s.update(enum=sorted(time_zones())),
    ),
]

Str200 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine
]
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"
Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=6),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["19.90"]},
                {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 999_999_999_999,
                    "multipleOf": 0.000001,
                },
            ]
        }
    ),
]


def _in_window(value: datetime) -> datetime:
    try:
        instant_utc(value, "")
    except InvalidInput as bad:
        raise ValueError(bad.message) from None  # a 422 naming the field, never a 500
    return value


Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_window),
    Field(description=f"ISO 8601 with a UTC offset, {WINDOW}."),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PromiseIn(Strict):
    latest: IsoDate
    earliest: IsoDate | None = None


Id128 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), OneLine
]
Text2000 = Annotated[str, StringConstraints(max_length=2000), MultiLine]
