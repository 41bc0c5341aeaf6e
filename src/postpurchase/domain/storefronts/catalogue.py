"""The store's catalogue as we keep it: products and their variants.

Why kept: the console's recommendations and the returns flow's exchanges need titles,
SKUs, prices, images and whether a variant can be sold when out of stock, without asking
the store on every page view. The store stays the authority: a sync replaces what we hold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money


@dataclass(frozen=True, slots=True)
class Variant:
    external_id: str  # the store's numeric id
    title: str
    position: int = 1
    gid: str | None = None
    sku: str | None = None
    price_amount: Decimal | None = None
    currency: str | None = None  # the shop's; a webhook's product names none (filled in)
    image_url: str | None = None
    inventory_policy: str | None = None  # "deny": not sold out of stock; "continue": sold
    inventory_quantity: int | None = None  # None when the store gave no inventory access

    @property
    def price(self) -> Money | None:
        if self.price_amount is None or self.currency is None:
            return None
        return Money(self.price_amount, self.currency)


@dataclass(frozen=True, slots=True)
class Product:
    platform: str
    external_id: str
    title: str
    variants: tuple[Variant, ...] = ()
    gid: str | None = None
    handle: str | None = None
    status: str | None = None  # active | draft | archived
    vendor: str | None = None
    product_type: str | None = None
    image_url: str | None = None
    tags: tuple[str, ...] = ()
    collections: tuple[str, ...] | None = None  # handles; None: the source did not say
    source_updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.external_id:
            raise InvalidInput("a product needs its store id", field="id")
        if not self.title.strip():
            raise InvalidInput("a product needs a title", field="title")
        seen: set[str] = set()
        for i, v in enumerate(self.variants):
            if v.external_id in seen:
                raise InvalidInput("the same variant twice", field=f"variants[{i}].id")
            seen.add(v.external_id)

    def priced_in(self, currency: str | None) -> Product:
        """The same product with ``currency`` on variants that name none."""
        if currency is None:
            return self
        variants = tuple(v if v.currency else replace(v, currency=currency) for v in self.variants)
        return replace(self, variants=variants)
