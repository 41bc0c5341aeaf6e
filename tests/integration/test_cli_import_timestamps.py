"""``postpurchase import orders`` with a ``placed_at`` off the calendar in UTC or outside
1970-2100: that order is rejected with its line and column, the rest stored, exit code 2
(never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from postpurchase.adapters.storefronts.csv_orders import COLUMNS
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.cli import app
from tests.factories import ref

runner = CliRunner()


def _row(external_id: str, placed_at: str) -> str:
    values = {
        "external_id": external_id,
        "placed_at": placed_at,
        "currency": "USD",
        "sku": "S",
        "name": "Thing",
        "quantity": "1",
        "unit_price": "10.00",
        "ship_country": "US",
    }
    return ",".join(values.get(c, "") for c in COLUMNS)


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2100-01-01T00:00:00Z"]
)
def test_an_order_placed_off_the_calendar_is_rejected_alone(
    stamp: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend_url: str, engine: Engine
) -> None:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    shop, data_dir = "ts-" + ref(), str(tmp_path)
    made = runner.invoke(app, ["merchant", "create", shop, "--data-dir", data_dir])
    assert made.exit_code == 0, made.output
    ids = [ref("A-"), ref("B-"), ref("C-")]
    csv = tmp_path / "orders.csv"
    rows = [_row(ids[0], "2026-11-17T09:00:00Z"), _row(ids[1], stamp),
            _row(ids[2], "2026-11-17T10:00:00+01:00")]  # fmt: skip
    csv.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n", encoding="utf-8")

    result = runner.invoke(
        app, ["import", "orders", str(csv), "--merchant", shop, "--data-dir", data_dir]
    )

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "created": 2,
        "unchanged": 0,
        "rejected": 1,
    }
    bad = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert len(bad) == 1, result.stderr
    assert bad[0].startswith("line 3:") and "column placed_at" in bad[0] and ids[1] in bad[0]
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(shop)
        assert merchant is not None
        stored = [e for e in ids if uow.orders.get_by_external_id(merchant.id, e)]
    assert stored == [ids[0], ids[2]]
