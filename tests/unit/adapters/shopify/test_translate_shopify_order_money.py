"""A Shopify order's money: totals as the shopper pays them, the shop's and the shopper's
currency, and generated orders whose totals must stay exact Decimals."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.adapters.shopify.payloads import MERCHANT, MULTI, REFERENCE, data, eur, raw, usd

from postpurchase.adapters.storefronts.shopify import parse_order
from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import Discount, ServiceLevel, ShippingLine, TaxLine


class TestReferenceOrder:
    """The REST Admin API reference order: one 199.00 line, a FAKE30 code worth 17.91,
    a 50.00 sale transaction. Stored before as 199.00; the shopper owes 181.09."""

    def test_total_is_what_the_shopper_pays(self):
        cmd = parse_order(raw(REFERENCE), merchant_id=MERCHANT)
        assert cmd.totals is not None
        assert cmd.totals.total == usd("181.09")
        assert cmd.totals.subtotal == usd("181.09")  # subtotal_price: after the discount
        assert cmd.totals.discounts == usd("17.91")
        assert cmd.totals.shipping == usd("0") == cmd.shipping_fee
        assert cmd.totals.tax == usd("0.00")
        assert cmd.totals.paid == usd("50.00")  # 181.09 - 131.09 outstanding
        assert not cmd.totals.taxes_included

    def test_every_listed_field_is_carried(self):
        cmd = parse_order(raw(REFERENCE), merchant_id=MERCHANT)
        assert (cmd.external_id, cmd.number, cmd.email, cmd.phone) == (
            "1073459981",
            "#1002",
            "jane@example.com",
            "+18885551234",
        )
        assert cmd.customer_name == "Jane Smith"  # the recipient
        assert cmd.source_updated_at == datetime(2025, 7, 2, 16, 31, 38, tzinfo=UTC)
        [line] = cmd.lines
        assert (line.sku, line.name, line.quantity, line.unit_price, line.weight_grams) == (
            "IPOD2009BLACK",
            "IPod Touch 8GB - Black",
            1,
            usd("199.00"),
            567,
        )
        facts = line.facts
        assert (facts.external_id, facts.product_id, facts.variant_id, facts.variant_title) == (
            "1071823193",
            "921728736",
            "447654529",
            "Black",
        )
        assert facts.discount == usd("17.91")
        assert facts.tax == usd("0")
        assert facts.requires_shipping and not facts.gift_card and not facts.removed
        assert facts.fulfillable_quantity == 1 and facts.properties == ()
        d = cmd.details
        assert d.customer_name == "John Smith"  # the customer record
        assert d.accepts_marketing is False  # consent "not_subscribed"
        assert d.billing_address == Address(
            country="CA",
            postal_code="K2P 1L4",
            region="ON",
            city="Fakecity",
            line1="123 Fake Street",
            name="John Smith",
            phone="555-555-5555",
        )
        assert (d.shipping_method, d.service_level, d.shipping_lines) == (None, None, ())
        assert (d.note, d.note_attributes, d.tags) == (None, (), ())
        assert (d.financial_status, d.fulfillment_status) == ("paid", None)
        assert (d.presentment_currency, d.presentment_total) == (None, None)  # USD both
        assert d.discounts == (
            Discount(
                kind="code",  # discount_codes names it; Shopify files it as manual
                code="FAKE30",
                amount=usd("17.91"),
                target="lines",
                value="9.0",
                value_type="percentage",
            ),
        )
        assert d.tax_lines == ()
        assert d.extra == {"admin_graphql_api_id": "gid://shopify/Order/1073459981"}

    def test_presentment_mode_with_one_currency_is_the_same(self):
        shop = parse_order(raw(REFERENCE), merchant_id=MERCHANT)
        shown = parse_order(raw(REFERENCE), merchant_id=MERCHANT, use_presentment_currency=True)
        assert shown.totals == shop.totals and shown.lines == shop.lines

    @pytest.mark.parametrize(
        ("status", "paid"),
        [("paid", "181.09"), ("partially_refunded", "181.09"), ("pending", "0"), (None, "0")],
    )
    def test_paid_without_total_outstanding_follows_financial_status(self, status, paid):
        d = data(REFERENCE)
        del d["total_outstanding"]
        d["financial_status"] = status
        cmd = parse_order(d, merchant_id=MERCHANT)
        assert cmd.totals is not None and cmd.totals.paid == usd(paid)

    def test_no_total_price_leaves_totals_to_the_lines(self):
        d = data(REFERENCE)
        del d["total_price"], d["total_price_set"]
        assert parse_order(d, merchant_id=MERCHANT).totals is None


class TestMultiCurrencyOrder:
    def test_shop_money(self):
        cmd = parse_order(raw(MULTI), merchant_id=MERCHANT)
        assert cmd.currency == "USD"
        assert cmd.totals is not None
        t = cmd.totals
        assert (t.subtotal, t.discounts, t.shipping, t.tax, t.total, t.paid) == (
            usd("171.35"),
            usd("18.00"),
            usd("10.00"),
            usd("20.28"),
            usd("181.35"),  # taxes included: subtotal + shipping
            usd("181.35"),
        )
        assert t.taxes_included
        assert cmd.shipping_fee == usd("10.00")
        d = cmd.details
        assert (d.presentment_currency, d.presentment_total) == ("EUR", eur("166.48"))
        assert d.discounts == (
            Discount("code", "WELCOME10", usd("13.00"), "lines", "10.0", "percentage"),
            Discount(
                "automatic",
                "Express für 4,60 € weniger",
                usd("5.00"),
                "shipping",
                "4.6",
                "fixed_amount",
            ),
        )
        assert d.shipping_lines == (
            ShippingLine(
                title="DHL Express Worldwide",
                price=usd("15.00"),
                paid=usd("10.00"),
                code="EXPRESS",
                source="dhl",
                carrier_identifier="3f9bd1ad9c0e48ab2c0e75fd6b2e1fa7",
            ),
        )
        assert d.tax_lines == (TaxLine("DE MwSt", Decimal("0.19"), usd("20.28")),)

    def test_details(self):
        d = parse_order(raw(MULTI), merchant_id=MERCHANT).details
        assert d.customer_name == "Jonas Keller"
        assert d.accepts_marketing is True  # subscribed, though the checkout box was not ticked
        assert d.billing_address is not None and d.billing_address.line1 == "Hafenstraße 12"
        assert (d.shipping_method, d.service_level) == (
            "DHL Express Worldwide",
            ServiceLevel.EXPRESS,
        )
        assert d.note == "Bitte beim Nachbarn abgeben, falls niemand da ist."
        assert d.note_attributes == (("gift_wrap", "yes"), ("delivery_window", "evening"))
        assert d.tags == ("wholesale", "EU", "first-order")
        assert (d.financial_status, d.fulfillment_status) == ("paid", None)

    def test_gift_card_and_digital_lines_are_kept_and_do_not_ship(self):
        cmd = parse_order(raw(MULTI), merchant_id=MERCHANT)
        shell, maps, gift = cmd.lines
        assert shell.facts.requires_shipping and not shell.facts.gift_card
        assert shell.facts.properties == (("Monogram", "JK"), ("_gift", "yes"))
        assert shell.facts.tax == usd("17.24") and shell.facts.discount == usd("12.00")
        assert maps.sku == "MAP-ALP-PDF"
        assert not maps.facts.requires_shipping and not maps.facts.gift_card
        assert gift.sku == "variant-47330012411203"  # no SKU: the variant rule
        assert gift.facts.gift_card and not gift.facts.requires_shipping
        assert gift.facts.discount == usd("0") and gift.facts.tax == usd("0")
        assert gift.facts.variant_title == "€50"

    def test_presentment_mode_reads_every_amount_in_presentment_money(self):
        cmd = parse_order(raw(MULTI), merchant_id=MERCHANT, use_presentment_currency=True)
        assert cmd.currency == "EUR"
        assert [line.unit_price for line in cmd.lines] == [eur("110.00"), eur("9.20"), eur("50.00")]
        assert [line.facts.discount for line in cmd.lines] == [eur("11.00"), eur("0.92"), eur("0")]
        assert [line.facts.tax for line in cmd.lines] == [eur("15.81"), eur("1.32"), eur("0")]
        assert cmd.shipping_fee == eur("9.20")
        t = cmd.totals
        assert t is not None
        assert (t.subtotal, t.discounts, t.shipping, t.tax, t.total, t.paid) == (
            eur("157.28"),
            eur("16.52"),
            eur("9.20"),
            eur("18.60"),
            eur("166.48"),
            eur("166.48"),
        )
        d = cmd.details
        assert [x.amount for x in d.discounts] == [eur("11.92"), eur("4.60")]
        assert d.shipping_lines[0].price == eur("13.80")
        assert d.shipping_lines[0].paid == eur("9.20")
        assert d.tax_lines == (TaxLine("DE MwSt", Decimal("0.19"), eur("18.60")),)
        assert (d.presentment_currency, d.presentment_total) == ("EUR", eur("166.48"))

    @pytest.mark.parametrize(
        ("outstanding", "paid"),
        [("0.00", "166.48"), ("181.35", "0"), ("36.27", "133.18")],  # 36.27 USD ~ 33.30 EUR
    )
    def test_presentment_paid_converts_the_shop_outstanding(self, outstanding, paid):
        d = data(MULTI)
        d["total_outstanding"] = outstanding
        cmd = parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert cmd.totals is not None and cmd.totals.paid == eur(paid)

    def test_a_code_no_application_names_is_added(self):
        d = data(MULTI)
        d["discount_codes"].append({"code": "EXTRA5", "amount": "5.00", "type": "fixed_amount"})
        extra = parse_order(d, merchant_id=MERCHANT).details.discounts[-1]
        assert extra == Discount("code", "EXTRA5", usd("5.00"), "lines", None, "fixed_amount")
        shown = parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert shown.details.discounts[-1].amount == eur("4.59")  # 5.00 x 166.48 / 181.35

    def test_presentment_amount_missing(self):
        d = data(MULTI)
        del d["line_items"][0]["price_set"]
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert info.value.field == "line_items[0].price_set"

    def test_presentment_amount_in_another_currency(self):
        d = data(MULTI)
        d["shipping_lines"][0]["discounted_price_set"]["presentment_money"]["currency_code"] = "GBP"
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert (
            info.value.field
            == "shipping_lines[0].discounted_price_set.presentment_money.currency_code"
        )

    def test_only_digital_goods_and_gift_cards_is_refused(self):
        d = data(MULTI)
        d["line_items"] = d["line_items"][1:]
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT)
        assert info.value.field == "line_items"


# ------------------------------------------------------------------------------------------
# generated orders: totals are exact Decimals and agree with the lines and discounts
# ------------------------------------------------------------------------------------------

_cents = st.integers(min_value=0, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def _generated(draw: st.DrawFn) -> tuple[dict, dict[str, Decimal]]:
    rate = draw(st.sampled_from([Decimal(1), Decimal(2), Decimal(3)]))

    def money(amount: Decimal) -> dict:
        return {
            "shop_money": {"amount": str(amount), "currency_code": "USD"},
            "presentment_money": {"amount": str(amount * rate), "currency_code": "JPY"},
        }

    lines, gross, line_discounts, taxes = [], Decimal(0), Decimal(0), Decimal(0)
    for i in range(draw(st.integers(min_value=1, max_value=5))):
        price, qty = draw(_cents), draw(st.integers(min_value=1, max_value=5))
        off = draw(st.integers(min_value=0, max_value=int(price * qty * 100))) / Decimal(100)
        tax = draw(_cents)
        gross, line_discounts, taxes = gross + price * qty, line_discounts + off, taxes + tax
        lines.append(
            {
                "id": 1000 + i,
                "sku": f"SKU-{i}",
                "name": f"Item {i}",
                "quantity": qty,
                "current_quantity": qty,
                "requires_shipping": True,
                "price": str(price),
                "price_set": money(price),
                "tax_lines": [
                    {"title": "Tax", "rate": 0.1, "price": str(tax), "price_set": money(tax)}
                ],
                "discount_allocations": [
                    {"amount": str(off), "amount_set": money(off), "discount_application_index": 0}
                ],
            }
        )
    ship = draw(_cents)
    ship_off = draw(st.integers(min_value=0, max_value=int(ship * 100))) / Decimal(100)
    included = draw(st.booleans())
    subtotal = gross - line_discounts
    grand = subtotal + (ship - ship_off) + (0 if included else taxes)
    order = {
        "id": 42,
        "currency": "USD",
        "presentment_currency": "JPY",
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:06Z",
        "shipping_address": {"country_code": "US", "zip": "10001"},
        "line_items": lines,
        "shipping_lines": [
            {
                "title": "Standard",
                "price": str(ship),
                "price_set": money(ship),
                "discounted_price": str(ship - ship_off),
                "discounted_price_set": money(ship - ship_off),
                "discount_allocations": [
                    {
                        "amount": str(ship_off),
                        "amount_set": money(ship_off),
                        "discount_application_index": 1,
                    }
                ],
            }
        ],
        "discount_applications": [
            {"type": "manual", "title": "Lines", "target_type": "line_item"},
            {"type": "automatic", "title": "Ship", "target_type": "shipping_line"},
        ],
        "subtotal_price": str(subtotal),
        "subtotal_price_set": money(subtotal),
        "total_discounts": str(line_discounts + ship_off),
        "total_discounts_set": money(line_discounts + ship_off),
        "total_tax": str(taxes),
        "total_tax_set": money(taxes),
        "taxes_included": included,
        "total_price": str(grand),
        "total_price_set": money(grand),
        "total_outstanding": "0.00",
    }
    expected = {
        "rate": rate,
        "subtotal": subtotal,
        "discounts": line_discounts + ship_off,
        "shipping": ship - ship_off,
        "tax": taxes,
        "total": grand,
    }
    return order, expected


@settings(max_examples=150, deadline=None)
@given(_generated(), st.booleans())
def test_generated_totals_are_exact_and_consistent(case, presentment):
    order, expected = case
    cmd = parse_order(order, merchant_id=MERCHANT, use_presentment_currency=presentment)
    factor = expected["rate"] if presentment else Decimal(1)
    cur = "JPY" if presentment else "USD"
    t = cmd.totals
    assert t is not None
    amounts = [t.subtotal, t.discounts, t.shipping, t.tax, t.total, t.paid, cmd.shipping_fee]
    assert all(type(m.amount) is Decimal and m.currency == cur for m in amounts)
    for key in ("subtotal", "discounts", "shipping", "tax", "total"):
        assert getattr(t, key).amount == expected[key] * factor
    assert t.paid == t.total and t.shipping == cmd.shipping_fee
    tax = Money.zero(cur) if t.taxes_included else t.tax
    assert t.total == t.subtotal + t.shipping + tax
    line_discounts = sum((line.facts.discount.amount for line in cmd.lines), Decimal(0))
    gross = sum((line.unit_price.amount * line.quantity for line in cmd.lines), Decimal(0))
    assert gross - line_discounts == t.subtotal.amount
    assert sum((d.amount.amount for d in cmd.details.discounts), Decimal(0)) == t.discounts.amount
    assert sum((x.facts.tax.amount for x in cmd.lines), Decimal(0)) == t.tax.amount
