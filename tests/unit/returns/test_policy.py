"""The return policy decides per line and per return, names its rule, and prices it right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    CustomerLimit,
    KeepIt,
    LineRequest,
    Resolution,
    ReturnPolicy,
    ReturnRequestContext,
    SkuCosts,
    Verdict,
    default_policy,
    evaluate,
    line_refund_cap,
    policy_from_dict,
    policy_to_dict,
)
from postpurchase.domain.returns.policy import DEFAULT_REASONS, LimitAction

UTC_ZONE = ZoneInfo("UTC")
DELIVERED = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)


def usd(v: str) -> Money:
    return Money(Decimal(v), "USD")


def line(**kw: object) -> LineRequest:
    base: dict[str, object] = {
        "line_id": "L1", "sku": "MUG", "quantity": 1, "reason_code": "too_small",
        "line_quantity": 2,
        "delivered": 2, "already_returned": 0, "cap": usd("40.00"), "already_refunded": usd("0"),
        "delivered_at": DELIVERED,
    }  # fmt: skip
    base.update(kw)
    return LineRequest(**base)  # type: ignore[arg-type]


def ctx(*lines: LineRequest, **kw: object) -> ReturnRequestContext:
    base: dict[str, object] = {
        "currency": "USD", "now": DELIVERED + timedelta(days=3), "zone": UTC_ZONE,
        "destination_country": "US", "resolution": Resolution.REFUND, "lines": lines or (line(),),
    }  # fmt: skip
    base.update(kw)
    return ReturnRequestContext(**base)  # type: ignore[arg-type]


def test_within_the_window_is_approved_by_the_window_rule() -> None:
    q = evaluate(default_policy(), ctx())
    assert q.verdict is Verdict.APPROVED
    assert q.lines[0].decision.rule == "window"
    assert "30-day" in q.lines[0].decision.explanation
    assert q.refund == usd("20.00")


def test_outside_the_window_is_refused_and_says_when_it_ended() -> None:
    q = evaluate(default_policy(), ctx(now=DELIVERED + timedelta(days=40)))
    assert q.verdict is Verdict.REFUSED
    d = q.lines[0].decision
    assert (d.rule, d.verdict) == ("window", Verdict.REFUSED)
    assert "2026-03-31" in d.explanation


def test_window_counts_days_on_the_shoppers_calendar() -> None:
    # 22:30 UTC on 1 March is 2 March in Tokyo: the window ends a day later there.
    tokyo, la = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)  # 1 April in Tokyo, 31 March in LA
    assert evaluate(default_policy(), ctx(now=now, zone=tokyo)).verdict is Verdict.APPROVED
    # In LA delivery was on 1 March (14:30), so the window ended on 31 March, and it is
    # still 31 March there: open too. One hour later in LA it is still the 31st.
    assert evaluate(default_policy(), ctx(now=now, zone=la)).verdict is Verdict.APPROVED
    late = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)  # 1 April in LA (01:00)
    assert evaluate(default_policy(), ctx(now=late, zone=la)).verdict is Verdict.REFUSED


def test_eu_right_of_withdrawal_comes_before_final_sale_and_a_short_window() -> None:
    policy = ReturnPolicy(
        reasons=DEFAULT_REASONS, window_days=7, restocking_fee_rate=Decimal("0.1")
    )
    c = ctx(
        now=DELIVERED + timedelta(days=12), destination_country="DE",
        order_tags=frozenset({"final-sale"}), zone=ZoneInfo("Europe/Berlin"),
    )  # fmt: skip
    q = evaluate(policy, c)
    assert q.verdict is Verdict.APPROVED
    assert q.lines[0].decision.rule == "statutory.eu_withdrawal"
    assert q.restocking_fee == usd("0")  # the law allows no restocking fee
    # Outside the US the same request is final sale.
    us = evaluate(
        policy, ctx(now=DELIVERED + timedelta(days=2), order_tags=frozenset({"final-sale"}))
    )
    assert us.lines[0].decision.rule == "final_sale"
    assert us.verdict is Verdict.REFUSED


def test_damaged_asks_for_a_photo_and_review_and_is_free() -> None:
    policy = ReturnPolicy(reasons=DEFAULT_REASONS, return_fee={"USD": Decimal("5")})
    q = evaluate(policy, ctx(line(reason_code="damaged")))
    assert q.verdict is Verdict.REVIEW
    assert q.lines[0].decision.rule == "reason.photo"
    assert q.return_fee == usd("0")
    assert any(d.rule == "fee.merchant_fault" for d in q.decisions)


def test_return_fee_and_restocking_fee_come_off_the_refund() -> None:
    policy = ReturnPolicy(
        reasons=DEFAULT_REASONS, return_fee={"USD": Decimal("5")},
        restocking_fee_rate=Decimal("0.10"), store_credit_bonus_rate=Decimal("0.10"),
    )  # fmt: skip
    q = evaluate(policy, ctx(line(quantity=2)))
    assert (q.items, q.restocking_fee, q.return_fee, q.refund) == (
        usd("40.00"),
        usd("4.00"),
        usd("5"),
        usd("31.00"),
    )
    credit = evaluate(policy, ctx(line(quantity=2), resolution=Resolution.STORE_CREDIT))
    assert credit.return_fee == usd("0")  # waived for credit
    assert credit.refund == usd("36.00") and credit.bonus == usd("3.60")
    assert credit.amount == usd("39.60")


def test_keep_it_is_offered_when_returning_costs_more_than_resale() -> None:
    cheap = SkuCosts(label=Decimal("7"), handling=Decimal("3"), resale_rate=Decimal("0.5"))
    policy = ReturnPolicy(
        reasons=DEFAULT_REASONS, resolutions=frozenset(Resolution),
        keep_it=KeepIt(default=cheap, max_value={"USD": Decimal("25")}),
    )  # fmt: skip
    q = evaluate(policy, ctx())  # 20.00 a unit: resale 10 < label + handling 10? equal: no
    assert not q.keep_it_offered
    q = evaluate(policy, ctx(line(cap=usd("30.00"))))  # 15 a unit: resale 7.50 < 10
    assert q.keep_it_offered and Resolution.KEEP_IT in q.allowed_resolutions
    kept = evaluate(policy, ctx(line(cap=usd("30.00")), resolution=Resolution.KEEP_IT))
    assert kept.verdict is Verdict.APPROVED and kept.refund == usd("15.00")
    dear = evaluate(policy, ctx(line(cap=usd("80.00")), resolution=Resolution.KEEP_IT))
    assert dear.verdict is Verdict.REFUSED  # over max_value: not offered


def test_customer_limit_sends_to_review_or_refuses() -> None:
    policy = ReturnPolicy(reasons=DEFAULT_REASONS, limit=CustomerLimit(3, 90))
    assert evaluate(policy, ctx(customer_returns_in_period=2)).verdict is Verdict.APPROVED
    q = evaluate(policy, ctx(customer_returns_in_period=3))
    assert q.verdict is Verdict.REVIEW and q.decisions[-1].rule in ("limit", "fee.free")
    assert any(d.rule == "limit" for d in q.decisions)
    hard = ReturnPolicy(reasons=DEFAULT_REASONS, limit=CustomerLimit(3, 90, LimitAction.REFUSE))
    assert evaluate(hard, ctx(customer_returns_in_period=5)).verdict is Verdict.REFUSED


def test_gift_returns_are_store_credit_only() -> None:
    q = evaluate(default_policy(), ctx(gift=True))
    assert q.verdict is Verdict.REFUSED
    q = evaluate(default_policy(), ctx(gift=True, resolution=Resolution.STORE_CREDIT))
    assert q.verdict is Verdict.APPROVED and any(d.rule == "gift" for d in q.decisions)
    off = ReturnPolicy(reasons=DEFAULT_REASONS, gift_returns=False)
    assert (
        evaluate(off, ctx(gift=True, resolution=Resolution.STORE_CREDIT)).verdict is Verdict.REFUSED
    )


def test_quantity_above_what_is_left_is_refused() -> None:
    q = evaluate(default_policy(), ctx(line(quantity=2, already_returned=1)))
    assert q.lines[0].decision.rule == "quantity" and q.verdict is Verdict.REFUSED


def test_every_decision_names_a_rule_and_explains_itself() -> None:
    for c in (ctx(), ctx(now=DELIVERED + timedelta(days=99)), ctx(line(reason_code="damaged"))):
        for d in evaluate(default_policy(), c).all_decisions():
            assert d.rule
            assert d.explanation


def test_policy_document_round_trips() -> None:
    policy = ReturnPolicy(
        version=3, reasons=DEFAULT_REASONS, return_fee={"EUR": Decimal("4.50")},
        keep_it=KeepIt(SkuCosts(Decimal(6), Decimal(2), Decimal("0.4")),
                       {"MUG": SkuCosts(Decimal(5), Decimal(1), Decimal("0.2"))}),
        limit=CustomerLimit(4, 60), sku_tags={"MUG": frozenset({"final-sale"})},
    )  # fmt: skip
    assert policy_from_dict(policy_to_dict(policy)) == policy


# ---- properties ---------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10_000, places=2)
rates = st.decimals(min_value=0, max_value=1, places=2)
zones = st.sampled_from(
    ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "America/Sao_Paulo",
     "Asia/Kolkata", "Australia/Lord_Howe"]
)  # fmt: skip


@given(
    unit=amounts, qty=st.integers(1, 20), data=st.data(), tax=amounts, disc=amounts,
    included=st.booleans(), fee=amounts, restock=rates, bonus=rates,
    resolution=st.sampled_from([Resolution.REFUND, Resolution.STORE_CREDIT]),
)  # fmt: skip
def test_refund_is_never_negative_nor_above_what_was_paid(
    unit: Decimal, qty: int, data: st.DataObject, tax: Decimal, disc: Decimal,
    included: bool, fee: Decimal, restock: Decimal, bonus: Decimal, resolution: Resolution,
) -> None:  # fmt: skip
    disc = min(disc, unit * qty)
    cap = line_refund_cap(
        unit_price=usd(str(unit)), quantity=qty, discount=usd(str(disc)), tax=usd(str(tax)),
        taxes_included=included,
    )  # fmt: skip
    assert not cap.is_negative()
    already = data.draw(st.integers(0, qty))
    refunded = usd(str(data.draw(st.decimals(min_value=0, max_value=cap.amount, places=2))))
    returning = data.draw(st.integers(1, qty))
    policy = ReturnPolicy(
        reasons=DEFAULT_REASONS, return_fee={"USD": fee}, restocking_fee_rate=restock,
        store_credit_bonus_rate=bonus,
    )  # fmt: skip
    q = evaluate(
        policy,
        ctx(
            line(quantity=returning, line_quantity=qty, delivered=qty, already_returned=already,
                 cap=cap, already_refunded=refunded),
            resolution=resolution,
        ),
    )  # fmt: skip
    assert not q.refund.is_negative()
    assert not q.bonus.is_negative()
    assert q.refund <= q.items
    assert q.items + refunded <= cap
    assert q.items.amount >= 0


@given(cap=amounts, qty=st.integers(1, 30), data=st.data())
def test_partial_returns_add_up_to_the_line_and_never_above(
    cap: Decimal, qty: int, data: st.DataObject
) -> None:
    """Any split of a line over several returns refunds exactly what was paid, in total."""
    from postpurchase.domain.returns import refund_for_quantity

    money = usd(str(cap))
    returned, refunded = 0, usd("0")
    while returned < qty:
        n = data.draw(st.integers(1, qty - returned))
        part = refund_for_quantity(money, qty, n, returned, refunded)
        assert not part.is_negative()
        returned, refunded = returned + n, refunded + part
        assert refunded <= money
    assert refunded == money


@given(
    zone=zones, days=st.integers(0, 60),
    delivered=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                           timezones=st.just(UTC)),
    offset=st.integers(-3 * 86400, 3 * 86400),
)  # fmt: skip
def test_window_boundary_is_the_end_of_the_last_day_in_the_shoppers_zone(
    zone: str, days: int, delivered: datetime, offset: int
) -> None:
    tz = ZoneInfo(zone)
    local = delivered.astimezone(tz)
    last = local.date() + timedelta(days=days)
    # The instant the shopper's calendar turns to the day after the last day.
    first_closed_day = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)
    closes = first_closed_day.astimezone(UTC)
    now = closes + timedelta(seconds=offset)
    policy = ReturnPolicy(reasons=DEFAULT_REASONS, window_days=days)
    q = evaluate(policy, ctx(line(delivered_at=delivered), now=now, zone=tz))
    open_ = now.astimezone(tz).date() <= last
    assert (q.lines[0].decision.verdict is Verdict.APPROVED) == open_
    assert q.lines[0].decision.rule == "window"


def test_a_misspelt_nested_key_is_refused_naming_it() -> None:
    import pytest

    from postpurchase.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        policy_from_dict({"keep_it": {"default": {"lable": "5"}}})
    assert caught.value.field == "keep_it.default.lable"
    with pytest.raises(InvalidInput) as caught:
        policy_from_dict({"reasons": [{"code": "x", "photo": True}]})
    assert caught.value.field == "reasons[0].photo"
    with pytest.raises(InvalidInput) as caught:
        policy_from_dict({"limit": {"max_returns": 0, "period_days": 30}})
    assert caught.value.field == "limit"


@given(
    zone=zones,
    delivered=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                           timezones=st.just(UTC)),
    offset=st.integers(-2 * 86400, 2 * 86400),
    country=st.sampled_from(["DE", "FR", "NO", "US", "GB", "BR"]),
)  # fmt: skip
def test_the_eu_right_of_withdrawal_ends_with_the_14th_day_in_the_shoppers_zone(
    zone: str, delivered: datetime, offset: int, country: str
) -> None:
    """A 7-day merchant window and a final-sale tag: inside 14 days an EU/EEA shopper may
    still return (rule statutory.eu_withdrawal); anyone else, or after that, may not."""
    tz = ZoneInfo(zone)
    last = delivered.astimezone(tz).date() + timedelta(days=14)
    closes = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    now = closes + timedelta(seconds=offset)
    policy = ReturnPolicy(reasons=DEFAULT_REASONS, window_days=7)
    q = evaluate(
        policy,
        ctx(line(delivered_at=delivered), now=now, zone=tz, destination_country=country,
            order_tags=frozenset({"final-sale"})),
    )  # fmt: skip
    by_law = country in ("DE", "FR", "NO") and now.astimezone(tz).date() <= last
    assert (q.lines[0].decision.rule == "statutory.eu_withdrawal") == by_law
    assert (q.verdict is Verdict.APPROVED) == by_law
