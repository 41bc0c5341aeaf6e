"""Server-side SVG charts: time series and bars, with no JavaScript and no I/O.

Why SVG strings: a chart must show in the console without scripts, in an e-mail digest, and
in a test that reads it back; a few hundred lines of markup do all three. Accessibility:
every chart is ``role="img"`` with a ``<title>`` and ``<desc>`` (the figures in words), each
bar or point carries its own ``<title>`` (a tooltip and a label for screen readers), and
every value also appears in a ``<table>`` the page shows beside it (``data_table``).
Colours have at least 4.5:1 contrast on white; series are told apart by markers as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 48
COLOURS = ("#1f5fa8", "#a8481f", "#2d7a3a", "#6b3fa0")  # >= 4.5:1 on white
MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    points: Sequence[tuple[str, float | None]]  # (x label, value); None is a gap


def _fmt(value: float, percent: bool) -> str:
    return f"{value * 100:.1f}%" if percent else f"{value:,.2f}".rstrip("0").rstrip(".")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return float(step * exp)
    return 10.0 * exp  # pragma: no cover


def _frame(title: str, desc: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="chart-title chart-desc" '
        f'font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(desc)}</desc>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
    )
    return head + "".join(body) + "</svg>"


def _axis(top: float, percent: bool) -> list[str]:
    out = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#333333">'
            f"{escape(_fmt(value, percent))}</text>"
        )
    return out


def _empty(title: str) -> str:
    return _frame(
        title,
        "No data in this range.",
        [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#333333">'
         "No data in this range</text>"],
    )  # fmt: skip


def bar_chart(
    title: str, bars: Sequence[tuple[str, float | None]], *, percent: bool = False
) -> str:
    """Vertical bars, one per label; a ``None`` value is drawn as "n/a", never as 0."""
    known = [v for _, v in bars if v is not None]
    if not bars or not known:
        return _empty(title)
    top = 1.0 if percent and max(known) <= 1 else _nice_max(max(known))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(bars)
    body = _axis(top, percent)
    words = []
    for i, (label, value) in enumerate(bars):
        x = LEFT + slot * i + slot * 0.15
        w = slot * 0.7
        shown = "n/a" if value is None else _fmt(value, percent)
        words.append(f"{label}: {shown}")
        if value is not None:
            h = plot_h * (value / top) if top else 0
            body.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{w:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[0]}"><title>{escape(label)}: '
                f"{escape(shown)}</title></rect>"
            )
        body.append(
            f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#333333">{escape(label[:14])}</text>'
        )
    return _frame(title, "; ".join(words), body)


def _marker(kind: str, x: float, y: float, colour: str, label: str) -> str:
    tip = f"<title>{escape(label)}</title>"
    if kind == "square":
        box = f'x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6"'
        return f'<rect {box} fill="{colour}">{tip}</rect>'
    if kind == "diamond":
        pts = f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} {x - 4:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{colour}">{tip}</polygon>'
    if kind == "triangle":
        pts = f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}"
        return f'<polygon points="{pts}" fill="{colour}">{tip}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">{tip}</circle>'


def time_series(title: str, series: Sequence[Series], *, percent: bool = False) -> str:
    """Lines over shared x labels (dates, in order); gaps where a value is ``None``."""
    labels: list[str] = []
    for s in series:
        for x, _ in s.points:
            if x not in labels:
                labels.append(x)
    known = [v for s in series for _, v in s.points if v is not None]
    if not labels or not known:
        return _empty(title)
    top = 1.0 if percent and max(known) <= 1 else _nice_max(max(known))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)
    index = {x: i for i, x in enumerate(labels)}

    def at(x: str, v: float) -> tuple[float, float]:
        return LEFT + step * index[x], HEIGHT - BOTTOM - plot_h * (v / top)

    body = _axis(top, percent)
    words = []
    for k, s in enumerate(series):
        colour, marker = COLOURS[k % len(COLOURS)], MARKERS[k % len(MARKERS)]
        runs: list[list[tuple[float, float]]] = [[]]
        for x, v in s.points:
            if v is None:
                runs.append([])
                continue
            runs[-1].append(at(x, v))
            body.append(_marker(marker, *at(x, v), colour, f"{s.name}, {x}: {_fmt(v, percent)}"))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                body.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
        values = [v for _, v in s.points if v is not None]
        words.append(
            f"{s.name}: {len(values)} points from {_fmt(min(values), percent)} to "
            f"{_fmt(max(values), percent)}"
            if values
            else f"{s.name}: no data"
        )
        body.append(
            f'<text x="{LEFT + 8 + 150 * k}" y="{TOP - 10}" fill="{colour}">{escape(s.name)}</text>'
        )
    ticks = max(1, len(labels) // 6)
    for i, x in enumerate(labels):
        if i % ticks == 0:
            body.append(
                f'<text x="{LEFT + step * i:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" fill="#333333">{escape(x)}</text>'
            )
    return _frame(title, "; ".join(words), body)


def data_table(
    caption: str, columns: Sequence[str], rows: Sequence[Sequence[object]],
    fmt: Callable[[object], str] = str,
) -> str:  # fmt: skip
    """The same figures as a table (the accessible twin of a chart)."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(fmt(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
