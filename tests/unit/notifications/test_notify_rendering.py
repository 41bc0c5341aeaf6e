"""Templates: every flow renders in every locale on every channel, with Babel formatting,
escaping, and no sentence missing in any language."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from postpurchase.adapters.notifications.rendering import SMS_MAX, JinjaRenderer, missing_strings
from postpurchase.adapters.notifications.samples import sample_context
from postpurchase.domain.money import Money
from postpurchase.domain.notifications import (
    FLOWS,
    SUPPORTED_LOCALES,
    Branding,
    Channel,
    LineItem,
)
from postpurchase.service_layer.notification_ports import RenderError

R = JinjaRenderer()


def test_every_locale_has_every_sentence() -> None:
    assert missing_strings() == {}


@pytest.mark.parametrize("flow", list(FLOWS))
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_flow_renders_everywhere(flow: str, locale: str) -> None:
    email = R.render(sample_context(flow, locale, Channel.EMAIL))
    assert email.subject and "\n" not in email.subject and "#1001" in email.subject
    assert email.html and "<html" in email.html and "#1001" in email.html
    if flow == "return_gift_credit":  # to the gift's recipient: not the giver's order page
        assert "sample-token" not in email.text and "abcd-efgh" in email.text
    else:
        assert "https://shop.example.com/t/sample-token" in email.text
    assert "notifications/unsubscribe/sample" in email.html
    sms = R.render(sample_context(flow, locale, Channel.SMS))
    assert sms.html is None and 20 < len(sms.text) <= SMS_MAX
    assert "{" not in email.text + sms.text, "an unfilled placeholder"


@pytest.mark.parametrize(
    ("locale", "money", "date_part"),
    [
        ("en", "$50.10", "Friday, November 27, 2026"),
        ("pt-BR", "R$ 50,10", "27 de novembro de 2026"),
        ("de", "50,10 €", "27. November 2026"),
        ("fr", "50,10 €", "27 novembre 2026"),
        ("es", "50,10 €", "27 de noviembre de 2026"),
    ],
)
def test_money_and_dates_are_formatted_for_the_locale(
    locale: str, money: str, date_part: str
) -> None:
    confirm = R.render(sample_context("order_confirmed", locale)).text
    assert money.replace(" ", "\xa0") in confirm or money in confirm
    shipped = R.render(sample_context("shipped", locale)).text
    assert date_part in shipped


def test_merchant_text_is_escaped_in_html() -> None:
    ctx = replace(
        sample_context("delayed", "en"),
        merchant_name="<script>x</script>",
        remedy="<b>free</b> shipping",
    )
    html = R.render(ctx).html or ""
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;free" in html


def test_branding_reaches_the_email() -> None:
    brand = Branding(logo_url="https://cdn.example/logo.png", primary_color="#ff0000")
    html = R.render(replace(sample_context("shipped", "en"), branding=brand)).html or ""
    assert 'src="https://cdn.example/logo.png"' in html and "background:#ff0000" in html


def test_delivered_email_carries_the_one_question_survey() -> None:
    html = R.render(sample_context("delivered", "en")).html or ""
    for n in range(1, 6):
        assert f"/t/sample-token/survey?rating={n}" in html


def test_unknown_flow_or_locale_is_a_render_error() -> None:
    with pytest.raises(RenderError):
        R.render(replace(sample_context("shipped", "en"), flow="teleported"))
    with pytest.raises(RenderError):
        R.render(replace(sample_context("shipped", "en"), locale="xx"))


def test_a_broken_template_is_a_render_error(tmp_path) -> None:
    import shutil

    from postpurchase.adapters.notifications.rendering import TEMPLATES

    shutil.copytree(TEMPLATES, tmp_path / "t")
    (tmp_path / "t" / "flows" / "shipped" / "sms.txt").write_text("{{ t('sms', order=order }}")
    with pytest.raises(RenderError):
        JinjaRenderer(tmp_path / "t").render(sample_context("shipped", "en", Channel.SMS))


def test_the_order_summary_shows_money_as_the_shopper_paid_it() -> None:
    """Lines at list price, then the discount (with its code), shipping and tax: the rows
    add up to the total the shopper paid."""
    usd = "USD"
    ctx = replace(
        sample_context("order_confirmed", "en"),
        lines=(
            LineItem("Trail boot", 1, Money(Decimal("179.00"), usd)),
            LineItem("Sock", 2, Money(Decimal("20.00"), usd)),
        ),
        discount=Money(Decimal("17.91"), usd),
        discount_codes=("BOOTS10",),
        shipping_fee=Money(Decimal("0.00"), usd),
        tax=Money(Decimal("12.68"), usd),
        order_total=Money(Decimal("193.77"), usd),
    )
    rendered = R.render(ctx)
    text = " ".join(rendered.text.split())
    assert "Discount (BOOTS10) -$17.91" in text
    assert "Tax $12.68" in text and "Total $193.77" in text
    html = rendered.html or ""
    assert "BOOTS10" in html and "$12.68" in html and "$193.77" in html
    included = R.render(
        replace(ctx, taxes_included=True, order_total=Money(Decimal("181.09"), usd))
    )
    flat = " ".join(included.text.split())
    assert "Total $181.09 Including tax $12.68" in flat and "Tax $12.68" not in flat


def test_an_order_shown_in_the_shoppers_currency_lists_lines_without_shop_prices() -> None:
    cad = "CAD"
    ctx = replace(
        sample_context("order_confirmed", "en"),
        lines=(LineItem("Trail boot", 1, None), LineItem("Sock", 2, None)),
        items_total=Money(Decimal("161.15"), cad),
        shipping_fee=Money(Decimal("10.26"), cad),
        tax=Money(Decimal("20.95"), cad),
        order_total=Money(Decimal("192.36"), cad),
    )
    text = " ".join(R.render(ctx).text.split())
    assert "1 x Trail boot 2 x Sock Your items CA$161.15" in text
    assert "Total CA$192.36" in text and "$0" not in text
