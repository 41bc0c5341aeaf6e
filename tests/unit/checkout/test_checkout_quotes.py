"""Quotes: cached per cut-off window, never served past the cut-off, and always saying
which layer answered."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from postpurchase.adapters.checkout.rules_engine import RulesCheckoutEngine, calendar_for
from postpurchase.domain.checkout.query import CheckoutQuery
from postpurchase.domain.checkout.settings import CheckoutSettings
from postpurchase.domain.edd.types import Estimate, EstimateRequest, Layer
from postpurchase.service_layer.checkout.estimates import CheckoutQuotes, Merchant

SHOP = Merchant("m1", "Europe/London", CheckoutSettings(cutoff=time(15), handling_days=1,
                                                        ship_from_country="GB"))  # fmt: skip
QUERY = CheckoutQuery.parse(country="GB", postal_code="M1 1AE", method="express")


class LearnedStandIn:
    """An engine shaped like the learned one: a model version in every estimate."""

    def __init__(self) -> None:
        self.calls = 0

    def estimate(self, request: EstimateRequest) -> Estimate:
        self.calls += 1
        d = request.ordered_at.date() + timedelta(days=2)
        return Estimate(d, d, d + timedelta(days=1), d + timedelta(days=2), 0.95,
                        Layer.LEARNED, "v3")  # fmt: skip


def test_one_answer_per_cut_off_window_and_a_new_one_after_it() -> None:
    engine = LearnedStandIn()
    quotes = CheckoutQuotes(lambda _id: engine, calendar_for)
    tue_morning = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    first = quotes.quote(SHOP, QUERY, tue_morning)
    again = quotes.quote(SHOP, QUERY, tue_morning + timedelta(hours=5, minutes=59))
    assert again is first and engine.calls == 1
    assert first.cutoff_at == datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    assert first.layer == "model:v3" and first.hand_over == date(2026, 12, 9)
    after = quotes.quote(SHOP, QUERY, first.cutoff_at)
    assert engine.calls == 2 and after.cutoff_at == datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    assert after.hand_over == date(2026, 12, 10)


def test_the_rules_layer_by_default_with_holidays_at_the_origin() -> None:
    quotes = CheckoutQuotes(lambda _id: RulesCheckoutEngine(), calendar_for)
    christmas_eve = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)  # after the 15:00 cut-off
    q = quotes.quote(SHOP, QUERY, christmas_eve)
    assert q.layer == "rules" and q.estimate.model == "rules/default"
    # 25 Dec (Fri), the weekend and 28 Dec (Boxing Day observed) are closed in England.
    assert q.cutoff_at == datetime(2026, 12, 29, 15, 0, tzinfo=UTC)
    assert q.hand_over == date(2026, 12, 30)


def test_a_new_engine_or_new_settings_are_never_answered_from_the_old_entry() -> None:
    engines = [LearnedStandIn()]
    quotes = CheckoutQuotes(lambda _id: engines[-1], calendar_for)
    now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    quotes.quote(SHOP, QUERY, now)
    engines.append(LearnedStandIn())
    quotes.quote(SHOP, QUERY, now)
    assert engines[-1].calls == 1
    slower = Merchant(SHOP.id, SHOP.timezone, CheckoutSettings(handling_days=3))
    assert quotes.quote(slower, QUERY, now).hand_over == date(2026, 12, 11)


def test_the_cache_stays_bounded() -> None:
    quotes = CheckoutQuotes(lambda _id: RulesCheckoutEngine(), calendar_for, max_entries=3)
    now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    for code in ["M1 1AE", "M2 1AE", "M3 1AE", "M4 1AE", "M5 1AE"]:
        quotes.quote(SHOP, CheckoutQuery.parse(country="GB", postal_code=code,
                                               method="standard"), now)  # fmt: skip
    assert len(quotes._entries) <= 3
