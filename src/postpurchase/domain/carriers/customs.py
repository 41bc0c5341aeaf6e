"""Customs data for a parcel that crosses a customs border (CN22/CN23, commercial invoice).

In the carriers context because every carrier's label request carries it in its own shape;
our shape is one, converted at each adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money


@dataclass(frozen=True, slots=True)
class CustomsItem:
    description: str
    quantity: int
    value: Money  # per unit
    weight_grams: int  # per unit
    hs_code: str | None = None
    origin_country: str | None = None

    def __post_init__(self) -> None:
        if not self.description.strip():
            raise InvalidInput("a customs item needs a description", field="customs.items")
        if self.quantity <= 0:
            raise InvalidInput("quantity is at least 1", field="customs.items.quantity")
        if self.weight_grams <= 0:
            raise InvalidInput("weight is more than 0 g", field="customs.items.weight_grams")
        if self.value.amount < 0:
            raise InvalidInput("a value is not negative", field="customs.items.value")
        if self.hs_code is not None and not (
            self.hs_code.replace(".", "").isdigit()
            and 6 <= len(self.hs_code.replace(".", "")) <= 10
        ):
            raise InvalidInput("an HS code is 6 to 10 digits", field="customs.items.hs_code")


class ContentType(StrEnum):
    MERCHANDISE = "merchandise"
    GIFT = "gift"
    DOCUMENTS = "documents"
    SAMPLE = "sample"
    RETURN = "return_merchandise"


@dataclass(frozen=True, slots=True)
class Customs:
    """The customs declaration (CN22/CN23, commercial invoice) of an international parcel."""

    contents: ContentType
    items: tuple[CustomsItem, ...]
    incoterm: str = "DDU"  # who pays duties: DDU (the recipient) or DDP (the sender)
    invoice_number: str | None = None

    def __post_init__(self) -> None:
        if not self.items:
            raise InvalidInput("customs needs at least one item", field="customs.items")
        if self.incoterm not in ("DDU", "DDP"):
            raise InvalidInput("incoterm is DDU or DDP", field="customs.incoterm")
        currencies = {i.value.currency for i in self.items}
        if len(currencies) > 1:
            raise InvalidInput("customs values are in one currency", field="customs.items.value")

    @property
    def total(self) -> Money:
        currency = self.items[0].value.currency
        return Money(sum((i.value.amount * i.quantity for i in self.items), Decimal(0)), currency)

    def as_dict(self) -> dict[str, object]:
        return {
            "contents": self.contents.value,
            "incoterm": self.incoterm,
            "invoice_number": self.invoice_number,
            "items": [
                {
                    "description": i.description, "quantity": i.quantity,
                    "value": str(i.value.amount), "currency": i.value.currency,
                    "weight_grams": i.weight_grams, "hs_code": i.hs_code,
                    "origin_country": i.origin_country,
                }
                for i in self.items
            ],
        }  # fmt: skip


# Customs territories that share a single market: no declaration between their members.
_EU = frozenset(
    [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    ]
)  # fmt: skip


def needs_customs(origin: Address, destination: Address) -> bool:
    """Whether a parcel crosses a customs border (the EU is one territory; the UK is not in
    it since 2021)."""
    if origin.country == destination.country:
        return False
    return not (origin.country in _EU and destination.country in _EU)
