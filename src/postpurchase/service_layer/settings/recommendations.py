"""The ``recommendations`` and ``automatic_remedy`` sections of the one settings schema:
which products the tracking page and the shipped/delivered messages recommend, by the rules
the merchant picks, and what a late delivery earns the shopper.

The limits and the engines are their contexts' (``domain.recommendations``,
``domain.remedies``); these models only say them as a schema, so ``PATCH /api/v1/settings``
and the console name a bad value by its dotted path (``recommendations.strategies[1]``)
like every other setting. Unset values take the contexts' defaults (both off).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.recommendations import (
    MAX_ATTRIBUTION_DAYS,
    MAX_ITEMS,
    MAX_MANUAL,
    Placement,
    Strategy,
    parse_store_url,
)
from postpurchase.domain.remedies import MAX_GRACE_DAYS, RemedyKind
from postpurchase.service_layer.settings.base import Section

StrategyName = Literal["same_collection", "bought_together", "manual"]
PlacementName = Literal["page", "email"]
assert set(StrategyName.__args__) == {s.value for s in Strategy}  # type: ignore[attr-defined]
assert set(PlacementName.__args__) == {p.value for p in Placement}  # type: ignore[attr-defined]
RemedyKindName = Literal["refund_shipping", "store_credit"]
assert set(RemedyKindName.__args__) == {k.value for k in RemedyKind}  # type: ignore[attr-defined]


def _once(value: list[Any]) -> list[Any]:
    seen = set()
    for item in value:
        if item in seen:
            raise ValueError(f"{item!r} is listed twice")
        seen.add(item)
    return value


def _store_url(value: str) -> str:
    try:
        out = parse_store_url(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None
    return out or value


ProductId = Annotated[StrictStr, Field(min_length=1, max_length=64)]


class Recommendations(Section):
    """Product recommendations (issue 14): off until ``enabled``."""

    enabled: StrictBool | None = Field(default=None, description="Show recommendations.")
    strategies: (
        Annotated[list[StrategyName], Field(min_length=1, max_length=3), AfterValidator(_once)]
        | None
    ) = Field(
        default=None,
        description="Tried in this order, each filling the slots the earlier left "
        "(default: bought_together, same_collection).",
    )
    manual_picks: (
        Annotated[list[ProductId], Field(max_length=MAX_MANUAL), AfterValidator(_once)] | None
    ) = Field(default=None, description="The store's product ids, for the manual strategy.")
    max_items: Annotated[StrictInt, Field(ge=1, le=MAX_ITEMS)] | None = None
    min_bought_together: Annotated[StrictInt, Field(ge=1, le=1000)] | None = Field(
        default=None, description="Orders that must share both products (default 2)."
    )
    placements: (
        Annotated[list[PlacementName], Field(max_length=2), AfterValidator(_once)] | None
    ) = Field(default=None, description="Where: page, email (default both).")
    attribution_days: Annotated[StrictInt, Field(ge=1, le=MAX_ATTRIBUTION_DAYS)] | None = Field(
        default=None, description="An order this many days after a click counts (default 14)."
    )
    store_url: Annotated[StrictStr, AfterValidator(_store_url)] | None = Field(
        default=None, description="https://shop.example: product links go there."
    )


class AutomaticRemedy(Section):
    """The automatic remedy (issue 14): a delivery later than the original promise earns
    the shipping fee back (or as store credit) and an apology; off until ``enabled``."""

    enabled: StrictBool | None = Field(
        default=None, description="Give the remedy when a delivery is later than promised."
    )
    kind: RemedyKindName | None = Field(
        default=None, description="refund_shipping (default: the fee back) or store_credit."
    )
    grace_days: Annotated[StrictInt, Field(ge=0, le=MAX_GRACE_DAYS)] | None = Field(
        default=None, description="Days late that are forgiven (default 0)."
    )
    apologise: StrictBool | None = Field(
        default=None, description="The delivered message apologises and names the remedy."
    )
