"""Orders search, the order and shipment pages, per role and per store (both backends)."""

from __future__ import annotations

import pytest

from postpurchase.domain.console import Role
from postpurchase.domain.notifications import Channel, Message, MessageStatus
from tests.factories import place_order
from tests.integration.console.conftest import Console
from tests.integration.console.seeding import seed


def test_search_finds_an_order_by_number_email_tracking_number_and_name(console: Console) -> None:
    mine = seed(console.platform, console.a.merchant_id, "on_time", name="Grace Hopper")
    theirs = seed(console.platform, console.b.merchant_id, "on_time", name="Grace Hopper")
    viewer = console.a.viewer
    spaced = " ".join([mine.tracking_number[:6], mine.tracking_number[6:]]).lower()
    for q in (mine.number, mine.number.lstrip("#"), mine.email.upper(), spaced):
        page = viewer.get("/console/orders", params={"q": q})
        assert page.status_code == 200, q
        assert f"/console/orders/{mine.order_id}" in page.text, q
        assert f"/console/orders/{theirs.order_id}" not in page.text
    by_name = viewer.get("/console/orders", params={"q": "grace hop"}).text
    assert f"/console/orders/{mine.order_id}" in by_name
    assert f"/console/orders/{theirs.order_id}" not in by_name
    # the other store's number finds nothing here
    other = viewer.get("/console/orders", params={"q": theirs.number}).text
    assert f"/console/orders/{theirs.order_id}" not in other and "No order matches" in other


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"status": "lost"}, "status"),
        ({"shipment": "nowhere"}, "shipment"),
        ({"page": "0"}, "page"),
        ({"carrier": "U P S"}, "carrier"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "from"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_malformed_filters_are_a_400_naming_the_parameter(
    console: Console, params: dict[str, str], field: str
) -> None:
    r = console.a.viewer.get("/console/orders", params=params)
    assert r.status_code == 400
    assert f'data-field="{field}"' in r.text


def test_filters_and_paging(console: Console) -> None:
    delivered = seed(console.platform, console.a.merchant_id, "delivered")
    on_way = seed(console.platform, console.a.merchant_id, "on_time")
    viewer = console.a.viewer
    page = viewer.get("/console/orders", params={"shipment": "delivered"}).text
    assert delivered.order_id in page and on_way.order_id not in page
    page = viewer.get("/console/orders", params={"from": "2026-11-02"}).text
    assert delivered.order_id not in page  # placed on 2026-11-01
    for _ in range(26):
        console.platform.bus().handle(place_order(console.a.merchant_id))
    first = viewer.get("/console/orders").text
    assert 'rel="next"' in first and "1–25" in first
    second = viewer.get("/console/orders", params={"page": "2"}).text
    assert 'rel="prev"' in second


def test_shipment_page_shows_scans_and_why_a_message_was_not_sent(console: Console) -> None:
    from postpurchase.adapters.notifications.unit_of_work import SqlNotificationUnitOfWork

    s = seed(console.platform, console.a.merchant_id, "failed")
    now = console.clock.now()
    msg = Message(
        "m" + s.shipment_id[:20], console.a.merchant_id, f"test:{s.shipment_id}",
        "attempt_failed", Channel.EMAIL, MessageStatus.SUPPRESSED,
        "recipient opted out of email", "en", s.shipment_id, s.order_id, s.shipment_id, None,
        s.email, "ShipmentStatusChanged", None, now, True, now, now,
    )  # fmt: skip
    with SqlNotificationUnitOfWork(
        console.platform.engine, console.clock.now, box=console.platform.keyring
    ) as uow:
        uow.store.add_messages([msg])
        uow.commit()
    page = console.a.viewer.get(f"/console/shipments/{s.shipment_id}")
    assert page.status_code == 200
    assert s.tracking_number in page.text and "attempt failed" in page.text
    assert "recipient opted out of email" in page.text
    assert "Failed attempt" in page.text  # needs attention
    assert 'action="/console/shipments/' not in page.text  # a viewer gets no action forms
    agent_page = console.a.agent.get(f"/console/shipments/{s.shipment_id}").text
    assert f'action="/console/shipments/{s.shipment_id}/resolve"' in agent_page
    order = console.a.viewer.get(f"/console/orders/{s.order_id}")
    assert order.status_code == 200 and s.number in order.text and "MUG-1" in order.text


@pytest.mark.parametrize("role", list(Role))
def test_no_page_shows_another_stores_order_or_shipment(console: Console, role: Role) -> None:
    theirs = seed(console.platform, console.b.merchant_id, "address")
    person = console.a.people[role]
    for url in (f"/console/orders/{theirs.order_id}", f"/console/shipments/{theirs.shipment_id}"):
        r = person.get(url)
        assert r.status_code == 404 and theirs.tracking_number not in r.text
    assert theirs.number not in person.get("/console/orders").text
    assert theirs.tracking_number not in person.get("/console/exceptions").text
