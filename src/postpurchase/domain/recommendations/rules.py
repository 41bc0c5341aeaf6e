"""Which products to show a shopper after a purchase, by rules the merchant can read.

Why domain: the choice must be explainable ("because it is in the same collection as what
you bought", "because shoppers who bought it also bought this", "picked by the shop") and
the two promises must hold whatever the catalogue holds: never what this order just bought,
never what is out of stock. Both are checked here, in one pure function, so a test can
throw any catalogue at it.

The rules are a small document per merchant (``rules_from_dict`` / ``rules_to_dict``);
unknown keys and wrong types are refused naming the key, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from postpurchase.domain.errors import InvalidInput

MAX_ITEMS = 8
MAX_MANUAL = 50
MAX_ATTRIBUTION_DAYS = 90

E = TypeVar("E", bound=StrEnum)


class Strategy(StrEnum):
    SAME_COLLECTION = "same_collection"  # shares a collection with a product bought
    BOUGHT_TOGETHER = "bought_together"  # in the merchant's orders beside a product bought
    MANUAL = "manual"  # the merchant's own picks, in their order


class Placement(StrEnum):
    PAGE = "page"  # the tracking page
    EMAIL = "email"  # the shipped and delivered messages


@dataclass(frozen=True, slots=True)
class RecommendationRules:
    """A merchant's rules. ``strategies`` are tried in order; each fills the slots the
    earlier ones left, so the merchant decides what comes first."""

    enabled: bool = False
    strategies: tuple[Strategy, ...] = (Strategy.BOUGHT_TOGETHER, Strategy.SAME_COLLECTION)
    manual_picks: tuple[str, ...] = ()  # the store's product ids (``external_id``)
    max_items: int = 3
    min_bought_together: int = 2  # orders that must share both products to count
    placements: frozenset[Placement] = frozenset({Placement.PAGE, Placement.EMAIL})
    attribution_days: int = 14  # an order within this many days of a click counts
    store_url: str | None = (
        None  # https://shop.example: product links are <store>/products/<handle>
    )


_KEYS = frozenset(
    {
        "enabled", "strategies", "manual_picks", "max_items", "min_bought_together",
        "placements", "attribution_days", "store_url",
    }
)  # fmt: skip


def _int(value: object, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("must be an integer", field=key)
    if not low <= value <= high:
        raise InvalidInput(f"must be between {low} and {high}", field=key)
    return value


def _enum_list(value: object, key: str, kind: type[E]) -> tuple[E, ...]:
    if not isinstance(value, list):
        raise InvalidInput("must be a list", field=key)
    out: list[E] = []
    for i, item in enumerate(value):
        try:
            chosen = kind(item)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise InvalidInput(f"{item!r} is not one of {allowed}", field=f"{key}[{i}]") from None
        if chosen in out:
            raise InvalidInput("listed twice", field=f"{key}[{i}]")
        out.append(chosen)
    return tuple(out)


def parse_store_url(value: object, key: str = "store_url") -> str | None:
    """An absolute https URL of the shop's front (no query, no fragment), or None."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 300:
        raise InvalidInput("must be an https URL of at most 300 characters", field=key)
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput("must be an https URL such as https://shop.example", field=key)
    if parts.username or parts.password:
        raise InvalidInput("must not carry a user name or password", field=key)
    return value.strip().rstrip("/")


