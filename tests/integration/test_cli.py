"""The CLI contract: exit codes, one-line errors, JSON lines, idempotent import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from postpurchase.entrypoints.cli import app
from tests.factories import ref, ups_number

runner = CliRunner()
PAYLOADS = Path(__file__).parent.parent / "fixtures" / "payloads"


@pytest.fixture
def data_dir(tmp_path, monkeypatch, backend_url):
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    return tmp_path


def test_carriers_detect_reads_stdin_and_prints_json_lines() -> None:
    good = ups_number(1)
    result = runner.invoke(app, ["carriers", "detect"], input=f"{good}\n\nnot a number\n")
    assert result.exit_code == 0
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    ups = [{"carrier": "ups", "format": "ups_1z", "confidence": "high"}]
    assert lines == [
        {"number": good, "normalised": good, "carrier": "ups", "valid": True, "candidates": ups},
        {
            "number": "not a number",
            "normalised": "NOTANUMBER",
            "carrier": None,
            "valid": False,
            "candidates": [],
        },
    ]


def test_merchant_create_prints_the_key_once(data_dir) -> None:
    name = "Shop " + ref()
    result = runner.invoke(app, ["merchant", "create", name, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "API key: pp_" in result.stdout
    again = runner.invoke(app, ["merchant", "create", name, "--data-dir", str(data_dir)])
    assert again.exit_code == 2
    assert again.stderr.strip().startswith("error:")
    assert len(again.stderr.strip().splitlines()) == 1


def test_import_orders_reports_bad_rows_and_is_idempotent(data_dir, tmp_path) -> None:
    slug = "imp-" + ref()
    runner.invoke(app, ["merchant", "create", slug, "--data-dir", str(data_dir)])
    csv = tmp_path / "orders.csv"
    text = (PAYLOADS / "orders_import.csv").read_text()
    bad_row = text.splitlines()[3].replace(",3,14.50,", ",-3,14.50,")
    lines = text.splitlines()
    lines[3] = bad_row
    csv.write_text("\n".join(lines) + "\n")
    args = ["import", "orders", str(csv), "--merchant", slug, "--data-dir", str(data_dir)]
    first = runner.invoke(app, args)
    assert first.exit_code == 2, first.output  # a row was rejected; the valid ones are kept
    report = json.loads(first.stdout.strip().splitlines()[-1])
    assert report["rejected"] >= 1 and report["created"] >= 1
    assert "line 4" in first.stderr and "quantity" in first.stderr
    second = runner.invoke(app, args)
    assert second.exit_code == 2
    again = json.loads(second.stdout.strip().splitlines()[-1])
    assert again["created"] == 0 and again["unchanged"] == report["created"]


def test_import_errors_exit_2_with_one_line(data_dir, tmp_path) -> None:
    missing = runner.invoke(
        app, ["import", "orders", str(tmp_path / "nope.csv"), "--merchant", "x"]
    )
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1
    csv = tmp_path / "o.csv"
    csv.write_text((PAYLOADS / "orders_import.csv").read_text())
    unknown = runner.invoke(
        app, ["import", "orders", str(csv), "--merchant", "no-such", "--data-dir", str(data_dir)]
    )
    assert unknown.exit_code == 2 and "no merchant" in unknown.stderr
