import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.adapters.storefronts.csv_orders import (
    COLUMNS,
    MAX_ROWS_PER_ORDER,
    count_rows,
    read_orders,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import Discount, OrderDetails, OrderTotals, ServiceLevel
from postpurchase.domain.orders import LineFacts, Promise
from postpurchase.entrypoints.api.routes.orders import place_order_command
from postpurchase.entrypoints.api.schemas import OrderCreate

FIXTURE = Path(__file__).parents[2] / "fixtures" / "payloads" / "orders_import.csv"
MERCHANT = "m_north_wind"
HEADER = ",".join(COLUMNS)


def row(**values: str) -> str:
    base = {
        "external_id": "E1",
        "placed_at": "2026-11-17T09:00:00Z",
        "currency": "USD",
        "sku": "SKU-1",
        "name": "Thing",
        "quantity": "1",
        "unit_price": "10.00",
        "ship_country": "US",
    }
    base.update(values)
    return ",".join(base.get(column, "") for column in COLUMNS)


def run(*rows: str, header: str = HEADER) -> list:
    text = "\n".join([header, *rows]) + "\n"
    return list(read_orders(io.StringIO(text, newline=""), merchant_id=MERCHANT))


def test_fixture_file_good_and_bad_orders():
    results = list(read_orders(FIXTURE, merchant_id=MERCHANT))
    assert [line for line, _ in results] == [2, 4, 6, 7]
    first = results[0][1]
    assert isinstance(first, PlaceOrder)
    assert first.merchant_id == MERCHANT
    assert first.external_id == "EXT-1001"
    assert first.number == "#1001"
    assert first.email == "avery.lee@example.com"
    assert first.phone == "+14165550142"
    assert first.customer_name == "Avery Lee"
    assert first.locale == "en-CA"
    assert first.currency == "USD"
    assert first.placed_at == datetime(2026, 11, 17, 14, 3, 55, tzinfo=UTC)
    assert first.shipping_fee == Money(Decimal("7.45"), "USD")
    assert first.promise == Promise(latest=date(2026, 11, 24), earliest=date(2026, 11, 21))
    assert first.source == "csv"
    assert [(x.sku, x.quantity, x.unit_price.amount, x.weight_grams) for x in first.lines] == [
        ("TRJ-SLT-M", 2, Decimal("49.00"), 380),
        ("SOCK-3PK", 1, Decimal("19.00"), 360),
    ]
    address = first.shipping_address
    assert (address.country, address.postal_code, address.region, address.city) == (
        "CA",
        "M5V 2T6",
        "ON",
        "Toronto",
    )
    assert (address.line1, address.name) == ("410 Front Street West", "Avery Lee")

    second = results[1][1]
    assert isinstance(second, PlaceOrder)
    assert second.lines[0].name == "Enamel Mug, 12 oz"
    assert second.shipping_address.line1 == "2150 N Lincoln Park W, Apt 4"
    assert second.locale == "en"
    assert second.promise == Promise(latest=date(2026, 11, 22))
    assert second.shipping_fee == Money(Decimal("0"), "USD")

    line, message = results[2]
    assert line == 6
    assert message == (
        "order 'EXT-1003' (lines 5-6) rejected: "
        "line 6, column quantity: 'two' is not a whole number"
    )

    fourth = results[3][1]
    assert isinstance(fourth, PlaceOrder)
    assert fourth.currency == "EUR"
    assert fourth.shipping_address.line1 == "Invalidenstraße 1"


def test_count_rows_for_progress():
    assert count_rows(FIXTURE) == 6


def test_progress_reports_rows_consumed():
    seen: list[int] = []
    list(read_orders(FIXTURE, merchant_id=MERCHANT, progress=seen.append))
    assert seen == [2, 3, 5, 6]


def test_order_level_columns_may_repeat_identically():
    [(line, order)] = run(row(sku="A"), row(sku="B", shipping_fee=""))
    assert line == 2 and isinstance(order, PlaceOrder)
    assert [x.sku for x in order.lines] == ["A", "B"]


def test_inconsistent_order_level_column_rejects_the_order():
    [(line, message)] = run(row(sku="A"), row(sku="B", currency="EUR"))
    assert line == 3
    assert "order 'E1' (lines 2-3) rejected: line 3, column currency:" in message
    assert "differs from 'USD' on line 2" in message


@pytest.mark.parametrize(
    ("values", "column", "fragment"),
    [
        ({"placed_at": "2026-11-17T09:00:00"}, "placed_at", "UTC offset"),
        ({"placed_at": "17/11/2026"}, "placed_at", "ISO 8601"),
        ({"placed_at": ""}, "placed_at", "required"),
        ({"currency": "dollars"}, "currency", "ISO 4217"),
        ({"sku": ""}, "sku", "required"),
        ({"name": ""}, "name", "required"),
        ({"quantity": "0"}, "quantity", "at least 1"),
        ({"quantity": "1.5"}, "quantity", "whole number"),
        ({"quantity": ""}, "quantity", "required"),
        ({"unit_price": "$10"}, "unit_price", "decimal"),
        ({"unit_price": '"1,299.00"'}, "unit_price", "decimal"),
        ({"unit_price": "-1"}, "unit_price", "negative"),
        ({"unit_price": "NaN"}, "unit_price", "decimal"),
        ({"weight_grams": "-3"}, "weight_grams", "whole number"),
        ({"shipping_fee": "free"}, "shipping_fee", "decimal"),
        ({"ship_country": "USA"}, "ship_country", "ISO 3166"),
        ({"ship_country": ""}, "ship_country", "required"),
        ({"email": "not-an-email"}, "email", "e-mail"),
        ({"locale": "english please"}, "locale", "locale"),
        ({"promise_date": "next week"}, "promise_date", "date"),
        ({"promise_earliest": "2026-11-20"}, "promise_earliest", "needs promise_date"),
        (
            {"promise_date": "2026-11-20", "promise_earliest": "2026-11-25"},
            "promise_earliest",
            "window",
        ),
    ],
)
def test_bad_values_name_line_and_column(values, column, fragment):
    [(line, message)] = run(row(**values))
    assert line == 2
    assert f"line 2, column {column}:" in message
    assert fragment in message


def test_one_bad_row_rejects_its_order_but_not_the_others():
    results = run(
        row(external_id="A", sku="1"),
        row(external_id="B", sku="1"),
        row(external_id="B", sku="2", unit_price="x"),
        row(external_id="B", sku="3"),
        row(external_id="C", sku="1"),
    )
    assert [line for line, _ in results] == [2, 4, 6]
    assert isinstance(results[0][1], PlaceOrder)
    assert results[1][1].startswith("order 'B' (lines 3-5) rejected: line 4, column unit_price")
    assert isinstance(results[2][1], PlaceOrder)


def test_rows_of_an_order_must_be_contiguous():
    results = run(row(external_id="A"), row(external_id="B"), row(external_id="A", sku="X"))
    assert isinstance(results[0][1], PlaceOrder)
    assert isinstance(results[1][1], PlaceOrder)
    line, message = results[2]
    assert line == 4
    assert "already appeared on line 2" in message


def test_missing_external_id_is_its_own_error():
    results = run(row(external_id=""), row(external_id="A"))
    assert results[0] == (
        2,
        "row (line 2) rejected: line 2, column external_id: required",
    )
    assert isinstance(results[1][1], PlaceOrder)


def test_too_many_fields_on_a_row():
    [(line, message)] = run(row() + ",extra")
    assert line == 2 and "fields, the header has" in message


def test_short_rows_are_padded_with_blanks():
    header = "external_id,placed_at,currency,sku,name,quantity,unit_price,ship_country,email"
    [(_, order)] = run("E9,2026-11-17T09:00:00Z,USD,S,N,1,5,US", header=header)
    assert isinstance(order, PlaceOrder) and order.email is None


def test_header_names_are_case_insensitive_and_columns_may_be_reordered():
    header = " Ship_Country ,UNIT_PRICE,quantity,name,sku,currency,placed_at,external_id"
    [(_, order)] = run("us,3.50,2,Pen,PEN-1,usd,2026-11-17T09:00:00+02:00,E7", header=header)
    assert isinstance(order, PlaceOrder)
    assert order.currency == "USD" and order.shipping_address.country == "US"
    assert order.number == "E7"


def test_blank_lines_are_skipped_and_line_numbers_stay_physical():
    results = run("", row(external_id="A"), "", row(external_id="B", quantity="x"))
    assert results[0][0] == 3
    assert results[1][0] == 5 and "line 5, column quantity" in results[1][1]


def test_quoted_newline_keeps_line_numbers_right():
    results = run(row(external_id="A", name='"two\nlines"'), row(external_id="B", quantity="0"))
    assert results[0][1].lines[0].name == "two\nlines"
    assert results[1][0] == 4


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("", "header"),
        ("external_id,placed_at", "currency"),
        (HEADER + ",coupon", "coupon"),
        (HEADER + ",sku", "sku"),
        (HEADER + ",", "header"),
    ],
)
def test_file_level_errors_raise(header, field):
    with pytest.raises(InvalidInput) as info:
        run(header=header)
    assert info.value.field == field


