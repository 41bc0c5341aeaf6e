"""The tracking page records the promises it shows (issue 14), on both backends: once per
change per parcel, HTML and JSON twin alike, never by the view itself, and the promises KPI
judges them like the checkout's and the messages'."""

from __future__ import annotations

import time
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import event, select, update
from tests.factories import T0
from tests.fakes import FakeClock
from tests.integration.kpis.shop import Shop

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis.tables import promise_records
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.entrypoints.web.loader import PageState
from postpurchase.entrypoints.web.shown_promises import ShownPromises

RANGE = {"from": "2026-10-01", "to": "2026-11-30"}
NOV5, NOV6 = date(2026, 11, 5), date(2026, 11, 6)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(hours=8))  # the day the parcels below left: Nov 5 ahead


def page_state(shop: Shop, *, background: bool = False, delay: float = 1.0) -> PageState:
    """No response cache (every view reaches the route); the recorder flushed by the test."""
    state = PageState(
        max_stale=0,
        background_sweep=False,
        shown=ShownPromises(background=background, delay=delay),
    )
    shop.client.app.state.tracking_page = state  # type: ignore[attr-defined]
    return state


def token_of(shop: Shop, order_id: str) -> str:
    with shop.platform.engine.connect() as conn:
        return str(
            conn.execute(
                select(t.orders.c.tracking_token).where(t.orders.c.id == order_id)
            ).scalar_one()
        )


def page_rows(shop: Shop, order_id: str) -> list[Any]:
    p = promise_records.c
    with shop.platform.engine.connect() as conn:
        return conn.execute(
            select(p.merchant_id, p.shipment_id, p.earliest, p.latest, p.source, p.shown_at)
            .where(p.order_id == order_id, p.surface == "page")
            .order_by(p.shown_at, p.id)
        ).all()


def set_estimate(shop: Shop, number: str, day: date) -> None:
    with shop.platform.engine.begin() as conn:
        conn.execute(
            update(t.shipments)
            .where(t.shipments.c.tracking_number == number)
            .values(carrier_estimate=day)
        )


def view(shop: Shop, state: PageState, path: str) -> None:
    state.pages.clear()  # a render each time: the recorder's worst case
    got = shop.client.get(path)
    assert got.status_code == 200, got.text


def test_a_promise_shown_in_html_and_json_is_recorded_once(shop: Shop) -> None:
    state = page_state(shop)
    order_id, _ = shop.parcel(estimate=NOV5)
    token = token_of(shop, order_id)
    for path in (f"/t/{token}", f"/t/{token}?lang=de", f"/api/v1/public/track/{token}"):
        for _ in range(3):
            view(shop, state, path)
    assert page_rows(shop, order_id) == []  # nothing written by the views
    assert state.shown.flush(shop.platform.engine) == 1
    (row,) = page_rows(shop, order_id)
    assert row.merchant_id == shop.merchant_id and row.latest == NOV5
    assert row.shipment_id is not None and row.source.startswith("html:")
    assert row.shown_at == shop.clock.now()


def test_each_change_is_recorded_a_return_to_an_earlier_date_too(shop: Shop) -> None:
    state = page_state(shop)
    order_id, number = shop.parcel(estimate=NOV5)
    token = token_of(shop, order_id)
    for day in (NOV5, NOV6, NOV6, NOV5):
        set_estimate(shop, number, day)
        view(shop, state, f"/api/v1/public/track/{token}")
        shop.clock.advance(minutes=5)
        state.shown.flush(shop.platform.engine)
    assert [r.latest for r in page_rows(shop, order_id)] == [NOV5, NOV6, NOV5]
    assert all(r.source.startswith("json:") for r in page_rows(shop, order_id))
    # A restarted process has forgotten what it noted; the database still dedupes.
    state.shown.forget()
    view(shop, state, f"/t/{token}")
    assert state.shown.flush(shop.platform.engine) == 0
    assert len(page_rows(shop, order_id)) == 3


