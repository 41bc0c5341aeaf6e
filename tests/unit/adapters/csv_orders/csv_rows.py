"""The CSV files and row builders the order-import tests share: a valid row whose columns a
test overrides, and the reader run over a header and those rows."""

import io
from pathlib import Path

from postpurchase.adapters.storefronts.csv_orders import COLUMNS, read_orders
from postpurchase.domain.commands import PlaceOrder

FIXTURE = Path(__file__).parents[3] / "fixtures" / "payloads" / "orders_import.csv"
EXAMPLE = Path(__file__).parents[4] / "examples" / "orders.csv"
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


def one(*rows: str) -> PlaceOrder:
    [(_, order)] = run(*rows)
    assert isinstance(order, PlaceOrder), order
    return order