def test_empty_file_raises_and_counts_zero(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert count_rows(empty) == 0
    with pytest.raises(InvalidInput):
        list(read_orders(empty, merchant_id=MERCHANT))


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text(HEADER + "\n" + row() + "\n", encoding="utf-8-sig")
    [(_, order)] = list(read_orders(path, merchant_id=MERCHANT))
    assert isinstance(order, PlaceOrder)


def test_order_with_too_many_rows_is_rejected_without_holding_them():
    rows = [row(sku=f"S{i}") for i in range(MAX_ROWS_PER_ORDER + 5)]
    [(line, message)] = run(*rows)
    assert line == 2 and f"more than {MAX_ROWS_PER_ORDER} rows" in message


def test_streams_lazily():
    consumed = 0

    def lines():
        nonlocal consumed
        for text in [HEADER, *(row(external_id=f"E{i}") for i in range(10_000))]:
            consumed += 1
            yield text + "\n"

    results = read_orders(lines(), merchant_id=MERCHANT)
    assert next(results)[0] == 2
    assert consumed == 3  # the header, E0, and E1 which ends E0's group
    assert next(results)[0] == 3
    assert consumed == 4


# --- money and details: the same as the API and Shopify give (issue 11) ---------------------

EXAMPLE = Path(__file__).parents[3] / "examples" / "orders.csv"


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def one(*rows: str) -> PlaceOrder:
    [(_, order)] = run(*rows)
    assert isinstance(order, PlaceOrder), order
    return order


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


# --- the property: a CSV order has the totals the API gives the same inputs ---------------

_cents = st.integers(min_value=0, max_value=99_999).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def _orders(draw: st.DrawFn) -> dict:
    lines = []
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        quantity = draw(st.integers(min_value=1, max_value=5))
        price = draw(_cents)
        gross = price * quantity
        discount = draw(st.none() | _cents.filter(lambda d, g=gross: d <= g))
        lines.append({"sku": f"S{i}", "name": f"Thing {i}", "quantity": quantity,
                      "unit_price": price, "discount": discount})  # fmt: skip
    gross = sum((li["unit_price"] * li["quantity"] for li in lines), Decimal(0))
    on_lines = sum((li["discount"] or Decimal(0) for li in lines), Decimal(0))
    code = draw(st.none() | st.sampled_from(["WELCOME10", "VIP", "BF-2026"]))
    amount = draw(st.none() | _cents.filter(lambda d: on_lines <= d <= gross))
    return {
        "lines": lines,
        "shipping_fee": draw(_cents),
        "code": code,
        "amount": amount,
        "tax": draw(st.none() | _cents),
        "taxes_included": draw(st.booleans()),
        "total": draw(st.none() | _cents),
        "paid": draw(st.none() | _cents),
    }


def _as_csv(o: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    order_level = {
        "external_id": "P1", "placed_at": "2026-11-17T09:00:00Z", "currency": "USD",
        "ship_country": "US", "shipping_fee": str(o["shipping_fee"]),
        "discount_code": o["code"] or "",
        "discount": "" if o["amount"] is None else str(o["amount"]),
        "tax": "" if o["tax"] is None else str(o["tax"]),
        "taxes_included": "true" if o["taxes_included"] else "false",
        "total": "" if o["total"] is None else str(o["total"]),
        "paid": "" if o["paid"] is None else str(o["paid"]),
    }  # fmt: skip
    for i, li in enumerate(o["lines"]):
        cells = {
            "sku": li["sku"], "name": li["name"], "quantity": str(li["quantity"]),
            "unit_price": str(li["unit_price"]),
            "line_discount": "" if li["discount"] is None else str(li["discount"]),
        }  # fmt: skip
        if i == 0:
            cells.update(order_level)
        else:
            cells["external_id"] = "P1"
        writer.writerow([cells.get(c, "") for c in COLUMNS])
    return out.getvalue()


def _as_api(o: dict) -> PlaceOrder:
    on_lines = sum((li["discount"] or Decimal(0) for li in o["lines"]), Decimal(0))
    discounts = []
    if o["code"] is not None or o["amount"] is not None:
        amount = o["amount"] if o["amount"] is not None else on_lines
        discounts.append({"code": o["code"], "amount": amount,
                          "kind": "code" if o["code"] else "manual"})  # fmt: skip
    body = OrderCreate.model_validate(
        {
            "external_id": "P1",
            "currency": "USD",
            "lines": o["lines"],
            "shipping_address": {"country": "US"},
            "shipping_fee": o["shipping_fee"],
            "placed_at": "2026-11-17T09:00:00Z",
            "discounts": discounts,
            "tax": o["tax"],
            "taxes_included": o["taxes_included"],
            "total": o["total"],
            "paid": o["paid"],
        }
    )
    return place_order_command(MERCHANT, body, "csv")


@settings(max_examples=200, deadline=None)
@given(_orders())
def test_csv_orders_have_the_totals_the_api_derives_for_the_same_inputs(o):
    [(_, order)] = list(read_orders(io.StringIO(_as_csv(o), newline=""), merchant_id=MERCHANT))
    assert isinstance(order, PlaceOrder), order
    api = _as_api(o)
    assert order.totals == api.totals
    assert order.lines == api.lines
    assert order.details.discounts == api.details.discounts
    assert order.totals is not None
    if o["total"] is not None:
        assert order.totals.total.amount == o["total"]
    if o["paid"] is not None:
        assert order.totals.paid.amount == o["paid"]
