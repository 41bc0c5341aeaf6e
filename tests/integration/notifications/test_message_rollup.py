"""The message-versions report read from the worker's rollup (ADR 0030) on both backends:
the same figures as summing the messages, days not summed yet summed live, a late contact
shown once its day is summed again, and one merchant's sums never in another's report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postpurchase.adapters.db import tracking_views
from postpurchase.adapters.db.kpis import message_rollup
from postpurchase.adapters.db.kpis.messages import version_sums as from_messages
from postpurchase.adapters.db.kpis.queries import merchant_zone_bounds
from postpurchase.adapters.db.kpis.tables import kpi_message_daily, kpi_message_days
from postpurchase.domain.kpis import KpiQuery
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, ref
from tests.integration.notifications.conftest import Notify
from tests.integration.notifications.test_message_versions_kpi import RANGE, contact
from tests.integration.notifications.test_templates_api import MINE, URL


@pytest.fixture
def client(notify: Notify) -> Iterator[TestClient]:
    with TestClient(create_app(notify.platform)) as c:
        c.headers["Authorization"] = f"Bearer {notify.api_key}"
        yield c


def report(client: TestClient, **headers: str) -> list[dict[str, Any]]:
    got = client.get("/api/v1/kpis/messages", params=RANGE, headers=headers)
    assert got.status_code == 200, got.text
    rows: list[dict[str, Any]] = got.json()["rows"]
    return rows


def roll(notify: Notify) -> int:
    """The worker's tick for this test's merchant: the session's database holds other
    tests' merchants, whose days may be due too."""
    now = notify.clock.now()
    with notify.engine.begin() as conn:
        due = message_rollup.due_days(conn, notify.merchant.id, now)
        return message_rollup.rebuild_days(conn, notify.merchant.id, due, now) if due else 0


def roll_all(notify: Notify) -> int:
    """The worker's tick itself: every merchant's due days."""
    with notify.engine.begin() as conn:
        return message_rollup.refresh(conn, notify.clock.now())


def orders_over_three_days(notify: Notify, client: TestClient) -> list[str]:
    """Four orders on each of the last three days (today's too), two versions and a
    hold-out, contacts after the message on every third order, answers on all."""
    assert client.post(f"{URL}/versions", json={"locales": {"en": MINE}}).status_code == 201
    split = {"holdout_percent": 30, "variants": {"0": 1, "1": 1}}
    assert client.put(f"{URL}/split", json=split).status_code == 200
    bus = notify.platform.bus()
    ids = [
        bus.handle(place_order(notify.merchant.id, placed_at=T0 - timedelta(days=d))).id
        for d in (2, 1, 0)
        for _ in range(4)
    ]
    notify.drain()
    notify.clock.advance(minutes=30)
    for order_id in ids[::3]:
        contact(client, order_id, 0, notify)
    with notify.engine.begin() as conn:
        for i, order_id in enumerate(ids):
            tracking_views.save_rating(
                conn, merchant_id=notify.merchant.id, order_id=order_id,
                score=5 if i % 2 else 2, locale="en", at=notify.clock.now(),
            )  # fmt: skip
    return ids


def test_the_rollup_gives_what_the_messages_give(notify: Notify, client: TestClient) -> None:
    orders_over_three_days(notify, client)
    live = report(client)  # nothing summed yet: every day from the messages
    assert sum(r["orders"] for r in live if r["flow"] == "order_confirmed") == 12
    assert roll(notify) >= 2  # the days before today (in the merchant's calendar)
    with notify.engine.connect() as conn:
        days = set(
            conn.execute(
                select(kpi_message_days.c.placed_on).where(
                    kpi_message_days.c.merchant_id == notify.merchant.id
                )
            ).scalars()
        )
        summed = conn.execute(
            select(func.sum(kpi_message_daily.c.orders)).where(
                kpi_message_daily.c.merchant_id == notify.merchant.id,
                kpi_message_daily.c.flow == "order_confirmed",
            )
        ).scalar()
    today = notify.clock.now().date()
    assert today not in days and {today - timedelta(days=1), today - timedelta(days=2)} <= days
    assert summed == 8  # today's four are summed live by the report
    assert report(client) == live
    assert roll(notify) == 0  # nothing due again within ten minutes


def test_version_sums_equal_on_any_range(notify: Notify, client: TestClient) -> None:
    orders_over_three_days(notify, client)
    roll(notify)
    today = notify.clock.now().date()
    with notify.engine.connect() as conn:
        for first, last in [(today - timedelta(days=2), today), (today - timedelta(days=1),) * 2,
                            (date(2026, 10, 1), today - timedelta(days=2))]:  # fmt: skip
            q = KpiQuery(first, last)
            start, end = merchant_zone_bounds(conn, notify.merchant.id, q)
            direct = message_rollup.merge(from_messages(conn, notify.merchant.id, start, end))
            assert message_rollup.version_sums(conn, notify.merchant.id, q) == direct


def test_a_late_contact_shows_once_its_day_is_summed_again(
    notify: Notify, client: TestClient
) -> None:
    ids = orders_over_three_days(notify, client)
    roll(notify)
    before = report(client)
    contact(client, ids[1], 0, notify)  # an order of two days ago, not contacted yet
    assert report(client) == before  # its day's sums stand until they are due again
    notify.clock.advance(minutes=11)
    assert roll(notify) >= 2
    after = report(client)
    count = sum(r["order_status_contacts"] for r in after if r["flow"] == "order_confirmed")
    assert count == 1 + sum(
        r["order_status_contacts"] for r in before if r["flow"] == "order_confirmed"
    )


def test_another_merchants_sums_stay_theirs(notify: Notify, client: TestClient) -> None:
    orders_over_three_days(notify, client)
    _, key, *_ = handlers.create_merchant(notify.platform.uow(), notify.clock, "Other " + ref())
    assert roll_all(notify) >= 2
    assert report(client)
    assert report(client, Authorization=f"Bearer {key}") == []


def test_stale_after_grows_with_the_days_age() -> None:
    ages = [message_rollup.stale_after(d) for d in (1, 14, 15, 100, 101, 365)]
    assert ages == sorted(ages) and ages[0] == timedelta(minutes=10)
    assert ages[-1] == timedelta(days=1)
