"""Money and details from a CSV order: discounts, tax, totals and the detail columns, the
same as the API and Shopify give (issue 11)."""

import csv
from decimal import Decimal

import pytest
from tests.unit.adapters.csv_orders.csv_rows import EXAMPLE, MERCHANT, one, row, run

from postpurchase.adapters.storefronts.csv_orders import COLUMNS, read_orders
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import Discount, OrderDetails, OrderTotals, ServiceLevel
from postpurchase.domain.orders import LineFacts


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def test_the_example_file_carries_discounts_tax_and_details():
    results = {
        order.external_id: order
        for _, order in read_orders(EXAMPLE, merchant_id=MERCHANT)
        if isinstance(order, PlaceOrder)
    }
    assert sorted(results) == ["5012", "5013", "5014", "5015"]
    maya = results["5012"]
    assert maya.totals == OrderTotals(
        subtotal=usd("59.85"),  # 36.00 + 24.00 + 6.50 - 6.65
        discounts=usd("6.65"),
        shipping=usd("6.95"),
        tax=usd("3.74"),
        total=usd("70.54"),
        paid=usd("70.54"),
    )
    mug, dripper, _ = maya.lines
    assert mug.facts == LineFacts(
        external_id="11042",
        product_id="7301",
        variant_id="44120",
        variant_title="12 oz / Sand",
        discount=usd("3.60"),
        tax=usd("2.02"),
    )
    assert (dripper.facts.requires_shipping, dripper.facts.gift_card) == (True, False)
    details = maya.details
    assert details.discounts == (Discount(kind="code", code="WELCOME10", amount=usd("6.65")),)
    assert (details.shipping_method, details.service_level) == ("UPS Ground", ServiceLevel.STANDARD)
    assert details.billing_address == Address(
        country="US",
        postal_code="02139",
        region="MA",
        city="Cambridge",
        line1="88 Brookline St",
        name="Maya Chen",
    )
    assert details.tags == ("vip", "coffee-club")
    assert (details.financial_status, details.accepts_marketing) == ("paid", True)
    assert details.note == "Gift - please leave out the receipt"
    assert details.customer_name == "Maya Chen"

    lena = results["5014"]
    assert lena.totals is not None and lena.totals.taxes_included
    assert lena.totals.tax == Money(Decimal("15.25"), "EUR")
    assert lena.totals.total == Money(Decimal("95.50"), "EUR")  # 90.60 + 4.90, tax included
    assert lena.details.accepts_marketing is False
    assert [li.facts.external_id for li in lena.lines] == ["22901", "22902"]

    plain = results["5013"]
    assert plain.totals == OrderTotals.derived(usd("69.00"), usd("0"), usd("0.00"))
    assert plain.details == OrderDetails(customer_name="Dev Ramirez")


def test_the_example_file_uses_every_column():
    with EXAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(COLUMNS)
    assert all(any(r[c] for r in rows) for c in COLUMNS)


def test_lines_are_at_list_price_with_their_own_discount_and_tax():
    order = one(
        row(sku="A", quantity="2", unit_price="10.00", line_discount="2.50", line_tax="1.40"),
        row(sku="B", unit_price="5.00"),
    )
    a, b = order.lines
    assert a.unit_price == usd("10.00") and a.facts.discount == usd("2.50")
    assert a.facts.tax == usd("1.40")
    assert b.facts.discount is None and b.facts.tax is None
    assert order.totals == OrderTotals.derived(usd("25.00"), usd("2.50"), usd("0"))
    assert order.details.discounts == ()


def test_a_discount_code_without_an_amount_is_credited_with_the_line_discounts():
    order = one(
        row(sku="A", line_discount="1.00", discount_code="SAVE"),
        row(sku="B", line_discount="0.50"),
    )
    assert order.details.discounts == (Discount(kind="code", code="SAVE", amount=usd("1.50")),)
    assert order.totals is not None
    assert (order.totals.subtotal, order.totals.discounts) == (usd("18.50"), usd("1.50"))


