import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from postpurchase.adapters.storefronts.csv_orders import (
    COLUMNS,
    MAX_ROWS_PER_ORDER,
    count_rows,
    read_orders,
)
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.orders import Promise

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
