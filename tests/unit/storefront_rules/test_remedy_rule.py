"""The late-delivery remedy: once late beyond the grace days, the shipping fee (never more);
on time, nothing; the rule document refuses unknown keys and wrong types naming them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.remedies import (
    MAX_GRACE_DAYS,
    RemedyKind,
    RemedyRule,
    days_late,
    decide,
    rule_from_dict,
    rule_to_dict,
)

rules = st.builds(
    RemedyRule,
    enabled=st.booleans(),
    kind=st.sampled_from(list(RemedyKind)),
    grace_days=st.integers(0, MAX_GRACE_DAYS),
    apologise=st.booleans(),
)
DAY = date(2026, 3, 1)
fees = st.decimals(min_value=0, max_value=100, places=2).map(lambda d: Money(d, "EUR"))


@given(rules, st.one_of(st.none(), st.integers(-10, 10)), st.integers(-10, 30), fees)
def test_remedy_only_when_late_beyond_grace_and_never_more_than_shipping(
    rule: RemedyRule, promised_offset: int | None, delivered_offset: int, fee: Money
) -> None:
    promised = None if promised_offset is None else DAY + timedelta(days=promised_offset)
    delivered = DAY + timedelta(days=delivered_offset)
    remedy = decide(rule, promised, delivered, fee)
    late = days_late(promised, delivered)
    if remedy is None:
        assert not rule.enabled or promised is None or late <= rule.grace_days or fee.amount == 0
    else:
        assert rule.enabled and promised is not None
        assert late > rule.grace_days
        assert remedy.amount == fee and remedy.amount.amount > 0
        assert remedy.kind is rule.kind
        assert remedy.days_late == late == (delivered - promised).days


def test_delivered_on_the_promised_day_is_on_time() -> None:
    rule = RemedyRule(enabled=True)
    assert decide(rule, DAY, DAY, Money(Decimal("4.90"), "EUR")) is None
    late = decide(rule, DAY, DAY + timedelta(days=1), Money(Decimal("4.90"), "EUR"))
    assert late is not None and late.days_late == 1 and late.amount.amount == Decimal("4.90")


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"refund": True}, "refund"),
        ({"enabled": 1}, "enabled"),
        ({"kind": "voucher"}, "kind"),
        ({"grace_days": -1}, "grace_days"),
        ({"grace_days": 15}, "grace_days"),
        ({"grace_days": "2"}, "grace_days"),
        ({"apologise": "no"}, "apologise"),
    ],
)
def test_bad_rule_names_the_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rule_from_dict(doc)
    assert err.value.field == field


@given(rules)
def test_rule_round_trip(rule: RemedyRule) -> None:
    assert rule_from_dict(rule_to_dict(rule)) == rule
