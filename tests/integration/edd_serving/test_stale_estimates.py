"""An estimate never goes stale with the clock (issue 16): a parcel out for delivery on a
Thursday and not delivered is late on Sunday, not "arriving today", on the page and in its
JSON twin, with since when and a new date from the live layer. Fixed clocks throughout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.entrypoints.api.app import create_app
from postpurchase.entrypoints.web.page_state import state_for
from tests import tracking_scenarios as sc
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(sc.NOW)


@pytest.fixture
def platform(engine: Engine, clock: FakeClock) -> Platform:
    return bootstrap(Settings(), engine=engine, clock=clock, notifications=False)


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), follow_redirects=False) as c:
        yield c


@pytest.fixture
def shop(platform: Platform) -> Any:
    return sc.merchant(platform, timezone="America/New_York")


def _page(client: TestClient, token: str) -> tuple[str, dict[str, Any]]:
    state_for(client.app).forget()  # the clock moved: render again
    html = client.get(f"/t/{token}?lang=en").text
    text = BeautifulSoup(html, "html.parser").select_one(".eta").get_text(" ", strip=True)
    body = client.get(f"/api/v1/public/track/{token}?lang=en").json()
    return text, body


def test_out_for_delivery_is_today_only_on_the_day_of_the_scan(
    client: TestClient, shop: Any, platform: Platform, clock: FakeClock
) -> None:
    seeded = sc.order(platform, shop.id, "out_for_delivery")
    text, body = _page(client, seeded.token)
    assert "Today" in text and body["estimate"]["late"] is False

    clock.advance(days=2, hours=20)  # Thursday 15:30 -> Sunday 11:30 in New York
    text, body = _page(client, seeded.token)
    assert "Today" not in text
    assert "Delayed" in text and "Thursday, November 19" in text
    estimate = body["estimate"]
    assert estimate["late"] is True
    assert estimate["late_since"] == "2026-11-20"  # the day after the unkept "today"
    assert estimate["start"] >= "2026-11-23"  # the live layer's new date: Monday at best
    assert estimate["layer"] == "rules"  # no model active for this shop: the rules layer
    assert body["shipments"][0]["estimate"] == estimate


def test_a_carrier_date_that_passed_says_late_since_when(
    client: TestClient, shop: Any, platform: Platform, clock: FakeClock
) -> None:
    seeded = sc.order(platform, shop.id, "in_transit")
    _, before = _page(client, seeded.token)
    end = before["estimate"]["end"]
    assert before["estimate"]["late"] is False and end is not None
    clock.advance(days=10)
    text, body = _page(client, seeded.token)
    estimate = body["estimate"]
    assert estimate["late"] is True and "Delayed" in text
    from datetime import date

    assert estimate["late_since"] == (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    assert estimate["end"] >= (sc.NOW + timedelta(days=10)).date().isoformat()


def test_the_sweep_flags_a_parcel_out_for_delivery_since_an_earlier_day(
    client: TestClient, shop: Any, platform: Platform, clock: FakeClock
) -> None:
    from postpurchase.domain import commands

    seeded = sc.order(platform, shop.id, "out_for_delivery")
    clock.advance(hours=12)  # the same evening: not late yet
    platform.bus().handle(commands.SweepStaleShipments("*", clock.now()))
    _, body = _page(client, seeded.token)
    assert body["shipments"][0]["status"] == "out_for_delivery"
    clock.advance(days=1)  # Friday night, still not delivered
    assert platform.bus().handle(commands.SweepStaleShipments("*", clock.now())) >= 1
    _, body = _page(client, seeded.token)
    parcel = body["shipments"][0]
    assert (parcel["status"], parcel["substatus"]) == ("exception", "delayed")
    assert (parcel["events"][0]["status"], parcel["events"][0]["substatus"]) == (
        "exception",
        "delayed",
    )  # the sweep's own event, newest first