def test_an_order_discount_beyond_the_line_discounts_comes_off_the_subtotal():
    order = one(
        row(sku="A", unit_price="50.00", line_discount="5.00", discount="12.00", tax="3.00"),
        row(sku="B", unit_price="30.00"),
    )
    assert order.details.discounts == (Discount(kind="manual", code=None, amount=usd("12.00")),)
    assert order.totals == OrderTotals(
        subtotal=usd("68.00"),
        discounts=usd("12.00"),
        shipping=usd("0"),
        tax=usd("3.00"),
        total=usd("71.00"),
        paid=usd("71.00"),
    )


def test_a_given_total_and_paid_are_kept_exactly():
    order = one(row(unit_price="10.00", tax="0.83", total="10.82", paid="5.00"))
    assert order.totals is not None
    assert (order.totals.total, order.totals.paid) == (usd("10.82"), usd("5.00"))
    assert order.totals.tax == usd("0.83") and order.totals.subtotal == usd("10.00")
    paid_only = one(row(unit_price="10.00", paid="0"))
    assert paid_only.totals is not None
    assert (paid_only.totals.total, paid_only.totals.paid) == (usd("10.00"), usd("0"))


def test_included_tax_is_not_added_to_the_total():
    order = one(row(unit_price="11.90", shipping_fee="2.00", tax="2.22", taxes_included="yes"))
    assert order.totals is not None
    assert order.totals.taxes_included and order.totals.tax == usd("2.22")
    assert order.totals.total == usd("13.90")


def test_line_facts_columns():
    order = one(
        row(
            sku="GIFT-25",
            line_id="li-9",
            product_id="p-1",
            variant_id="v-2",
            variant_title='"25 / Digital"',
            requires_shipping="no",
            gift_card="YES",
        )
    )
    assert order.lines[0].facts == LineFacts(
        external_id="li-9",
        product_id="p-1",
        variant_id="v-2",
        variant_title="25 / Digital",
        requires_shipping=False,
        gift_card=True,
    )


def test_order_details_columns():
    order = one(
        row(
            customer_name="Avery Lee",
            shipping_method='"UPS Next Day Air"',
            billing_country="ca",
            billing_postal_code="M5V 2T6",
            billing_region="ON",
            billing_city="Toronto",
            billing_line1="410 Front St W",
            billing_name="Avery Lee",
            note='"Leave it, please"',
            tags='"vip, wholesale; vip;;  spring "',
            financial_status="partially_refunded",
            accepts_marketing="1",
        )
    )
    d = order.details
    assert d.customer_name == "Avery Lee"
    assert (d.shipping_method, d.service_level) == ("UPS Next Day Air", ServiceLevel.NEXT_DAY)
    assert d.billing_address == Address(
        "CA", "M5V 2T6", "ON", "Toronto", "410 Front St W", None, "Avery Lee"
    )
    assert d.note == "Leave it, please"
    assert d.tags == ("vip", "wholesale", "spring")
    assert (d.financial_status, d.accepts_marketing) == ("partially_refunded", True)


def test_a_shipping_method_that_says_nothing_of_speed_has_no_service_level():
    order = one(row(shipping_method="Carrier pigeon"))
    assert order.details.shipping_method == "Carrier pigeon"
    assert order.details.service_level is None


@pytest.mark.parametrize(
    ("word", "value"),
    [("true", True), ("TRUE", True), ("yes", True), ("1", True), ("false", False),
     ("No", False), ("0", False), ("", None)],
)  # fmt: skip
def test_booleans(word, value):
    order = one(row(accepts_marketing=word, gift_card=word, taxes_included=word))
    assert order.details.accepts_marketing is value
    assert order.lines[0].facts.gift_card is bool(value)
    assert order.totals is not None and order.totals.taxes_included is bool(value)


@pytest.mark.parametrize(
    "column",
    ["discount_code", "discount", "tax", "total", "tags", "billing_country", "shipping_method",
     "accepts_marketing"],
)  # fmt: skip
def test_new_order_level_columns_must_not_differ_between_rows(column):
    first = {"discount_code": "A", "discount": "1.00", "tax": "1.00", "total": "9.00",
             "tags": "a", "billing_country": "US", "shipping_method": "Ground",
             "accepts_marketing": "yes"}  # fmt: skip
    second = {
        **first,
        column: {"accepts_marketing": "no", "billing_country": "CA"}.get(column, "2"),
    }
    ok = one(row(sku="A", **first), row(sku="B", **first), row(sku="C"))
    assert len(ok.lines) == 3
    [(line, message)] = run(row(sku="A", **first), row(sku="B", **second))
    assert line == 3 and f"line 3, column {column}:" in message
    assert "differs from" in message and "on line 2" in message


