"""What a storefront asks at checkout: where to, what, and how fast."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from postpurchase.domain.checkout.countries import check_country, check_postal_code
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.order_details import ServiceLevel, service_level_of

MAX_ITEMS = 100
MAX_QUANTITY = 999
MAX_WEIGHT_GRAMS = 1_000_000  # a tonne: beyond a parcel
_SKU = re.compile(r"[^\s:,]{1,64}")


def parse_items(raw: str) -> tuple[tuple[str, int], ...]:
    """``SKU:qty`` pairs separated by commas (``MUG-1:2,TEE-M:1``); a SKU alone counts 1."""
    out: dict[str, int] = {}
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        raise InvalidInput("items must list SKU:qty pairs, e.g. MUG-1:2,TEE-M:1", field="items")
    if len(parts) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items", field="items")
    for part in parts:
        sku, _, qty = part.rpartition(":") if ":" in part else (part, "", "1")
        if not _SKU.fullmatch(sku or ""):
            raise InvalidInput(f"{part!r} is not SKU:qty", field="items")
        if not qty.isdigit() or not 1 <= int(qty) <= MAX_QUANTITY:
            raise InvalidInput(f"{part!r}: quantity must be 1 to {MAX_QUANTITY}", field="items")
        out[sku] = out.get(sku, 0) + int(qty)
    return tuple(sorted(out.items()))


def service_level(raw: str) -> ServiceLevel:
    """A service level by name (``standard``, ``express``...) or the store's shipping method
    title, read as orders read it ("UPS Next Day Air" is next_day). Pickup has no delivery
    date, and a title that says nothing about speed is refused: a field error beats a guess."""
    text = raw.strip().lower()
    level = ServiceLevel(text) if text in ServiceLevel._value2member_map_ else None
    level = level or service_level_of(raw)
    if level is None:
        names = ", ".join(v.value for v in ServiceLevel if v is not ServiceLevel.PICKUP)
        raise InvalidInput(
            f"{raw!r} is not a shipping method we can read; use one of {names} or the "
            "method's title",
            field="method",
        )
    if level is ServiceLevel.PICKUP:
        raise InvalidInput(
            "in-store or pickup-point collection has no delivery date", field="method"
        )
    return level


@dataclass(frozen=True, slots=True)
class CheckoutQuery:
    """A validated question; hashable (it is part of the answer cache's key)."""

    country: str
    postal_code: str | None
    postal_checked: bool
    level: ServiceLevel
    items: tuple[tuple[str, int], ...] = ()
    weight_grams: int | None = None
    region: str | None = None

    @property
    def item_count(self) -> int:
        return sum(q for _, q in self.items)

    @classmethod
    def parse(
        cls,
        *,
        country: str,
        postal_code: str | None,
        method: str,
        items: str | None = None,
        weight_grams: int | None = None,
        region: str | None = None,
    ) -> CheckoutQuery:
        cc = check_country(country)
        code, checked = check_postal_code(cc, postal_code)
        if weight_grams is not None and not 0 < weight_grams <= MAX_WEIGHT_GRAMS:
            raise InvalidInput(f"weight must be 1 to {MAX_WEIGHT_GRAMS} grams", field="weight")
        parsed: Sequence[tuple[str, int]] = parse_items(items) if items is not None else ()
        clean_region = region.strip().upper()[:8] if region and region.strip() else None
        return cls(
            cc, code, checked, service_level(method), tuple(parsed), weight_grams, clean_region
        )
