"""``postpurchase edd backtest``: the monthly table and frontier, and bad input (exit 2)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from postpurchase.adapters.edd import engine as engine_module
from postpurchase.adapters.edd.backtest import band_misses, frontier, monthly_table, run_backtest
from postpurchase.adapters.edd.engine import EngineConfig
from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.entrypoints import cli_edd
from postpurchase.entrypoints.cli import app

CUT = datetime(2017, 6, 1, tzinfo=SAO_PAULO)  # day 150 of the market: the slowdown starts


@pytest.fixture(autouse=True)
def fast_engine(monkeypatch: pytest.MonkeyPatch, fast_config: engine_module.EngineConfig) -> None:
    def fast(confidence: float = 0.95) -> engine_module.EngineConfig:
        return engine_module.EngineConfig.from_dict(
            {**fast_config.to_dict(), "confidence": confidence}
        )

    monkeypatch.setattr(cli_edd, "engine_config", fast)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["edd", "backtest", *args])
    return result.exit_code, result.stdout, result.stderr


def test_backtest_prints_one_row_per_month_and_the_frontier(olist_dir: Path) -> None:
    code, out, err = run("--olist", str(olist_dir), "--since", "2017-06-01", "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.strip().splitlines()]
    months = [r for r in lines if r["kind"] == "month"]
    assert [m["month"] for m in months][-1] == "all"
    assert months[0]["month"] == "2017-06"
    total = months[-1]
    assert total["orders"] == sum(m["orders"] for m in months[:-1]) > 400
    assert 0.8 <= total["promise_on_time_rate"] <= 1.0
    assert total["market_on_time_rate"] is not None and total["p50_mae_days"] is not None
    points = [r for r in lines if r["kind"] == "frontier" and not r["live"]]
    rates = [p["on_time_rate"] for p in points]
    slack = [p["mean_slack_days"] for p in points]
    assert rates == sorted(rates) and slack == sorted(slack)  # more confidence costs slack
    code, out, err = run("--olist", str(olist_dir), "--since", "2017-06-01")
    assert code == 0, err
    assert "Frontier" in out and "market" in out


def test_backtest_bad_input_exits_2_with_one_line(olist_dir: Path, tmp_path: Path) -> None:
    for args in (
        ("--olist", str(olist_dir), "--since", "2017-06-01", "--calibration", "magic"),
        ("--olist", str(olist_dir), "--since", "someday"),
        ("--olist", str(olist_dir), "--since", "2030-01-01"),
        ("--olist", str(olist_dir), "--since", "1990-01-01"),
        ("--olist", str(tmp_path / "nowhere"), "--since", "2017-06-01"),
    ):
        code, out, err = run(*args)
        assert code == 2, args
        assert out == "" and len(err.strip().splitlines()) == 1, (args, err)


def test_censored_calibration_keeps_a_slowdown_closer_to_the_stated_level(
    market: list[DeliveredShipmentRecord], fast_config: EngineConfig
) -> None:
    """The simulated slowdown starts at the cut-off: calibrating on orders placed in the
    window (open ones censored, level tracked) keeps more promises than calibrating on the
    orders delivered in it, which only sees the slowdown once slow parcels arrive."""
    censored = run_backtest(market, CUT, config=fast_config)
    delivered = run_backtest(
        market, CUT, config=EngineConfig.from_dict(
            {**fast_config.to_dict(), "calibration": "delivered"}
        )
    )  # fmt: skip
    rows = monthly_table(censored)
    old = monthly_table(delivered)
    assert rows[-1].orders == old[-1].orders == len(censored)
    assert rows[-1].promise_on_time_rate is not None and old[-1].promise_on_time_rate is not None
    assert rows[-1].promise_on_time_rate >= old[-1].promise_on_time_rate
    assert band_misses(rows, 0.0, 1.0) == []
    front = frontier(censored)
    assert [p.stated for p in front.purchase][-1] == 0.99
    assert front.market.market_on_time_rate is not None


def test_checkout_backtest_scores_estimates_made_without_the_store_promise(
    market: list[DeliveredShipmentRecord], fast_config: EngineConfig
) -> None:
    """The engine learns and calibrates with each order's quote; the scored estimate is the
    one a checkout (no quote) would get. Without the feature the option changes nothing."""
    # A store whose promise knows its parcels, so the quoted and bare estimates differ.
    records = [
        dataclasses.replace(r, quoted_promise=(r.delivered_at + timedelta(days=1)).date())
        for r in market
    ]
    on = dataclasses.replace(fast_config, store_promise_feature=True, store_promise_mask=0.3)
    quoted = run_backtest(records, CUT, config=on)
    bare = run_backtest(records, CUT, config=on, checkout=True)
    assert [s.record.record_id for s in quoted] == [s.record.record_id for s in bare]
    assert sum(a.purchase.p50 != b.purchase.p50 for a, b in zip(quoted, bare, strict=True)) > 20
    off = dataclasses.replace(fast_config, store_promise_feature=False)
    plain = [s.purchase for s in run_backtest(records, CUT, config=off)]
    assert plain == [s.purchase for s in run_backtest(records, CUT, config=off, checkout=True)]
