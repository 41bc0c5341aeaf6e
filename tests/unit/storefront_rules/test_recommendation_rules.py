"""The recommendation engine's promises, over any catalogue: never what the order bought,
never out of stock or inactive, never twice, never more than asked; the rules document
refuses unknown keys and wrong types naming them; signed links do not forge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.recommendations import (
    Bought,
    Candidate,
    Catalogue,
    Click,
    ClickFact,
    OrderFact,
    Placement,
    RecommendationRules,
    Strategy,
    attribute,
    in_stock,
    recommend,
    rules_from_dict,
    rules_to_dict,
    sign,
    verify,
)

IDS = st.sampled_from([f"p{i}" for i in range(8)])
SKUS = st.sampled_from([f"S{i}" for i in range(10)])
COLLECTIONS = st.sampled_from(["shoes", "socks", "bags", "hats"])


@st.composite
def catalogues(draw: st.DrawFn) -> Catalogue:
    ids = draw(st.lists(IDS, unique=True, max_size=8))
    candidates = [
        Candidate(
            product_id=pid,
            title=pid.upper(),
            handle=pid,
            image_url=None,
            price=Decimal("9.99"),
            currency="EUR",
            skus=draw(st.frozensets(SKUS, max_size=2)),
            collections=draw(st.frozensets(COLLECTIONS, max_size=2)),
            in_stock=draw(st.booleans()),
            active=draw(st.booleans()),
        )
        for pid in ids
    ]
    together = draw(st.dictionaries(IDS, st.integers(0, 30), max_size=8))
    return Catalogue(tuple(candidates), together)


rules_st = st.builds(
    RecommendationRules,
    enabled=st.just(True),
    strategies=st.lists(st.sampled_from(list(Strategy)), unique=True, min_size=1).map(tuple),
    manual_picks=st.lists(IDS, unique=True, max_size=6).map(tuple),
    max_items=st.integers(1, 8),
    min_bought_together=st.integers(1, 5),
)


@given(rules_st, catalogues(), st.frozensets(SKUS, max_size=4), st.frozensets(IDS, max_size=2))
def test_never_what_was_bought_out_of_stock_or_twice(
    rules: RecommendationRules, catalogue: Catalogue, skus: frozenset[str], ids: frozenset[str]
) -> None:
    bought = Bought(skus, ids)
    out = recommend(rules, bought, catalogue)
    by_id = {c.product_id: c for c in catalogue.candidates}
    assert len(out) <= rules.max_items
    assert len({r.product_id for r in out}) == len(out)
    for r in out:
        c = by_id[r.product_id]
        assert c.in_stock and c.active
        assert not c.skus & skus, "recommended a product the order just bought"
        assert r.product_id not in ids
        assert r.strategy in rules.strategies
        assert r.reason


@given(catalogues(), st.frozensets(SKUS, max_size=4))
def test_off_recommends_nothing(catalogue: Catalogue, skus: frozenset[str]) -> None:
    assert recommend(RecommendationRules(enabled=False), Bought(skus), catalogue) == []


def _c(pid: str, skus: set[str], cols: set[str], stock: bool = True) -> Candidate:
    return Candidate(pid, pid.upper(), pid, None, Decimal(5), "EUR", frozenset(skus),
                     frozenset(cols), stock)  # fmt: skip


def test_strategies_fill_in_the_merchants_order_with_their_reasons() -> None:
    bought = _c("boot", {"B1"}, {"shoes"})
    catalogue = Catalogue(
        (bought, _c("lace", {"L1"}, {"shoes"}), _c("sock", {"S1"}, set()),
         _c("gone", {"G1"}, {"shoes"}, stock=False), _c("hat", {"H1"}, set())),
        {"sock": 5, "gone": 9, "lace": 1},
    )  # fmt: skip
    rules = RecommendationRules(
        enabled=True,
        strategies=(Strategy.MANUAL, Strategy.BOUGHT_TOGETHER, Strategy.SAME_COLLECTION),
        manual_picks=("hat", "boot"),
        max_items=3,
        min_bought_together=2,
    )
    out = recommend(rules, Bought(frozenset({"B1"})), catalogue)
    assert [(r.product_id, r.strategy) for r in out] == [
        ("hat", Strategy.MANUAL),
        ("sock", Strategy.BOUGHT_TOGETHER),
        ("lace", Strategy.SAME_COLLECTION),
    ]
    assert out[1].reason == "bought together in 5 orders"
    assert out[2].reason == "in the collection 'shoes'"


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        ([("deny", 0)], False),
        ([("deny", 0), ("deny", 2)], True),
        ([("continue", 0)], True),
        ([("deny", None)], True),
        ([], False),
    ],
)
def test_in_stock(variants: list[tuple[str | None, int | None]], expected: bool) -> None:
    assert in_stock(variants) is expected


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"enabled": "yes"}, "enabled"),
        ({"max_items": 0}, "max_items"),
        ({"max_items": True}, "max_items"),
        ({"strategies": ["random"]}, "strategies[0]"),
        ({"strategies": ["manual", "manual"]}, "strategies[1]"),
        ({"placements": "page"}, "placements"),
        ({"manual_picks": [1]}, "manual_picks[0]"),
        ({"attribution_days": 91}, "attribution_days"),
        ({"store_url": "http://shop.example"}, "store_url"),
        ({"store_url": "https://shop.example/?x=1"}, "store_url"),
        ({"store_url": "https://u:p@shop.example"}, "store_url"),
    ],
)
def test_bad_rules_name_the_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules_from_dict(doc)
    assert err.value.field == field


@given(rules_st)
def test_rules_round_trip(rules: RecommendationRules) -> None:
    assert rules_from_dict(rules_to_dict(rules)) == rules


KEYS = st.lists(st.binary(min_size=16, max_size=32), min_size=1, max_size=3)
TEXT = st.text(alphabet="abcdef0123456789", min_size=1, max_size=32)


@given(KEYS, TEXT, TEXT, TEXT, st.sampled_from(list(Placement)))
def test_links_verify_and_do_not_forge(
    keys: list[bytes], merchant: str, order: str, product: str, placement: Placement
) -> None:
    click = Click(merchant, order, product, placement)
    token = sign(keys, click)
    assert verify(keys, token) == click
    assert verify([b"another key entirely", *keys], token) == click  # rotation
    mac = token.split(".")[1]
    other = sign(keys, Click(merchant, order, product + "x", placement)).split(".")[0]
    with pytest.raises(InvalidInput):
        verify(keys, f"{other}.{mac}")
    with pytest.raises(InvalidInput):
        verify([b"x" * 32], token)


T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


@given(
    st.lists(
        st.tuples(st.sampled_from(["a@x", "b@x"]), IDS, st.integers(0, 40)), max_size=8
    ),
    st.lists(
        st.tuples(st.sampled_from(["a@x", "B@x", "c@x"]), st.frozensets(IDS, min_size=1,
                  max_size=3), st.integers(-5, 60)),
        max_size=8,
    ),
    st.integers(1, 30),
)  # fmt: skip
def test_attribution_each_order_once_within_the_window(
    raw_clicks: list[tuple[str, str, int]],
    raw_orders: list[tuple[str, frozenset[str], int]],
    days: int,
) -> None:
    clicks = [
        ClickFact(f"c{i}", email, pid, T0 + timedelta(days=d), "page")
        for i, (email, pid, d) in enumerate(raw_clicks)
    ]
    orders = [
        OrderFact(f"o{i}", email, T0 + timedelta(days=d), {p: Decimal(10) for p in pids}, "EUR")
        for i, (email, pids, d) in enumerate(raw_orders)
    ]
    won = attribute(clicks, orders, days)
    assert len({a.order_id for a in won}) == len(won)
    by_click = {c.click_id: c for c in clicks}
    by_order = {o.order_id: o for o in orders}
    for a in won:
        c, o = by_click[a.click_id], by_order[a.order_id]
        assert c.email.lower() == o.email.lower()
        assert c.product_id in o.revenue
        assert c.at <= o.placed_at <= c.at + timedelta(days=days)
        assert a.revenue == Decimal(10)
    # every order that qualifies for some click is attributed
    for o in orders:
        qualifies = any(
            c.email.lower() == o.email.lower() and c.product_id in o.revenue
            and c.at <= o.placed_at <= c.at + timedelta(days=days)
            for c in clicks
        )  # fmt: skip
        assert qualifies == (o.order_id in {a.order_id for a in won})
