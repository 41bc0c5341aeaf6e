"""The on-time vs late bar chart (review score and repeat purchase) as a PNG.

Drawn from the JSON-ready figures of ``KpiSummary.as_dict()`` so the picture can never say
something the numbers do not. Error bars are the 95% intervals carried in those figures:
with a few hundred late orders, the reader must see how wide the uncertainty is.
matplotlib is imported here only, with the file-only Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

ON_TIME_COLOUR = "#2a9d8f"
LATE_COLOUR = "#e76f51"


def _errors(values: list[float | None], intervals: list[list[float] | None]) -> list[list[float]]:
    below, above = [], []
    for value, interval in zip(values, intervals, strict=True):
        if value is None or interval is None:
            below.append(0.0)
            above.append(0.0)
        else:
            below.append(max(0.0, value - interval[0]))
            above.append(max(0.0, interval[1] - value))
    return [below, above]


def write_chart(figures: Mapping[str, Any], path: Path, *, title: str) -> None:
    """Two panels, on time next to late: mean review score and 90-day repeat rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["on time", "late"]
    colours = [ON_TIME_COLOUR, LATE_COLOUR]
    panels = [
        (
            "Mean review score (1–5 stars)",
            [figures["review_score_on_time"], figures["review_score_late"]],
            [figures["review_score_on_time_ci95"], figures["review_score_late_ci95"]],
            [figures["reviewed_on_time_orders"], figures["reviewed_late_orders"]],
            "orders",
            1.0,
            "{:.2f}",
        ),
        (
            "Repeat purchase within 90 days (%)",
            [figures["repeat_purchase_rate_90d_on_time"], figures["repeat_purchase_rate_90d_late"]],
            [
                figures["repeat_purchase_rate_90d_on_time_ci95"],
                figures["repeat_purchase_rate_90d_late_ci95"],
            ],
            [figures["repeat_cohort_on_time"], figures["repeat_cohort_late"]],
            "customers",
            100.0,
            "{:.1f}%",
        ),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), dpi=110)
    for ax, (heading, values, intervals, counts, unit, scale, fmt) in zip(
        axes, panels, strict=True
    ):
        shown = [0.0 if v is None else v * scale for v in values]
        scaled = [None if i is None else [x * scale for x in i] for i in intervals]
        bars = ax.bar(labels, shown, color=colours, width=0.6)
        ax.errorbar(
            labels,
            shown,
            yerr=_errors(list(shown), scaled),
            fmt="none",
            ecolor="#333333",
            capsize=6,
            linewidth=1,
        )
        tops = [max(v, i[1] if i else v) for v, i in zip(shown, scaled, strict=True)]
        for bar, value, count, top in zip(bars, values, counts, tops, strict=True):
            text = "n/a" if value is None else fmt.format(value * scale)
            ax.annotate(
                f"{text}\nn = {count:,} {unit}",
                (bar.get_x() + bar.get_width() / 2, top),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax.set_ylim(0, 5.6 if scale == 1.0 else max(tops, default=0.0) * 1.3 or 1.0)
        ax.set_title(heading, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title, fontsize=11)
    fig.text(
        0.5,
        0.01,
        "Bars: value; whiskers: 95% interval (normal for the mean score, Wilson for the rate).",
        ha="center",
        fontsize=8,
        color="#555555",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
