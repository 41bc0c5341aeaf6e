"""``postpurchase import orders`` exit codes: 0 only when every row was accepted; 2 when any
row was rejected (the valid ones still stored, the bad lines listed) or when there is nothing
to import. The JSON summary is always on stdout. Also: the shipped example file imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.cli import app
from tests.factories import ref

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "orders.csv"
PAYLOADS = ROOT / "tests" / "fixtures" / "payloads"
HEADER = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend_url: str) -> Path:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    return tmp_path


@pytest.fixture
def shop(data_dir: Path) -> str:
    slug = "imp-" + ref()
    made = runner.invoke(app, ["merchant", "create", slug, "--data-dir", str(data_dir)])
    assert made.exit_code == 0, made.output
    return slug


def run(path: Path, shop: str, data_dir: Path) -> Result:
    args = ["import", "orders", str(path), "--merchant", shop, "--data-dir", str(data_dir)]
    return runner.invoke(app, args)


def summary(result: Result) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def stored(engine: Engine, shop: str, external_ids: list[str]) -> list[str]:
    platform = bootstrap(Settings(), engine=engine, notifications=False)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(shop)
        assert merchant is not None
        return [e for e in external_ids if uow.orders.get_by_external_id(merchant.id, e)]


def test_a_partly_bad_file_exits_2_lists_the_bad_lines_and_keeps_the_good_orders(
    shop: str, data_dir: Path, engine: Engine
) -> None:
    # orders_import.csv: EXT-1003's second row (line 6) has quantity "two"; the rest is valid.
    csv = PAYLOADS / "orders_import.csv"
    first = run(csv, shop, data_dir)
    assert first.exit_code == 2, first.output
    assert summary(first) == {"created": 3, "unchanged": 0, "rejected": 1}
    bad = [line for line in first.stderr.splitlines() if line.startswith("line ")]
    assert len(bad) == 1
    assert bad[0].startswith("line 6:") and "EXT-1003" in bad[0] and "quantity" in bad[0]
    assert first.stderr.strip().splitlines()[-1].startswith("error: 1 order(s) rejected")
    assert stored(engine, shop, ["EXT-1001", "EXT-1002", "EXT-1003", "EXT-1004"]) == [
        "EXT-1001",
        "EXT-1002",
        "EXT-1004",
    ]
    # Still a bad line on the second run: still 2, and nothing stored twice.
    again = run(csv, shop, data_dir)
    assert again.exit_code == 2
    assert summary(again) == {"created": 0, "unchanged": 3, "rejected": 1}


def test_every_bad_line_is_listed(shop: str, data_dir: Path, tmp_path: Path) -> None:
    csv = tmp_path / "two-bad.csv"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(",USD,", ",DOLLARS,")  # line 5: order 5013's currency
    lines[7] = lines[7].replace(",FR,", ",,")  # line 8: order 5015 has no ship_country
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(csv, shop, data_dir)
    assert result.exit_code == 2
    assert summary(result) == {"created": 2, "unchanged": 0, "rejected": 2}
    bad = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert [b.split(":")[0] for b in bad] == ["line 5", "line 8"]
    assert "currency" in bad[0] and "ship_country" in bad[1]


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("empty.csv", "", "empty"),
        ("blank.csv", "\n\n", "empty"),
        ("header.csv", HEADER + "\n", "only a header row"),
        ("header-and-blank-rows.csv", HEADER + "\n,,,\n\n", "only a header row"),
    ],
)
def test_a_file_with_nothing_to_import_exits_2_with_one_line(
    shop: str, data_dir: Path, tmp_path: Path, name: str, text: str, why: str
) -> None:
    csv = tmp_path / name
    csv.write_text(text, encoding="utf-8")
    result = run(csv, shop, data_dir)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {name}: ") and why in lines[0]
    report = summary(result)
    assert report["created"] == report["unchanged"] == report["rejected"] == 0
    assert why in report["error"]


def test_a_bad_header_or_encoding_exits_2_with_one_line(
    shop: str, data_dir: Path, tmp_path: Path
) -> None:
    typo = tmp_path / "typo.csv"
    typo.write_text(HEADER.replace("unit_price", "unit price") + "\n", encoding="utf-8")
    result = run(typo, shop, data_dir)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "unknown column 'unit price'" in result.stderr

    latin = tmp_path / "latin-1.csv"
    latin.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("latin-1"))
    result = run(latin, shop, data_dir)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: latin-1.csv: not UTF-8 text: save it as CSV UTF-8"


def test_the_example_file_imports_with_exit_0_and_again_unchanged(
    shop: str, data_dir: Path, engine: Engine
) -> None:
    first = run(EXAMPLE, shop, data_dir)
    assert first.exit_code == 0, first.output
    assert summary(first) == {"created": 4, "unchanged": 0, "rejected": 0}
    assert "error" not in first.stderr and "line " not in first.stderr
    assert stored(engine, shop, ["5012", "5013", "5014", "5015"]) == [
        "5012",
        "5013",
        "5014",
        "5015",
    ]
    again = run(EXAMPLE, shop, data_dir)
    assert again.exit_code == 0, again.output
    assert summary(again) == {"created": 0, "unchanged": 4, "rejected": 0}


def test_the_readme_csv_sample_imports_with_exit_0(
    shop: str, data_dir: Path, tmp_path: Path
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```csv\n", readme.index("import orders")) + len("```csv\n")
    sample = tmp_path / "readme.csv"
    sample.write_text(readme[start : readme.index("```", start)], encoding="utf-8")
    result = run(sample, shop, data_dir)
    assert result.exit_code == 0, result.output
    assert summary(result) == {"created": 2, "unchanged": 0, "rejected": 0}


def test_the_example_file_has_multi_line_orders_a_shipping_fee_and_two_currencies() -> None:
    import csv

    with EXAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["external_id"] for r in rows]
    assert len(set(ids)) >= 3 and len(ids) > len(set(ids))  # some orders have several lines
    assert {r["currency"] for r in rows if r["currency"]} == {"USD", "EUR"}
    assert any(r["shipping_fee"] not in ("", "0", "0.00") for r in rows)
