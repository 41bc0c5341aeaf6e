"""The property: a CSV order has the totals the API derives from the same inputs."""

import csv
import io
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.adapters.csv_orders.csv_rows import MERCHANT

from postpurchase.adapters.storefronts.csv_orders import COLUMNS, read_orders
from postpurchase.domain.commands import PlaceOrder
from postpurchase.entrypoints.api.routes.orders import place_order_command
from postpurchase.entrypoints.api.schemas import OrderCreate

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
