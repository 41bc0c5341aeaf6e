"""Return methods (cost to the shopper, estimated CO2e) and exchanges (priced, stock-checked)
are pure: the numbers follow from the documented factors, and every choice names its rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    CatalogueVariant,
    MethodTerms,
    Place,
    Precision,
    Resolution,
    ReturnMethod,
    Verdict,
    default_policy,
    distance,
    evaluate,
    footprint,
    options,
    plan_exchange,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.domain.returns import methods as m
from tests.unit.returns.test_policy import ctx, line, usd

KM = st.decimals(min_value=0, max_value=20_000, places=1, allow_nan=False, allow_infinity=False)
GRAMS = st.integers(min_value=1, max_value=50_000)


def test_a_mail_back_parcel_is_line_haul_plus_a_shared_round_plus_a_box() -> None:
    f = footprint(ReturnMethod.MAIL, Decimal("100"), Precision.POSTAL, weight_grams=2000)
    # 100 km × 1.2 road = 120 km; 120 × 0.002 t × 0.14993 = 0.035983; round 0.5 × 0.25;
    # box 0.22: 0.380983 -> 0.38 kg.
    assert f.kg_co2e == Decimal("0.38")
    assert f.distance_km == Decimal("120.0")
    assert dict(f.legs)["line_haul"] == Decimal("120.0") * Decimal("0.002") * m.HGV_PER_TONNE_KM


def test_each_method_adds_its_own_first_mile() -> None:
    by = {
        meth: footprint(meth, Decimal("50"), Precision.REGION)
        for meth in ReturnMethod
    }  # fmt: skip
    assert [leg for leg, _ in by[ReturnMethod.PICKUP].legs] == ["line_haul", "pickup_van", "box"]
    assert [leg for leg, _ in by[ReturnMethod.DROP_OFF].legs] == ["line_haul", "collection_round"]
    assert [leg for leg, _ in by[ReturnMethod.IN_STORE].legs] == ["line_haul", "shopper_car"]
    # Box-free drop-off beats a boxed mail-back, which beats a courier's dedicated stop.
    assert by[ReturnMethod.DROP_OFF].kg_co2e < by[ReturnMethod.MAIL].kg_co2e
    assert by[ReturnMethod.MAIL].kg_co2e < by[ReturnMethod.PICKUP].kg_co2e
    near = footprint(
        ReturnMethod.IN_STORE, Decimal("50"), Precision.REGION, store_trip_km=Decimal(0)
    )
    assert near.kg_co2e < by[ReturnMethod.IN_STORE].kg_co2e  # a trip made anyway costs nothing


def test_an_unknown_distance_is_assumed_national_and_says_so() -> None:
    f = footprint(ReturnMethod.MAIL, None, Precision.POSTAL)
    assert f.precision is Precision.NONE and f.distance_km == m.UNKNOWN_DISTANCE_KM


@given(KM, KM, GRAMS, st.sampled_from(list(ReturnMethod)))
def test_further_is_never_greener(a: Decimal, b: Decimal, grams: int, meth: ReturnMethod) -> None:
    near, far = sorted((a, b))
    fa = footprint(meth, near, Precision.POSTAL, weight_grams=grams)
    fb = footprint(meth, far, Precision.POSTAL, weight_grams=grams)
    assert Decimal(0) <= fa.kg_co2e <= fb.kg_co2e


def test_negative_inputs_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as bad:
        footprint(ReturnMethod.MAIL, Decimal("-1"), Precision.POSTAL)
    assert bad.value.field == "distance_km"


def test_options_price_each_method_and_list_the_greenest_first() -> None:
    offered = (
        MethodTerms(ReturnMethod.PICKUP, {"USD": Decimal("7.50")}),
        MethodTerms(ReturnMethod.DROP_OFF),
        MethodTerms(ReturnMethod.MAIL, {"USD": Decimal("4.95")}, merchant_fault_free=True),
    )
    got = options(offered, "USD", Decimal("300"), Precision.COUNTRY)
    assert [o.terms.method for o in got] == [
        ReturnMethod.DROP_OFF, ReturnMethod.MAIL, ReturnMethod.PICKUP,
    ]  # fmt: skip
    assert [o.cost for o in got] == [Decimal(0), Decimal("4.95"), Decimal("7.50")]
    fault = options(offered, "USD", Decimal("300"), Precision.COUNTRY, merchant_fault=True)
    assert all(o.cost == 0 for o in fault)  # the shop's mistake: every method is free
    assert options(offered, "EUR", None, Precision.NONE)[1].cost == 0  # no EUR fee set


def test_distance_uses_the_finest_place_known_and_states_it() -> None:
    sp, rio = Place("BR", "01310-100"), Place("BR", "20040-002")
    km, precision = distance(sp, rio)
    assert precision is Precision.REGION and Decimal(300) < km < Decimal(400)
    km, precision = distance(Place("DE", "10115"), Place("FR", "75001"))
    assert precision is Precision.COUNTRY and Decimal(500) < km < Decimal(1000)
    assert distance(Place("US"), Place("US", "10001")) == (Decimal(300), Precision.COUNTRY)
    assert distance(Place("XX"), Place("US")) == (None, Precision.NONE)
    assert distance(Place("US"), None) == (None, Precision.NONE)


def test_the_policy_prices_the_chosen_method_and_refuses_one_not_offered() -> None:
    policy = policy_from_dict(
        {"methods": [{"method": "mail", "fee": {"USD": "5.00"}}, {"method": "in_store"}]}
    )
    assert policy_from_dict(policy_to_dict(policy)) == policy
    q = evaluate(policy, ctx(method=ReturnMethod.MAIL))
    assert q.method_fee == usd("5.00") and q.refund == usd("15.00")
    assert any(d.rule == "method.fee" for d in q.decisions)
    free = evaluate(policy, ctx(method=ReturnMethod.IN_STORE))
    assert free.refund == usd("20.00") and any(d.rule == "method.free" for d in free.decisions)
    refused = evaluate(policy, ctx(method=ReturnMethod.PICKUP))
    assert refused.verdict is Verdict.REFUSED
    assert [d.rule for d in refused.refused()] == ["method"]
    damaged = evaluate(policy, ctx(line(reason_code="damaged"), method=ReturnMethod.MAIL))
    assert damaged.method_fee == usd("0")  # the shop's fault: free


@given(st.decimals(min_value=0, max_value=1000, places=2))
def test_a_method_fee_never_takes_a_refund_below_zero(fee: Decimal) -> None:
    policy = policy_from_dict({"methods": [{"method": "pickup", "fee": {"USD": str(fee)}}]})
    q = evaluate(policy, ctx(method=ReturnMethod.PICKUP))
    assert usd("0") <= q.refund <= usd("20.00")
    assert q.refund + (q.method_fee or usd("0")) == usd("20.00")


def test_a_bad_method_in_the_policy_names_its_key() -> None:
    with pytest.raises(InvalidInput) as bad:
        policy_from_dict({"methods": [{"method": "drone"}]})
    assert bad.value.field == "methods[0].method"
    with pytest.raises(InvalidInput) as twice:
        policy_from_dict({"methods": [{"method": "mail"}, {"method": "mail"}]})
    assert twice.value.field == "methods[1].method"
    with pytest.raises(InvalidInput) as where:
        policy_from_dict({"return_to": {"country": "USA"}})
    assert where.value.field == "return_to.country"


# ---- exchanges -------------------------------------------------------------------------------


def variant(vid: str, price: str | None, stock: int | None, **kw: object) -> CatalogueVariant:
    base: dict[str, object] = {
        "id": vid, "product_id": "P1", "sku": f"TEE-{vid}", "title": f"Tee {vid}",
        "price": usd(price) if price is not None else None, "stock": stock,
    }  # fmt: skip
    base.update(kw)
    return CatalogueVariant(**base)  # type: ignore[arg-type]


def exchange_quote() -> tuple:  # type: ignore[type-arg]
    policy = policy_from_dict({"resolutions": ["refund", "exchange"]})
    return evaluate(policy, ctx(resolution=Resolution.EXCHANGE)).lines


def test_an_even_exchange_costs_nothing_and_a_dearer_one_charges_the_difference() -> None:
    lines = exchange_quote()  # one unit worth 20.00
    even = plan_exchange(lines, {"L1": variant("M", "20.00", 5)}, {"L1": "P1"}, "USD")
    assert (even.charge, even.refund, even.verdict) == (usd("0"), usd("0"), Verdict.APPROVED)
    up = plan_exchange(lines, {"L1": variant("XL", "26.50", 5)}, {"L1": "P1"}, "USD")
    assert up.charge == usd("6.50") and up.decisions[-1].rule == "exchange.upsell"
    down = plan_exchange(lines, {"L1": variant("S", "15.00", 5)}, {"L1": "P1"}, "USD")
    assert down.refund == usd("5.00") and down.charge == usd("0")


def test_stock_is_checked_and_unknown_stock_goes_to_review() -> None:
    lines = exchange_quote()
    out = plan_exchange(lines, {"L1": variant("M", "20.00", 0)}, {"L1": "P1"}, "USD")
    assert out.verdict is Verdict.REFUSED and "out of stock" in out.decisions[0].explanation
    backorder = variant("M", "20.00", 0, sells_out_of_stock=True)
    assert plan_exchange(lines, {"L1": backorder}, {"L1": "P1"}, "USD").verdict is Verdict.APPROVED
    unknown = plan_exchange(lines, {"L1": variant("M", "20.00", None)}, {"L1": "P1"}, "USD")
    assert unknown.verdict is Verdict.REVIEW


@pytest.mark.parametrize(
    ("wanted", "product", "why"),
    [
        ({}, "P1", "choose"),
        ({"L1": variant("M", "20.00", 3, product_id="P2")}, "P1", "not a variant"),
        ({"L1": variant("M", None, 3)}, "P1", "no price"),
        ({"L1": variant("M", "20.00", 3, deleted=True)}, "P1", "not a variant"),
        ({"L1": variant("M", "20.00", 3)}, None, "not a variant"),
    ],
)
def test_a_variant_that_cannot_replace_the_line_is_refused(
    wanted: dict[str, CatalogueVariant], product: str | None, why: str
) -> None:
    with pytest.raises(InvalidInput) as bad:
        plan_exchange(exchange_quote(), wanted, {"L1": product}, "USD")
    assert bad.value.field == "exchange[0].variant_id" and why in str(bad.value)


@given(st.decimals(min_value=0, max_value=500, places=2))
def test_charge_and_refund_are_never_both_set_nor_negative(price: Decimal) -> None:
    plan = plan_exchange(exchange_quote(), {"L1": variant("M", str(price), 9)}, {"L1": "P1"}, "USD")
    zero = Money.zero("USD")
    assert zero <= plan.charge and zero <= plan.refund
    assert plan.charge == zero or plan.refund == zero
    assert usd("20.00") + plan.charge - plan.refund == usd(str(price))


def test_exchanges_are_free_of_the_return_fee() -> None:
    policy = policy_from_dict({"resolutions": ["exchange"], "return_fee": {"USD": "4.00"}})
    q = evaluate(policy, ctx(resolution=Resolution.EXCHANGE))
    assert q.return_fee == usd("0") and any(d.rule == "fee.exchange" for d in q.decisions)
    assert evaluate(default_policy(), ctx(resolution=Resolution.EXCHANGE)).verdict is (
        Verdict.REFUSED
    )  # not offered by the default policy
