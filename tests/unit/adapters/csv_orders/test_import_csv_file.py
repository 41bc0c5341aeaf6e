"""Reading a CSV order file as a whole: the fixture's good and bad orders, progress, the
header, physical line numbers, file-level errors, and streaming without holding the file."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tests.unit.adapters.csv_orders.csv_rows import FIXTURE, HEADER, MERCHANT, row, run

from postpurchase.adapters.storefronts.csv_orders import MAX_ROWS_PER_ORDER, count_rows, read_orders
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.orders import Promise


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