def rules_from_dict(
    data: Mapping[str, Any], base: RecommendationRules | None = None
) -> RecommendationRules:
    """The rules from their JSON document (keys left out keep ``base``'s values)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("must be an object", field="body")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InvalidInput(f"unknown setting {unknown[0]!r}", field=unknown[0])
    b = base or RecommendationRules()
    enabled = data.get("enabled", b.enabled)
    if not isinstance(enabled, bool):
        raise InvalidInput("must be true or false", field="enabled")
    strategies = (
        _enum_list(data["strategies"], "strategies", Strategy)
        if "strategies" in data
        else b.strategies
    )
    picks = b.manual_picks
    if "manual_picks" in data:
        raw = data["manual_picks"]
        if not isinstance(raw, list) or len(raw) > MAX_MANUAL:
            raise InvalidInput(f"must be a list of at most {MAX_MANUAL} ids", field="manual_picks")
        for i, item in enumerate(raw):
            if not isinstance(item, str) or not item.strip() or len(item) > 64:
                raise InvalidInput("must be a product id", field=f"manual_picks[{i}]")
        picks = tuple(dict.fromkeys(x.strip() for x in raw))
    placements = (
        frozenset(_enum_list(data["placements"], "placements", Placement))
        if "placements" in data
        else b.placements
    )
    return RecommendationRules(
        enabled=enabled,
        strategies=strategies,
        manual_picks=picks,
        max_items=_int(data.get("max_items", b.max_items), "max_items", 1, MAX_ITEMS),
        min_bought_together=_int(
            data.get("min_bought_together", b.min_bought_together), "min_bought_together", 1, 1000
        ),
        placements=placements,
        attribution_days=_int(
            data.get("attribution_days", b.attribution_days),
            "attribution_days",
            1,
            MAX_ATTRIBUTION_DAYS,
        ),
        store_url=parse_store_url(data.get("store_url", b.store_url)),
    )


def rules_from_stored(doc: object) -> RecommendationRules:
    """The rules from the stored ``recommendations`` settings section, leniently: unset
    (``null``) keys take the defaults, and a key that no longer passes (written under older
    rules, or straight into the database) is dropped rather than taking the page down."""
    data = {k: v for k, v in doc.items() if v is not None} if isinstance(doc, Mapping) else {}
    for _ in range(len(_KEYS) + 1):
        try:
            return rules_from_dict(data)
        except InvalidInput as exc:
            key = (exc.field or "").split("[", 1)[0]
            if key not in data:
                break
            del data[key]
    return RecommendationRules()


def rules_to_dict(rules: RecommendationRules) -> dict[str, Any]:
    return {
        "enabled": rules.enabled,
        "strategies": [s.value for s in rules.strategies],
        "manual_picks": list(rules.manual_picks),
        "max_items": rules.max_items,
        "min_bought_together": rules.min_bought_together,
        "placements": sorted(p.value for p in rules.placements),
        "attribution_days": rules.attribution_days,
        "store_url": rules.store_url,
    }


# ---- the engine -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A product of the catalogue as the engine sees it."""

    product_id: str  # the store's id (``external_id``)
    title: str
    handle: str | None
    image_url: str | None
    price: Decimal | None
    currency: str | None
    skus: frozenset[str]
    collections: frozenset[str]
    in_stock: bool
    active: bool = True


@dataclass(frozen=True, slots=True)
class Bought:
    """What the order bought: its SKUs and, where the catalogue knows them, the products."""

    skus: frozenset[str]
    product_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Recommendation:
    product_id: str
    title: str
    handle: str | None
    image_url: str | None
    price: Decimal | None
    currency: str | None
    strategy: Strategy
    reason: str  # shown to the merchant (and testable): why this product


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The facts the engine needs, read by an adapter: candidates and co-purchase counts."""

    candidates: Sequence[Candidate]
    together: Mapping[str, int] = field(default_factory=dict)  # product id -> shared orders


def bought_products(bought: Bought, candidates: Sequence[Candidate]) -> frozenset[str]:
    """The products this order bought: named by id, or owning one of its SKUs."""
    return (
        frozenset(
            c.product_id
            for c in candidates
            if c.product_id in bought.product_ids or c.skus & bought.skus
        )
        | bought.product_ids
    )


def in_stock(variants: Sequence[tuple[str | None, int | None]]) -> bool:
    """A product can be bought when one variant can: it sells when out (``continue``), its
    stock is not tracked (None) or some is left. A product without variants cannot."""
    return any(
        policy == "continue" or quantity is None or quantity > 0 for policy, quantity in variants
    )


def recommend(
    rules: RecommendationRules, bought: Bought, catalogue: Catalogue
) -> list[Recommendation]:
    """At most ``rules.max_items`` products, each with its reason; nothing the order bought,
    nothing out of stock or inactive, nothing twice."""
    if not rules.enabled:
        return []
    by_id = {c.product_id: c for c in catalogue.candidates}
    mine = bought_products(bought, catalogue.candidates)
    my_collections = frozenset().union(*(by_id[p].collections for p in mine if p in by_id))
    out: list[Recommendation] = []
    taken: set[str] = set()

    def offer(c: Candidate, strategy: Strategy, reason: str) -> None:
        if len(out) >= rules.max_items or c.product_id in taken or c.product_id in mine:
            return
        if not c.in_stock or not c.active or c.skus & bought.skus:
            return
        taken.add(c.product_id)
        out.append(
            Recommendation(
                c.product_id, c.title, c.handle, c.image_url, c.price, c.currency, strategy, reason
            )
        )

    for strategy in rules.strategies:
        if strategy is Strategy.MANUAL:
            for pid in rules.manual_picks:
                if pid in by_id:
                    offer(by_id[pid], strategy, "picked by the merchant")
        elif strategy is Strategy.BOUGHT_TOGETHER:
            ranked = sorted(
                (
                    (n, pid)
                    for pid, n in catalogue.together.items()
                    if n >= rules.min_bought_together and pid in by_id
                ),
                key=lambda x: (-x[0], by_id[x[1]].title, x[1]),
            )
            for n, pid in ranked:
                offer(by_id[pid], strategy, f"bought together in {n} orders")
        elif my_collections:
            ranked_c = sorted(
                (c for c in catalogue.candidates if c.collections & my_collections),
                key=lambda c: (-len(c.collections & my_collections), c.title, c.product_id),
            )
            for c in ranked_c:
                shared = sorted(c.collections & my_collections)[0]
                offer(c, strategy, f"in the collection {shared!r}")
    return out
