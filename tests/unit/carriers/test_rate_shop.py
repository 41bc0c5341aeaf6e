"""Rate shopping with in-memory carriers: transit days dated by our calendar, a carrier that
does not answer in time reported, money never compared across currencies."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AccountMode,
    CarrierAccount,
    Connector,
    Parcel,
    RateQuote,
    RateRequest,
)
from postpurchase.domain.money import Money
from postpurchase.service_layer.carriers.rates import shop

REQUEST = RateRequest(Address("US", "43215"), Address("US", "94103"), (Parcel(500),))
MONDAY = date(2026, 12, 7)


class FakeCarrier:
    max_batch = 10

    def __init__(self, carrier: str, quotes: list[RateQuote], delay: float = 0.0) -> None:
        self.carrier, self.quotes, self.delay = carrier, quotes, delay

    def rate(self, request: RateRequest) -> list[RateQuote]:
        time.sleep(self.delay)
        return self.quotes


def account(carrier: str) -> CarrierAccount:
    return CarrierAccount(carrier, "m1", carrier, Connector.KARRIO, AccountMode.TEST)


def q(carrier: str, amount: str, *, day: date | None = None, transit: int | None = None,
      currency: str = "USD") -> RateQuote:  # fmt: skip
    return RateQuote(carrier, "ground", Money(Decimal(amount), currency), day, transit)


def business_days(n: int) -> date:
    d, left = MONDAY, n
    while left:
        d += timedelta(days=1)
        if d.weekday() < 5:
            left -= 1
    return d


def test_transit_days_are_dated_and_held_against_the_promise() -> None:
    carriers = {
        "ups": FakeCarrier("ups", [q("ups", "9.00", transit=3)]),  # Thursday
        "usps": FakeCarrier("usps", [q("usps", "7.00", transit=6)]),  # next Tuesday
    }
    result = shop(
        [account("ups"), account("usps")], lambda a: carriers[a.carrier], REQUEST,
        deliver_by=date(2026, 12, 11), date_from_transit=business_days,
    )  # fmt: skip
    assert result.chosen is not None and result.chosen.carrier == "ups"
    assert result.chosen.delivery_date == date(2026, 12, 10) and result.chosen.date_estimated
    (usps,) = result.alternatives
    assert usps.quote.delivery_date == date(2026, 12, 15)
    assert usps.why_not.startswith("misses the promise")


def test_a_carrier_past_the_deadline_is_reported_not_waited_for() -> None:
    carriers = {
        "ups": FakeCarrier("ups", [q("ups", "9.00", day=MONDAY)]),
        "dhl": FakeCarrier("dhl", [q("dhl", "5.00", day=MONDAY)], delay=2.0),
    }
    started = time.monotonic()
    result = shop([account("ups"), account("dhl")], lambda a: carriers[a.carrier], REQUEST,
                  timeout=0.3)  # fmt: skip
    assert time.monotonic() - started < 1.5
    assert result.timed_out == ["dhl"] and result.chosen.carrier == "ups"


def test_two_currencies_are_never_compared() -> None:
    carriers = {
        "ups": FakeCarrier("ups", [q("ups", "9.00", day=MONDAY)]),
        "canada_post": FakeCarrier(
            "canada_post", [q("canada_post", "8.00", day=MONDAY, currency="CAD")]
        ),
    }
    result = shop([account("ups"), account("canada_post")], lambda a: carriers[a.carrier],
                  REQUEST)  # fmt: skip
    assert result.chosen is None and "several currencies" in result.why