def test_views_never_write_and_a_flush_is_one_statement(shop: Shop) -> None:
    state = page_state(shop)
    tokens = [token_of(shop, shop.parcel(estimate=NOV5)[0]) for _ in range(3)]
    inserts: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        # This shop's rows only: the engine is shared, and another test's background
        # writer may still be flushing its own views meanwhile.
        if statement.lstrip().upper().startswith(
            "INSERT INTO PROMISE_RECORDS"
        ) and shop.merchant_id in repr(parameters):
            inserts.append(statement)

    engine = shop.platform.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(10):
            for token in tokens:
                view(shop, state, f"/t/{token}")
        assert inserts == []
        assert state.shown.flush(engine) == 3
        assert len(inserts) == 1  # the three parcels in one multi-row INSERT
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_background_writer_records_within_its_delay(shop: Shop) -> None:
    state = page_state(shop, background=True, delay=0.05)
    order_id, _ = shop.parcel(estimate=NOV5)
    view(shop, state, f"/t/{token_of(shop, order_id)}")
    deadline = time.monotonic() + 10
    while not page_rows(shop, order_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.latest for r in page_rows(shop, order_id)] == [NOV5]


def test_the_writer_backs_off_while_writes_fail_and_close_writes_and_stops(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database refusing the writes (dropped, down) is retried with a doubling delay, not
    every ``delay``; closing (the app's shutdown) writes what is queued and starts no timer."""
    from postpurchase.entrypoints.web import shown_promises

    state = page_state(shop, background=True, delay=0.02)
    tries: list[float] = []

    def refused(conn: Any, rows: Any) -> int:
        tries.append(time.monotonic())
        raise RuntimeError("the database refused the write")

    monkeypatch.setattr(shown_promises, "record_page_promises", refused)
    order_id, _ = shop.parcel(estimate=NOV5)
    view(shop, state, f"/t/{token_of(shop, order_id)}")
    time.sleep(1.0)
    # 0.02 s, then 0.04, 0.08, 0.16, 0.32, 0.64 apart: at most 6 tries in a second, not 50
    assert 2 <= len(tries) <= 6, tries
    assert all(b - a >= 0.03 for a, b in pairwise(tries[1:]))
    assert page_rows(shop, order_id) == []

    monkeypatch.undo()
    assert state.shown.close(shop.platform.engine) == 1
    assert [r.latest for r in page_rows(shop, order_id)] == [NOV5]
    other_id, _ = shop.parcel(estimate=NOV6)
    view(shop, state, f"/t/{token_of(shop, other_id)}")  # noted, but no writer any more
    time.sleep(0.3)
    assert page_rows(shop, other_id) == []


def test_an_order_not_shipped_yet_records_its_own_promise(shop: Shop) -> None:
    from tests.factories import place_order

    from postpurchase.domain.orders import Promise

    state = page_state(shop)
    order = shop.platform.bus().handle(
        place_order(shop.merchant_id, placed_at=T0, promise=Promise(NOV6))
    )
    view(shop, state, f"/t/{token_of(shop, order.id)}")
    state.shown.flush(shop.platform.engine)
    rows = page_rows(shop, order.id)
    assert [(r.shipment_id, r.latest) for r in rows] == [(None, NOV6)]


def test_the_promises_kpi_judges_the_pages_promises(shop: Shop, other_shop: Shop) -> None:
    state = page_state(shop)
    order_id, number = shop.parcel(estimate=NOV5)
    view(shop, state, f"/t/{token_of(shop, order_id)}")
    state.shown.flush(shop.platform.engine)
    delivered = TrackingEvent(
        occurred_at=T0 + timedelta(days=5, hours=2), status=ShipmentStatus.DELIVERED
    )  # Nov 6: a day after the page's date
    update_ = commands.TrackingUpdate(number, "ups", (delivered,))
    shop.platform.bus().handle(commands.RecordTracking(shop.merchant_id, (update_,)))
    shop.clock.advance(days=6)
    shop.refresh()
    got = shop.client.get("/api/v1/kpis/promises", params=RANGE).json()
    page = [r for r in got["rows"] if r["surface"] == "page"]
    assert sum(r["shown"] for r in page) == 1 and sum(r["late"] for r in page) == 1
    theirs = other_shop.client.get("/api/v1/kpis/promises", params=RANGE).json()
    assert not [r for r in theirs["rows"] if r["surface"] == "page"]
