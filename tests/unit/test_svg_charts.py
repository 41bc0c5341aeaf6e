"""Server-side SVG charts: well-formed, accessible, honest about missing values."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from postpurchase.entrypoints.web.svg_charts import Series, bar_chart, data_table, time_series

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on markup that is not well-formed


def test_bars_are_labelled_in_words_and_a_missing_value_is_not_zero() -> None:
    root = parse(bar_chart("On time by carrier", [("ups", 0.5), ("dhl", None), ("<b>", 1.0)],
                           percent=True))  # fmt: skip
    assert root.get("role") == "img"
    assert root.find(f"{NS}title").text == "On time by carrier"
    desc = root.find(f"{NS}desc").text
    assert desc == "ups: 50.0%; dhl: n/a; <b>: 100.0%"
    rects = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [r.find(f"{NS}title").text for r in rects] == ["ups: 50.0%", "<b>: 100.0%"]
    heights = [float(r.get("height")) for r in rects]
    assert heights[1] == 2 * heights[0]  # 100% is twice as tall as 50%


def test_series_have_gaps_markers_and_a_legend() -> None:
    svg = time_series(
        "On-time rate",
        [Series("vs promise", [("11-01", 0.9), ("11-02", None), ("11-03", 0.8)]),
         Series("vs carrier", [("11-01", 0.7), ("11-02", 0.75), ("11-03", 0.6)])],
        percent=True,
    )  # fmt: skip
    root = parse(svg)
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 1  # the gap splits 'vs promise' into single points; 'vs carrier' is a line
    assert "vs promise: 2 points from 80.0% to 90.0%" in root.find(f"{NS}desc").text
    tips = [e.find(f"{NS}title").text for e in root.iter() if e.find(f"{NS}title") is not None]
    assert "vs carrier, 11-02: 75.0%" in tips


def test_no_data_says_so() -> None:
    for svg in (bar_chart("Empty", []), time_series("Empty", [Series("x", [("a", None)])])):
        assert parse(svg).find(f"{NS}desc").text == "No data in this range."


def test_the_table_twin_escapes_its_cells() -> None:
    html = data_table("Carriers", ["carrier", "rate"], [["<ups>", 0.5]])
    assert "<td>&lt;ups&gt;</td>" in html and "<caption>Carriers</caption>" in html
