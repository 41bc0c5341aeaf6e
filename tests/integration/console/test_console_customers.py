"""Customers: search and the timeline, newest first, this store's only (both backends)."""

from __future__ import annotations

from postpurchase.domain.console import Role
from tests.integration.console.conftest import Console
from tests.integration.console.seeding import seed


def test_timeline_shows_orders_scans_messages_and_actions_newest_first(console: Console) -> None:
    s = seed(console.platform, console.a.merchant_id, "failed", name="Linus Novak")
    agent = console.a.agent
    agent.post(f"/console/shipments/{s.shipment_id}/resolve", {"note": "called the customer"})
    found = agent.get("/console/customers", params={"q": "novak"})
    assert found.status_code == 200 and s.email in found.text
    page = agent.get(f"/console/customers/{s.email}")
    assert page.status_code == 200
    text = page.text
    for piece in (f"Order {s.number} placed", f"Shipped {s.tracking_number}", "Attempt failed",
                  "Resolved (failed attempt)", "called the customer"):  # fmt: skip
        assert piece in text, piece
    # newest first: the resolution (now) before the scan (earlier) before the order (first)
    assert text.index("Resolved (failed attempt)") < text.index("Attempt failed")
    assert text.index("Attempt failed") < text.index(f"Order {s.number} placed")


def test_another_stores_customer_is_not_found(console: Console) -> None:
    theirs = seed(console.platform, console.b.merchant_id, "on_time")
    for role in Role:
        person = console.a.people[role]
        assert person.get(f"/console/customers/{theirs.email}").status_code == 404
        assert theirs.email not in person.get("/console/customers", params={"q": "@"}).text
    bad = console.a.viewer.get("/console/customers", params={"page": "x"})
    assert bad.status_code == 400 and 'data-field="page"' in bad.text
