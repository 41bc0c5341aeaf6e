"""docs/carriers.md tested against the format table: one row per format, the right carrier,
"none" exactly where the format has no check digit, and a source for every rule."""

from __future__ import annotations

from pathlib import Path

from postpurchase.domain.carrier_detection.carriers import LINK_ONLY
from postpurchase.domain.carrier_detection.formats import FORMATS

DOC = (Path(__file__).parents[2] / "docs" / "carriers.md").read_text()


def _rows() -> dict[str, list[str]]:
    """Format name -> the cells of its row in the formats table."""
    rows: dict[str, list[str]] = {}
    for line in DOC.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        assert name not in rows, f"{name} is listed twice"
        rows[name] = cells
    return rows


def test_every_format_is_documented_under_its_carrier() -> None:
    rows = _rows()
    for fmt in FORMATS:
        assert fmt.name in rows, f"format {fmt.name} is missing from docs/carriers.md"
        carrier = rows[fmt.name][1]
        expected = "post of the country suffix" if fmt.carrier is None else f"`{fmt.carrier}`"
        assert carrier == expected, (fmt.name, carrier)


def test_no_documented_format_is_gone_from_the_code() -> None:
    assert set(_rows()) <= {fmt.name for fmt in FORMATS}


def test_each_row_states_its_check_digit_rule_and_its_source() -> None:
    rows = _rows()
    for fmt in FORMATS:
        _, _, pattern, check, source, *_ = rows[fmt.name]
        assert pattern and source, fmt.name
        assert check.startswith("none") == (fmt.check is None), (fmt.name, check)
        assert fmt.source, f"{fmt.name} has no source in the code"


def test_link_only_carriers_are_mentioned() -> None:
    for slug in LINK_ONLY:
        assert f"`{slug}`" in DOC, slug
