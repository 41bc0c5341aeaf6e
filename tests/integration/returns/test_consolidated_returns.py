"""Consolidated returns over HTTP, both backends: several approved returns of one customer
sent in one parcel get its number at once (all or none), the parcel is tracked once and its
scans move every return in it, each step audited; bad input changes nothing."""

from __future__ import annotations

from typing import Any

from tests.factories import ups_number
from tests.integration.returns.conftest import Shop
from tests.integration.returns.test_refund_timing import _scan, _work


def _ask(shop: Shop, order: Any, sku: str) -> str:
    line = next(x.id for x in order.lines if x.sku == sku)
    body = {"lines": [{"order_line_id": line, "quantity": 1, "reason": "too_small"}]}
    r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 201 and r.json()["status"] == "approved", r.text
    return str(r.json()["id"])


def _status(shop: Shop, rid: str) -> str:
    return str(shop.client.get(f"/api/v1/returns/{rid}").json()["status"])


def test_returns_in_one_parcel_move_together(shop: Shop, other_shop: Shop) -> None:
    c = shop.client
    order = shop.delivered_order(email="pat@example.com")
    later = shop.delivered_order(email="pat@example.com")
    mug, tee, more = (
        _ask(shop, order, "MUG-1"),
        _ask(shop, order, "TEE-M"),
        _ask(shop, later, "TEE-M"),
    )
    stranger = _ask(shop, shop.delivered_order(email="sam@example.com"), "MUG-1")
    number = ups_number()

    def post(ids: list[str], **kw: Any) -> Any:
        body = {"ids": ids, "carrier": "ups", "tracking_number": number, **kw}
        return c.post("/api/v1/returns/consolidate", json=body)

    other = post([mug, stranger])
    assert other.status_code == 409 and other.json()["field"] == "ids[1]"
    assert post([mug]).status_code == 422
    assert post([mug, mug]).status_code == 422
    assert post([mug, "0" * 32]).json()["field"] == "ids[1]"
    assert post([mug, "not-an-id"]).status_code == 422
    assert post([mug, tee], tracking_number="a\tb").status_code == 422
    assert (
        other_shop.client.post(
            "/api/v1/returns/consolidate", json={"ids": [mug, tee], "tracking_number": number}
        ).status_code
        == 404
    )
    assert {_status(shop, r) for r in (mug, tee, more, stranger)} == {"approved"}  # untouched

    done = post([mug, tee, more])
    assert done.status_code == 200, done.text
    assert [(r["status"], r["tracking_number"]) for r in done.json()] == [
        ("label_issued", number)
    ] * 3
    assert post([mug, tee]).status_code == 409  # sent already: label_issued

    _work(shop)  # the legs are created: one per order, the same number
    _scan(shop, number, 150, "in_transit", "a")
    assert {_status(shop, r) for r in (mug, tee, more)} == {"in_transit"}
    _scan(shop, number, 190, "delivered", "b")
    assert {_status(shop, r) for r in (mug, tee, more)} == {"received"}
    assert _status(shop, stranger) == "approved"

    got = c.get("/api/v1/audit", params={"subject": f"return:{tee}", "limit": 50}).json()
    entries = list(reversed(got["items"]))
    assert [(e["action"], e["actor"].split(":")[0]) for e in entries] == [
        ("returns.approve", "system"), ("returns.label", "api"),
        ("returns.in_transit", "system"), ("returns.receive", "system"),
    ]  # fmt: skip
    assert entries[1]["changes"]["consolidated_with"][1] == sorted([mug, more])
