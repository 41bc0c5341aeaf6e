"""Customers: search and the timeline, newest first, this store's only (both backends)."""

from __future__ import annotations

from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.domain.console import Role
from tests.console_seeding import seed
from tests.integration.console.conftest import Console


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


def test_timeline_shows_survey_answers_and_support_contacts(console: Console) -> None:
    """Both come from other contexts' tables: the survey's answer with its comment (the
    tracking page) and a contact through the support API, linked to the order."""
    s = seed(console.platform, console.a.merchant_id, "delivered", name="Mary Shelley")
    with console.platform.engine.connect() as conn:
        q = select(t.orders.c.tracking_token).where(t.orders.c.id == s.order_id)
        token = conn.execute(q).scalar_one()
    shopper = console.client()
    rated = shopper.post(f"/t/{token}/rating", data={"score": "2", "comment": "Box crushed"},
                         follow_redirects=False)  # fmt: skip
    assert rated.status_code == 303, rated.text
    api = console.client()
    api.headers["Authorization"] = f"Bearer {console.a.key}"
    contact = {"ticket_id": "T-7", "customer_email": s.email.upper(),
               "subject": "Where is my order?"}  # fmt: skip
    assert api.post("/api/v1/support/contacts", json=contact).status_code == 201
    page = console.a.viewer.get(f"/console/customers/{s.email}").text
    for piece in ("Rated the delivery 2/5", "“Box crushed”", "from the tracking page",
                  "Contacted support (order status)", "Where is my order?",
                  "api #T-7"):  # fmt: skip
        assert piece in page, piece
    # another store's people never see them
    assert console.b.owner.get(f"/console/customers/{s.email}").status_code == 404
