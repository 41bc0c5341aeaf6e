"""A CSV order imported through ``postpurchase import orders`` reads back through the API's
read model with the money exactly as the file gave it: discount code, line discounts, tax,
total; on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from postpurchase.adapters.db import read_models
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api import presenters
from postpurchase.entrypoints.cli import app
from tests.factories import ref

runner = CliRunner()

CSV = """\
external_id,placed_at,currency,sku,name,quantity,unit_price,line_discount,line_tax,line_id,\
shipping_fee,ship_country,discount_code,discount,tax,total,shipping_method,tags
A-7,2026-11-28T09:14:02-05:00,USD,BOOT-9,Trail boot,1,179.00,17.90,11.07,li-1,0.00,US,\
BOOTS10,17.91,12.68,218.77,UPS Next Day Air,vip;wholesale
A-7,,,SOCK,Sock,2,10.00,0.01,1.61,li-2,,,,,,,,
A-7,,,GIFT-25,Gift card,1,25.00,,,li-3,,,,,,,,
B-8,2026-11-29T10:05:51+01:00,EUR,MUG,Mug,3,16.90,,,,4.90,DE,SPRING,5.00,8.58,,,
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend_url: str) -> Path:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    return tmp_path


def read_back(engine: Engine, slug: str, external_id: str):  # type: ignore[no-untyped-def]
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
        assert merchant is not None
        order = uow.orders.get_by_external_id(merchant.id, external_id)
        assert order is not None
        merchant_id, order_id = merchant.id, order.id
    with engine.connect() as conn:
        row = read_models.get_order(conn, merchant_id, order_id)
    assert row is not None
    return presenters.order(row, "https://track.example")


def test_a_csv_with_a_discount_code_and_tax_reads_back_exactly(
    data_dir: Path, engine: Engine
) -> None:
    slug = "csv-money-" + ref()
    made = runner.invoke(app, ["merchant", "create", slug, "--data-dir", str(data_dir)])
    assert made.exit_code == 0, made.output
    path = data_dir / "orders.csv"
    path.write_text(CSV, encoding="utf-8")
    args = ["import", "orders", str(path), "--merchant", slug, "--data-dir", str(data_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "created": 2,
        "unchanged": 0,
        "rejected": 0,
    }

    order = read_back(engine, slug, "A-7")
    totals = order.totals
    assert totals.subtotal.amount == "206.09"  # 179 + 20 + 25 - 17.91
    assert totals.discounts.amount == "17.91"
    assert totals.shipping.amount == "0.00"
    assert totals.tax.amount == "12.68" and totals.taxes_included is False
    assert totals.total.amount == "218.77" == order.total.amount
    assert totals.paid.amount == "218.77"
    assert totals.total.currency == "USD"
    [discount] = order.details.discounts
    assert (discount.kind, discount.code, discount.amount.amount) == ("code", "BOOTS10", "17.91")
    assert order.details.shipping_method == "UPS Next Day Air"
    assert order.details.service_level == "next_day"
    assert order.details.tags == ["vip", "wholesale"]
    boot, sock, gift = order.lines
    assert boot.discount is not None and boot.discount.amount == "17.90"
    assert boot.paid.amount == "161.10"
    assert boot.tax is not None and boot.tax.amount == "11.07"
    assert (boot.external_id, sock.external_id, gift.external_id) == ("li-1", "li-2", "li-3")
    assert sock.discount is not None and sock.discount.amount == "0.01"
    assert gift.discount is not None and gift.discount.amount == "0.00"

    # The order-level discount beyond the line discounts comes off the subtotal; no total
    # given, so it is derived: 50.70 - 5.00 + 4.90 + 8.58.
    euro = read_back(engine, slug, "B-8")
    assert euro.totals.subtotal.amount == "45.70"
    assert euro.totals.discounts.amount == "5.00"
    assert euro.totals.tax.amount == "8.58"
    assert euro.totals.total.amount == "59.18" and euro.totals.total.currency == "EUR"

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout.strip().splitlines()[-1])["unchanged"] == 2