@pytest.mark.parametrize(
    ("values", "column", "fragment"),
    [
        ({"line_discount": '"1,50"'}, "line_discount", "no comma"),
        ({"line_discount": "€1.50"}, "line_discount", "no currency sign"),
        ({"line_discount": "-1"}, "line_discount", "negative"),
        ({"line_discount": "10.01"}, "line_discount", "more than the line's 10.00"),
        ({"line_tax": "$0.80"}, "line_tax", "no currency sign"),
        ({"line_tax": "0.8.0"}, "line_tax", "decimal"),
        ({"unit_price": "10.0000001"}, "unit_price", "decimal places"),
        ({"unit_price": "1234567890123"}, "unit_price", "digits"),
        ({"discount": "USD 5"}, "discount", "no currency sign"),
        ({"discount": "10.01"}, "discount", "more than the lines' total (10.00)"),
        ({"discount": "0.50", "line_discount": "1.00"}, "discount", "less than the line discounts"),
        ({"tax": '"1.234,00"'}, "tax", "no comma"),
        ({"total": "£12"}, "total", "no currency sign"),
        ({"paid": "-0.01"}, "paid", "negative"),
        ({"taxes_included": "si"}, "taxes_included", "true or false"),
        ({"accepts_marketing": "maybe"}, "accepts_marketing", "true or false"),
        ({"requires_shipping": "2"}, "requires_shipping", "true or false"),
        ({"gift_card": "t"}, "gift_card", "true or false"),
        ({"billing_country": "USA"}, "billing_country", "ISO 3166"),
        ({"billing_city": "Boston"}, "billing_country", "required when billing_city"),
        ({"line_id": "x" * 129}, "line_id", "longer than 128"),
        ({"product_id": "x" * 129}, "product_id", "longer than 128"),
        ({"variant_id": "x" * 129}, "variant_id", "longer than 128"),
        ({"variant_title": "x" * 201}, "variant_title", "longer than 200"),
        ({"discount_code": "x" * 101}, "discount_code", "longer than 100"),
        ({"shipping_method": "x" * 201}, "shipping_method", "longer than 200"),
        ({"financial_status": "x" * 41}, "financial_status", "longer than 40"),
        ({"tags": "ok;" + "x" * 101}, "tags", "longer than 100"),
        ({"tags": '"' + ",".join(f"t{i}" for i in range(101)) + '"'}, "tags", "more than 100"),
        ({"note": "x" * 1001}, "note", "longer than 1000"),
    ],
)
def test_bad_new_values_name_line_and_column(values, column, fragment):
    [(line, message)] = run(row(**values))
    assert line == 2
    assert f"line 2, column {column}:" in message
    assert fragment in message


def test_a_bad_line_value_names_its_own_line():
    [(line, message)] = run(row(sku="A"), row(sku="B", line_tax='"1,00"'), row(sku="C"))
    assert line == 3
    assert message.startswith("order 'E1' (lines 2-4) rejected: line 3, column line_tax:")


def test_a_bad_order_value_is_blamed_on_the_row_that_gave_it():
    [(line, message)] = run(row(sku="A"), row(sku="B", total='"12,00"'))
    assert line == 3 and "line 3, column total:" in message


def test_a_line_id_or_sku_twice_in_one_order_is_refused():
    [(line, message)] = run(row(sku="A", line_id="1"), row(sku="B", line_id="1"))
    assert line == 3 and "column line_id: '1' is also on line 2" in message
    [(line, message)] = run(row(sku="A"), row(sku="A"))
    assert line == 3 and "column sku: 'A' is also on line 2" in message


def test_a_bad_order_does_not_reject_its_neighbours():
    results = run(
        row(external_id="A", discount="99.00"),
        row(external_id="B", discount_code="X", tax="1.00"),
    )
    assert isinstance(results[0][1], str) and "column discount" in results[0][1]
    assert isinstance(results[1][1], PlaceOrder)
