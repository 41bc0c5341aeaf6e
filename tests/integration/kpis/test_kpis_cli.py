"""``postpurchase kpis olist DIR``: the contract on the shared real data, gzipped and plain.

The figures are checked three ways: the required keys and plausible ranges; an independent
computation with pandas over the same files (a second implementation of the definitions
in docs/kpis.md, vectorised, sharing no code with the product); and the dataset README's
own published on-time rate and median click-to-door time.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from tests.integration.kpis.olist_files import (
    CUSTOMERS,
    ORDERS,
    REVIEWS,
    SHARED_OLIST,
    read_rows,
    write_csv,
)
from typer.testing import CliRunner

from postpurchase.domain.kpis import REQUIRED_KEYS
from postpurchase.entrypoints.cli import app

needs_data = pytest.mark.skipif(
    not (SHARED_OLIST / f"{ORDERS}.csv.gz").is_file(),
    reason=f"the shared Olist data is not at {SHARED_OLIST} (POSTPURCHASE_TEST_OLIST_DIR)",
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["kpis", "olist", *args])
    return result.exit_code, result.stdout, result.stderr


def kpis_json(directory: Path) -> dict[str, object]:
    code, out, err = run(str(directory), "--json")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1  # exactly one JSON object
    figures = json.loads(out)
    assert isinstance(figures, dict)
    return figures


def check_plausible(figures: dict[str, object], *, min_delivered: int) -> None:
    assert tuple(figures)[: len(REQUIRED_KEYS)] == REQUIRED_KEYS
    f: dict[str, float] = {k: v for k, v in figures.items() if isinstance(v, int | float)}
    assert f["delivered_orders"] >= min_delivered
    assert 0.7 <= f["on_time_rate"] <= 1.0
    assert 3.0 <= f["median_click_to_door_days"] <= 30.0
    assert f["median_click_to_door_days"] <= f["p90_click_to_door_days"] <= 90.0
    assert 1.0 <= f["review_score_late"] < f["review_score_on_time"] <= 5.0
    for key in ("repeat_purchase_rate_90d_on_time", "repeat_purchase_rate_90d_late"):
        assert 0.0 <= f[key] <= 0.5
    assert f["on_time_orders"] + f["late_orders"] == f["delivered_orders"]


def pandas_oracle(directory: Path) -> dict[str, float]:
    """The required KPIs again, the way an analyst would compute them with pandas."""

    def read(stem: str) -> pd.DataFrame:
        path = directory / f"{stem}.csv"
        return pd.read_csv(path if path.exists() else path.with_suffix(".csv.gz"), dtype=str)

    orders = read(ORDERS).merge(read(CUSTOMERS), on="customer_id", how="left")
    for column in ("order_purchase_timestamp", "order_delivered_customer_date"):
        local = pd.to_datetime(orders[column]).dt.tz_localize(
            "America/Sao_Paulo", ambiguous=True, nonexistent="shift_forward"
        )
        orders[column] = local.dt.tz_convert("UTC")
        orders[f"{column}_local_date"] = local.dt.date
    promised = pd.to_datetime(orders["order_estimated_delivery_date"]).dt.date
    done = orders[
        (orders.order_status == "delivered") & orders.order_delivered_customer_date.notna()
    ].copy()
    done["on_time"] = done.order_delivered_customer_date_local_date <= promised[done.index]
    elapsed = done.order_delivered_customer_date - done.order_purchase_timestamp
    scores = read(REVIEWS).assign(score=lambda r: r.review_score.astype(float))
    done = done.join(scores.groupby("order_id").score.mean(), on="order_id")
    last = orders.order_purchase_timestamp.max()
    firsts = (
        done.sort_values(["order_purchase_timestamp", "order_id"])
        .groupby("customer_unique_id")
        .head(1)
    )
    firsts = firsts[last - firsts.order_purchase_timestamp >= pd.Timedelta(days=90)]
    live = orders[~orders.order_status.isin(["canceled", "unavailable"])]
    pairs = firsts.merge(live, on="customer_unique_id", suffixes=("", "_other"))
    gap = pairs.order_purchase_timestamp_other - pairs.order_purchase_timestamp
    pairs = pairs[
        (pairs.order_id_other != pairs.order_id)
        & (gap > pd.Timedelta(0))
        & (gap <= pd.Timedelta(days=90))
    ]
    firsts["repeated"] = firsts.customer_unique_id.isin(set(pairs.customer_unique_id))
    return {
        "delivered_orders": len(done),
        "on_time_rate": done.on_time.mean(),
        "median_click_to_door_days": elapsed.dt.total_seconds().median() / 86400,
        "review_score_on_time": done[done.on_time].score.mean(),
        "review_score_late": done[~done.on_time].score.mean(),
        "repeat_purchase_rate_90d_on_time": firsts[firsts.on_time].repeated.mean(),
        "repeat_purchase_rate_90d_late": firsts[~firsts.on_time].repeated.mean(),
    }


@needs_data
def test_shared_data_gzipped_meets_the_contract_and_agrees_with_pandas() -> None:
    figures = kpis_json(SHARED_OLIST)
    check_plausible(figures, min_delivered=5000)
    expected = pandas_oracle(SHARED_OLIST)
    for key in REQUIRED_KEYS:
        assert figures[key] == pytest.approx(expected[key], rel=1e-9), key
    # the data set's README: "promise was kept 93.3% of the time ... (median 11.3)"
    assert round(float(figures["on_time_rate"]), 3) == 0.933  # type: ignore[arg-type]
    assert round(float(figures["median_click_to_door_days"]), 1) == 11.3  # type: ignore[arg-type]
    assert figures["skipped_rows"] == 0 and figures["orders_without_customer"] == 0


@pytest.fixture(scope="module")
def plain_subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sixth of the shared customers, with all their orders and reviews, as plain CSV."""
    if not (SHARED_OLIST / f"{ORDERS}.csv.gz").is_file():
        pytest.skip(f"the shared Olist data is not at {SHARED_OLIST}")
    target = tmp_path_factory.mktemp("olist-plain")
    header, customers = read_rows(SHARED_OLIST / f"{CUSTOMERS}.csv.gz")
    unique = header.index("customer_unique_id")
    people = sorted({row[unique] for row in customers})
    chosen = set(random.Random(14).sample(people, len(people) // 6))
    customers = [row for row in customers if row[unique] in chosen]
    ids = {row[0] for row in customers}
    write_csv(target, CUSTOMERS, header, customers)
    header, orders = read_rows(SHARED_OLIST / f"{ORDERS}.csv.gz")
    orders = [row for row in orders if row[header.index("customer_id")] in ids]
    write_csv(target, ORDERS, header, orders)
    order_ids = {row[0] for row in orders}
    header, reviews = read_rows(SHARED_OLIST / f"{REVIEWS}.csv.gz")
    write_csv(target, REVIEWS, header, [r for r in reviews if r[1] in order_ids])
    return target


def test_plain_csv_subset_meets_the_contract_and_agrees_with_pandas(plain_subset: Path) -> None:
    assert all(p.suffix == ".csv" for p in plain_subset.iterdir())
    figures = kpis_json(plain_subset)
    check_plausible(figures, min_delivered=500)
    expected = pandas_oracle(plain_subset)
    for key in REQUIRED_KEYS:
        assert figures[key] == pytest.approx(expected[key], rel=1e-9), key


def test_plain_and_gzipped_files_give_the_same_answer(plain_subset: Path, tmp_path: Path) -> None:
    for path in plain_subset.iterdir():
        (tmp_path / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes()))
    assert kpis_json(tmp_path) == kpis_json(plain_subset)


def test_the_table_and_the_chart(plain_subset: Path, tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "kpis.png"
    code, out, err = run(str(plain_subset), "--chart", str(chart))
    assert code == 0, err
    for label in ("on-time rate", "review score, late", "repeat in 90 days, on time"):
        assert label in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_one_line_and_exit_2(plain_subset: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in plain_subset.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / f"{REVIEWS}.csv").unlink()
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for path in plain_subset.iterdir():
        (corrupt / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes())[:200])
    empty = tmp_path / "empty"
    empty.mkdir()
    for stem in (ORDERS, CUSTOMERS, REVIEWS):
        header, _ = read_rows(plain_subset / f"{stem}.csv")
        write_csv(empty, stem, header, [])
    cases = {
        str(tmp_path / "nowhere"): "is not a directory",
        str(broken): "olist_order_reviews_dataset.csv (or .csv.gz) not found",
        str(corrupt): "not a readable gzip file",
        str(empty): "no orders in",
    }
    for directory, message in cases.items():
        code, out, err = run(directory, "--json")
        assert code == 2, (directory, out)
        assert out == ""
        assert err.startswith("error: ") and message in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_skipped_rows_are_said_and_counted(plain_subset: Path, tmp_path: Path) -> None:
    for path in plain_subset.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    header, orders = read_rows(tmp_path / f"{ORDERS}.csv")
    orders[0][header.index("order_purchase_timestamp")] = "31/02/2017"
    write_csv(tmp_path, ORDERS, header, orders)
    code, out, err = run(str(tmp_path), "--json")
    assert code == 0, err
    assert json.loads(out)["skipped_rows"] == 1
    assert "olist: skipped 1 row(s): olist_orders_dataset.csv: unreadable timestamp x1" in err


DOCS = Path(__file__).resolve().parents[3] / "docs" / "kpis.md"


def test_every_json_key_is_defined_in_the_docs(plain_subset: Path) -> None:
    text = DOCS.read_text()
    for key in kpis_json(plain_subset):
        documented = key.removesuffix("_ci95") != key and "`*_ci95`" in text
        assert documented or f"`{key}`" in text, key


@needs_data
def test_the_figures_in_the_docs_are_what_the_command_prints() -> None:
    shown = next(line for line in DOCS.read_text().splitlines() if line.startswith("{"))
    printed = json.dumps(kpis_json(SHARED_OLIST), allow_nan=False)
    assert printed.startswith(shown.removesuffix(", ...}"))
