"""The console's KPI pages on both backends: a chart drawn on the server, the figures in a
table, filters checked, for the signed-in store's parcels only."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from postpurchase.domain.console import Role
from tests.integration.console.conftest import Console
from tests.integration.kpis.shop import Shop

RANGE = "from=2026-10-01&to=2026-11-30"


def shop_of(console: Console, store: Any) -> Shop:
    return Shop(console.platform, console.clock, store.merchant_id, store.slug, store.key,
                client=None)  # type: ignore[arg-type]  # fmt: skip


def test_every_role_sees_its_stores_charts_and_figures(console: Console) -> None:
    a, b = shop_of(console, console.a), shop_of(console, console.b)
    a.parcel(promise=date(2026, 11, 4), delivered_hours=48)
    a.parcel(promise=date(2026, 11, 4), delivered_hours=24 * 6)
    b.parcel(promise=date(2026, 11, 4), delivered_hours=24 * 9)
    a.refresh()
    b.refresh()
    for role in Role:
        page = console.a.people[role].get(f"/console/kpis/carriers?{RANGE}")
        assert page.status_code == 200, page.text
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
        assert "ups: 50.0%" in page.text  # one of two on time, in the chart's words
        assert "US-CA&gt;US-NY" in page.text
        assert "<script" not in page.text.split("<figure", 1)[1].split("</figure>")[0]
    theirs = console.b.viewer.get(f"/console/kpis/delivery?{RANGE}").text
    assert re.search(r"<dt>shipments</dt><dd>1</dd>", theirs)
    assert console.a.viewer.get("/console/kpis").headers["location"] == "/console/kpis/delivery"


def test_bad_filters_show_the_form_again_naming_the_field(console: Console) -> None:
    page = console.a.viewer.get("/console/kpis/delivery?from=yesterday")
    assert page.status_code == 422 and "from: a date as YYYY-MM-DD" in page.text
    lane = console.a.viewer.get("/console/kpis/carriers?lane=nowhere")
    assert lane.status_code == 422 and "lane:" in lane.text
    assert console.a.viewer.get("/console/kpis/happiness").status_code == 404


def test_signed_out_goes_to_the_log_in_page(console: Console) -> None:
    anonymous = console.client().get("/console/kpis/delivery", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/console/login" in anonymous.headers["location"]
