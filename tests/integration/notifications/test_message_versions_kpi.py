"""Message versions measured (issue 14) on both backends: ``/api/v1/kpis/messages`` and its
CSV, SVG and console twins compare a flow's template versions and its hold-out by the orders
they reached: order-status contacts after the message, CSAT, with counts and intervals; one
merchant never sees another's."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from postpurchase.adapters.db import tracking_views
from postpurchase.domain.kpis import wilson_interval
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, ref
from tests.integration.notifications.conftest import Notify
from tests.integration.notifications.test_templates_api import MINE, URL

RANGE = {"from": "2026-10-01", "to": "2026-11-30"}


@pytest.fixture
def client(notify: Notify) -> Iterator[TestClient]:
    with TestClient(create_app(notify.platform)) as c:
        c.headers["Authorization"] = f"Bearer {notify.api_key}"
        yield c


def contact(client: TestClient, order_id: str, minutes: int, notify: Notify) -> None:
    at = notify.clock.now() + timedelta(minutes=minutes)
    r = client.post(
        "/api/v1/support/contacts",
        json={"ticket_id": ref("t-"), "order_id": order_id, "subject": "Where is my order?",
              "intent": "order_status", "contacted_at": at.isoformat()},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["order_status_contact"], r.text


def test_versions_and_the_holdout_are_compared_with_counts(
    notify: Notify, client: TestClient
) -> None:
    assert client.post(f"{URL}/versions", json={"locales": {"en": MINE}}).status_code == 201
    split = {"holdout_percent": 40, "variants": {"0": 1, "1": 1}}
    assert client.put(f"{URL}/split", json=split).status_code == 200
    orders = [
        notify.platform.bus().handle(place_order(notify.merchant.id, placed_at=T0))
        for _ in range(30)
    ]
    notify.drain()
    variant = {}
    for o in orders:
        (msg,) = notify.messages(order_id=o.id, flow="order_confirmed")
        variant[o.id] = (
            "held out" if msg["held_out"] else ("v1" if msg["template_version"] else "built-in")
        )
    # Contacts after the message, every third order; one before it is not counted.
    asked = [o.id for o in orders[::3]]
    notify.clock.advance(hours=1)
    for order_id in asked:
        contact(client, order_id, 0, notify)
    contact(client, orders[1].id, -180, notify)  # before the message: not its effect
    # Survey answers: 5 stars on even orders, 2 on odd ones.
    with notify.platform.engine.begin() as conn:
        for i, o in enumerate(orders):
            tracking_views.save_rating(
                conn, merchant_id=notify.merchant.id, order_id=o.id, score=5 if i % 2 else 2,
                locale="en", at=notify.clock.now(),
            )  # fmt: skip
    got = client.get("/api/v1/kpis/messages", params=RANGE)
    assert got.status_code == 200, got.text
    rows = {(r["flow"], r["variant"]): r for r in got.json()["rows"]}
    expected = Counter(variant.values())
    assert {k[1]: r["orders"] for k, r in rows.items() if k[0] == "order_confirmed"} == expected
    for name, n in expected.items():
        row = rows[("order_confirmed", name)]
        mine = [o for o, v in variant.items() if v == name]
        contacted = sum(1 for o in asked if variant[o] == name)
        assert row["order_status_contacts"] == contacted
        assert row["order_status_contacts_per_100_orders"] == pytest.approx(100 * contacted / n)
        happy = sum(1 for i, o in enumerate(orders) if o.id in mine and i % 2)
        assert row["rated_orders"] == n and row["csat"] == pytest.approx(happy / n)
        low, high = wilson_interval(happy, n) or (None, None)
        assert (row["csat_ci95_low"], row["csat_ci95_high"]) == pytest.approx((low, high))
        assert row["held_out"] == (name == "held out") and row["opens"] is None
        assert row["clicked_orders"] == (None if name == "held out" else 0)
    assert got.json()["summary"]["held_out_orders"] == expected["held out"]
    table = list(
        csv.DictReader(io.StringIO(client.get("/api/v1/kpis/messages.csv", params=RANGE).text))
    )
    assert len(table) == len(got.json()["rows"]) and "csat_ci95_low" in table[0]
    svg = client.get("/api/v1/kpis/messages.svg", params=RANGE).text
    assert svg.startswith("<svg") and "held out · order_confirmed · email" in svg


def test_another_merchant_sees_none_of_it(notify: Notify, client: TestClient) -> None:
    notify.platform.bus().handle(place_order(notify.merchant.id, placed_at=T0))
    notify.drain()
    assert client.get("/api/v1/kpis/messages", params=RANGE).json()["rows"]
    _, key, *_ = handlers.create_merchant(notify.platform.uow(), notify.clock, "Other " + ref())
    theirs = client.get(
        "/api/v1/kpis/messages", params=RANGE, headers={"Authorization": f"Bearer {key}"}
    )
    assert theirs.status_code == 200 and theirs.json()["rows"] == []
