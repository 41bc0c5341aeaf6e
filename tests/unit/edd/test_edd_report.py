"""`make edd-report`'s rendering: the frontier of both back-tests, the default level in bold,
and the levels at which the engine beats the marketplace on both on-time rate and slack
(marked only where that holds on the rolling back-test AND the hold-out)."""

from __future__ import annotations

from benchmarks.edd_frontier import BEGIN, END, Run, beats_market, report

from postpurchase.adapters.edd.backtest import Frontier, MonthRow
from postpurchase.adapters.edd.engine import EngineConfig
from postpurchase.adapters.edd.evaluation import CurvePoint


def _row(month: str, market: tuple[float, float]) -> MonthRow:
    return MonthRow(month, 100, 5.0, 0.93, 12.0, 0.94, 11.0, market[0], market[1], 6.0)


def _run(since: str, points: list[tuple[float, float, float]], market: tuple[float, float],
         confidence: float = 0.94) -> Run:  # fmt: skip
    curve = [CurvePoint(s, rate, slack, 100) for s, rate, slack in points]
    rows = [_row("2017-09", market), _row("all", market)]
    front = Frontier(curve, curve, _row("all", market))
    return Run("engine", since, EngineConfig(confidence=confidence), rows, front, 1.0)


def test_the_report_marks_the_levels_that_beat_the_marketplace_on_both_splits() -> None:
    rolling = _run("2017-06-01", [(0.92, 0.914, 11.2), (0.94, 0.932, 12.8), (0.95, 0.941, 13.9)],
                   (0.925, 13.2))  # fmt: skip
    hold = _run("2017-09-01", [(0.92, 0.913, 12.2), (0.94, 0.929, 12.9), (0.95, 0.942, 15.2)],
                (0.910, 13.1))  # fmt: skip
    assert beats_market(rolling) == [0.94]  # 0.95 keeps more promises with more slack
    assert beats_market(hold) == [0.92, 0.94]
    text = report(
        {"rolling": rolling, "rolling-before": rolling, "holdout": hold, "holdout-before": hold},
        None,
    )
    assert text.startswith(BEGIN) and text.endswith(END)
    assert "Promise at 94.0%" in text
    assert "| **0.94** ✓ | 93.2% | 12.8 |" in text  # the default, and it beats on both
    assert "| 0.92 | 91.4% |" in text  # beats on the hold-out only: no mark
    assert "both (✓) 0.94" in text
    assert "| marketplace | 92.5% | 13.2 | | | 91.0% / 13.1 | |" in text
