"""docs/carriers.md's account table tested against the connectors: every carrier we accept,
its karrio connector and every field it takes, secret or option, required or not."""

from __future__ import annotations

import re
from pathlib import Path

from postpurchase.adapters.carriers.connectors import KARRIO

DOC = (Path(__file__).parents[3] / "docs" / "carriers.md").read_text()


def _rows() -> dict[str, list[str]]:
    section = DOC.split("## Carrier accounts", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] in KARRIO:
            rows[cells[0]] = cells
    return rows


def test_every_connector_is_documented_with_its_fields() -> None:
    rows = _rows()
    assert set(rows) == set(KARRIO)
    for slug, spec in KARRIO.items():
        _, connector, secrets, options, _licence, batch = rows[slug]
        assert connector.startswith(f"`{spec.name}`"), slug
        for name in spec.fields:
            cell = secrets if name in spec.secrets else options
            found = re.search(rf"(?<![a-z_]){name}(\\\*)?(?![a-z_])", cell)
            assert found, (slug, name)
            assert bool(found.group(1)) == (name in spec.required), (slug, name)
        assert batch.startswith(str(spec.track_batch)), slug
