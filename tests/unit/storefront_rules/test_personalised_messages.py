"""Messages personalised by order content, delivery history and locale: a delivery later
than promised is apologised for (and names the remedy the merchant's rule gives), the
shipped and delivered e-mails carry the recommended products, in every language."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.samples import sample_context
from postpurchase.domain.money import Money
from postpurchase.domain.notifications import SUPPORTED_LOCALES, Channel, ProductLink
from postpurchase.domain.orders import Order, Promise
from postpurchase.domain.remedies import RemedyKind, RemedyRule
from postpurchase.service_layer.notification_ports import Personal
from tests.unit.notifications.test_notify_service import World

SOCKS = ProductLink(
    "Wool socks", "https://shop.test/r/abc.def", None, Money(Decimal("9.90"), "USD")
)


class Personaliser:
    def __init__(self, rule: RemedyRule | None) -> None:
        self.rule = rule
        self.asked: list[tuple[str, str]] = []

    def __call__(self, merchant_id: str, order: Order, flow: str, now: datetime) -> Personal:
        self.asked.append((order.id, flow))
        return Personal(products=(SOCKS,), remedy_rule=self.rule)


def delivered_world(promised: date, rule: RemedyRule | None, locale: str = "en") -> World:
    w = World()
    w.order = w.add_order(promise=Promise(promised), locale=locale)
    w.shipment = w.add_shipment(w.order)
    w.svc.personaliser = Personaliser(rule)
    w.scan("delivered")  # 2026-11-24 12:00 in New York
    w.run(minutes=30)
    return w


def test_a_late_delivery_apologises_and_names_the_remedy() -> None:
    w = delivered_world(date(2026, 11, 21), RemedyRule(enabled=True))
    [mail] = [m for m in w.email.sent if "deliver" in m.subject.lower()]
    assert "Your order has arrived, later than we promised" in (mail.html or "")
    assert "it should have been with you by Saturday, November 21, 2026" in mail.text
    assert "we have refunded your shipping fee of $5.00" in mail.text
    assert "Wool socks ($9.90): https://shop.test/r/abc.def" in mail.text
    assert 'href="https://shop.test/r/abc.def"' in (mail.html or "")
    assert "In this order: Mug." in mail.text


def test_on_time_says_no_sorry_and_an_off_rule_no_remedy() -> None:
    on_time = delivered_world(date(2026, 11, 24), RemedyRule(enabled=True))
    [mail] = on_time.email.sent
    assert "sorry" not in mail.text.lower() and "refunded" not in mail.text
    late_no_rule = delivered_world(date(2026, 11, 20), RemedyRule(enabled=False))
    [mail] = late_no_rule.email.sent
    assert "sorry" in mail.text.lower() and "refunded" not in mail.text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", list(RemedyKind))
def test_every_language_has_the_personal_sentences(locale: str, kind: RemedyKind) -> None:
    base = sample_context("delivered", locale)
    ctx = replace(
        base, days_late=2, promised=date(2026, 11, 20), remedy_kind=kind.value,
        remedy_amount=base.shipping_fee, products=(SOCKS,), headline_item="Mug", other_items=2,
    )  # fmt: skip
    out = JinjaRenderer().render(ctx)
    assert SOCKS.url in out.text and SOCKS.url in (out.html or "")
    assert "Mug" in out.text
    sms = JinjaRenderer().render(replace(ctx, channel=Channel.SMS))
    on_time = JinjaRenderer().render(replace(ctx, channel=Channel.SMS, days_late=0))
    assert sms.text != on_time.text  # the late text message says sorry too
    shipped = JinjaRenderer().render(replace(ctx, flow="shipped"))
    assert SOCKS.url in shipped.text


def test_sms_and_other_flows_carry_no_products() -> None:
    w = World()
    w.svc.personaliser = personaliser = Personaliser(None)
    w.scan("out_for_delivery")
    w.run(minutes=30)
    assert w.email.sent or w.sms.sent
    assert all(SOCKS.url not in m.text for m in w.email.sent)
    assert all(SOCKS.url not in m.body for m in w.sms.sent)
    assert personaliser.asked == []  # not even read for other flows
