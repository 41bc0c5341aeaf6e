"""The rows of one order: order-level columns repeated on each row, a bad value named by
line and column, and a bad row rejecting its own order only."""

import pytest
from tests.unit.adapters.csv_orders.csv_rows import row, run

from postpurchase.domain.commands import PlaceOrder


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
