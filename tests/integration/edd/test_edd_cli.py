"""``postpurchase edd train|evaluate``: the contract (one JSON line) and bad input (exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from postpurchase.adapters.edd import engine as engine_module
from postpurchase.adapters.edd.evaluation import CONTRACT_FIELDS
from postpurchase.entrypoints import cli_edd
from postpurchase.entrypoints.cli_edd import app


@pytest.fixture(autouse=True)
def fast_engine(monkeypatch: pytest.MonkeyPatch, fast_config: engine_module.EngineConfig) -> None:
    """The CLI builds its own config; keep the contract, shrink the trees for CI."""

    def fast(confidence: float = 0.95) -> engine_module.EngineConfig:
        return engine_module.EngineConfig.from_dict(
            {**fast_config.to_dict(), "confidence": confidence}
        )

    monkeypatch.setattr(cli_edd, "engine_config", fast)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_train_then_evaluate_prints_exactly_the_contract_line(
    olist_dir: Path, tmp_path: Path
) -> None:
    model = tmp_path / "edd.json.gz"
    code, out, err = run(
        "train", "--olist", str(olist_dir), "--model", str(model), "--until", "2017-06-01"
    )
    assert code == 0, err
    assert json.loads(out)["model_version"].startswith("edd-1+20170601.")
    assert model.is_file()
    code, out, err = run("evaluate", "--olist", str(olist_dir), "--model", str(model))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    assert tuple(metrics) == CONTRACT_FIELDS
    assert metrics["orders"] > 400
    assert 0.8 <= metrics["promise_on_time_rate"] <= 1.0
    assert metrics["olist_on_time_rate"] is not None
    # --since/--until pick a window; an empty one is bad input, not a zero line
    code, out, _ = run(
        "evaluate",
        "--olist",
        str(olist_dir),
        "--model",
        str(model),
        "--since",
        "2017-06-10",
        "--until",
        "2017-06-20",
    )
    assert code == 0 and 0 < json.loads(out)["orders"] < metrics["orders"]
    code, out, err = run(
        "evaluate", "--olist", str(olist_dir), "--model", str(model), "--since", "2030-01-01"
    )
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_bad_input_exits_2_with_one_line_on_stderr(olist_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.json.gz"
    cases = [
        ("train", "--olist", str(tmp_path / "nowhere"), "--model", str(model)),
        ("train", "--olist", str(olist_dir), "--model", str(model), "--until", "yesterday"),
        ("evaluate", "--olist", str(olist_dir), "--model", str(tmp_path / "missing.json.gz")),
    ]
    for args in cases:
        code, out, err = run(*args)
        assert code == 2, args
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("error:"), err
    garbage = tmp_path / "garbage.json.gz"
    garbage.write_text("nope")
    code, _, err = run("evaluate", "--olist", str(olist_dir), "--model", str(garbage))
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_broken_rows_are_reported_and_training_goes_on(olist_dir: Path, tmp_path: Path) -> None:
    import gzip

    d = tmp_path / "dir"
    shutil.copytree(olist_dir, d)
    orders = d / "olist_orders_dataset.csv.gz"
    text = gzip.decompress(orders.read_bytes()).decode()
    orders.write_bytes(gzip.compress((text + "broken,row\n").encode()))
    code, out, err = run("train", "--olist", str(d), "--model", str(tmp_path / "m.json.gz"))
    assert code == 0
    assert "wrong number of columns" in err
    assert json.loads(out)["orders"] > 2000
