"""The policy simulator and returns analytics over HTTP, both backends: a draft is replayed
over the real past requests without saving anything; analytics count what happened; another
merchant sees none of it."""

from __future__ import annotations

from typing import Any

from tests.integration.returns.conftest import Shop


def request(shop: Shop, order: Any, sku: str, reason: str, **kw: Any) -> dict[str, Any]:
    line = next(x.id for x in order.lines if x.sku == sku)
    body = {"lines": [{"order_line_id": line, "quantity": 1, "reason": reason}], **kw}
    r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_draft_is_replayed_over_past_requests_and_nothing_is_saved(
    shop: Shop, other_shop: Shop
) -> None:
    a, b = shop.delivered_order(), shop.delivered_order()
    request(shop, a, "MUG-1", "too_small")
    request(shop, a, "MUG-1", "changed_mind", resolution="store_credit")
    request(shop, b, "TEE-M", "damaged")  # needs a photo: review
    c = shop.client
    version = c.get("/api/v1/returns/policy").json()["version"]

    same = c.post("/api/v1/returns/policy/simulate", json={"policy": {}, "days": 30}).json()
    assert (same["requests"], same["approved"], same["review"], same["refused"]) == (3, 2, 1, 0)
    assert (same["refunds"], same["credits"]) == (2, 1)
    assert same["refunded"] == {"USD": "32.15"} and same["credited"] == {"USD": "12.15"}
    assert same["review_by"] == {"reason.photo": 1}

    short = {"window_days": 1, "statutory_rights": False, "return_fee": {"USD": "2.00"},
             "fee_waived_for_credit": False}  # fmt: skip
    out = c.post("/api/v1/returns/policy/simulate", json={"policy": short}).json()
    assert out["refused"] == 3 and out["refused_by"] == {"window": 3}

    fees = {"return_fee": {"USD": "2.00"}, "fee_waived_for_credit": False}
    priced = c.post("/api/v1/returns/policy/simulate", json={"policy": fees}).json()
    assert priced["fees"] == {"USD": "4.00"}  # the damaged one is the shop's fault: free
    assert priced["refunded"] == {"USD": "30.15"}

    gone = {"reasons": [{"code": "other", "label": "Other"}]}
    unreadable = c.post("/api/v1/returns/policy/simulate", json={"policy": gone}).json()
    assert unreadable["refused"] == 3 and unreadable["refused_by"] == {"input.reason": 3}

    bad = c.post("/api/v1/returns/policy/simulate", json={"policy": {"window_days": -1}})
    assert bad.status_code == 422
    assert c.get("/api/v1/returns/policy").json()["version"] == version  # nothing saved
    theirs = other_shop.client.post("/api/v1/returns/policy/simulate", json={"policy": {}})
    assert theirs.json()["requests"] == 0


def test_analytics_count_rates_reasons_cycle_time_and_kept_revenue(
    shop: Shop, other_shop: Shop
) -> None:
    order = shop.delivered_order()
    first = request(shop, order, "MUG-1", "too_small")
    request(shop, order, "TEE-M", "changed_mind", resolution="store_credit")
    c = shop.client
    rid = first["id"]
    c.post(f"/api/v1/returns/{rid}/receive")
    mug = first["lines"][0]["order_line_id"]
    c.post(f"/api/v1/returns/{rid}/inspect",
           json={"lines": [{"order_line_id": mug, "grade": "resellable"}]})  # fmt: skip
    shop.clock.advance(hours=30)
    assert c.post(f"/api/v1/returns/{rid}/resolve").json()["status"] == "refunded"

    a = c.get("/api/v1/returns/analytics", params={"created_from": "2026-01-01T00:00:00Z"}).json()
    assert (a["returns"], a["rejected"]) == (2, 0)
    assert a["by_reason"] == {"too_small": 1, "changed_mind": 1}
    rates = {x["sku"]: (x["sold"], x["returned"], x["rate"]) for x in a["by_sku"]}
    assert rates["MUG-1"] == (2, 1, "0.5000") and rates["TEE-M"] == (1, 1, "1.0000")
    assert a["refund_hours_median"] == "30.0"
    assert a["revenue_kept"] == {"USD": "20.00"}  # the tee taken as store credit
    assert a["exchange_share"] == "0.0000"
    backwards = {"created_from": "2026-12-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"}
    bad = c.get("/api/v1/returns/analytics", params=backwards)
    assert bad.status_code == 422 and bad.json()["field"] == "created_from"
    theirs = other_shop.client.get("/api/v1/returns/analytics").json()
    assert theirs["returns"] == 0 and theirs["by_sku"] == []


def test_keep_it_advice_is_measured_from_the_grades(shop: Shop, other_shop: Shop) -> None:
    """GET /api/v1/returns/keep-it/advice: per SKU, the resale rate from how inspections
    graded it, with the policy's label and handling costs; another merchant sees none."""
    c = shop.client
    keep = {"keep_it": {"default": {"label": "6", "handling": "3", "resale_rate": "0.9"}}}
    assert c.put("/api/v1/returns/policy", json=keep).status_code == 200
    for grade in ("damaged", "damaged", "refurbish"):
        order = shop.delivered_order()
        body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": 1,
                           "reason": "too_small"}]}  # fmt: skip
        rid = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()["id"]
        assert c.post(f"/api/v1/returns/{rid}/receive").status_code == 200
        graded = c.post(
            f"/api/v1/returns/{rid}/inspect",
            json={"lines": [{"order_line_id": order.lines[0].id, "grade": grade}]},
        )
        assert graded.status_code == 200, graded.text
    got = c.get("/api/v1/returns/keep-it/advice")
    assert got.status_code == 200, got.text
    (mug,) = got.json()
    assert (mug["sku"], mug["currency"], mug["graded_units"], mug["measured"]) == (
        "MUG-1",
        "USD",
        3,
        True,
    )
    # (0 + 0 + 0.5) / 3 = 0.17; one mug was paid 12.15: 6 + 3 − 12.15 × 0.17 = 6.93
    assert mug["costs"] == {"label": "6", "handling": "3", "resale_rate": "0.17"}
    assert mug["unit_price"] == "12.15" and mug["cost_to_serve"] == "6.93"
    assert mug["keep_it"] is True
    few = c.get("/api/v1/returns/keep-it/advice", params={"min_graded": 4}).json()
    assert few[0]["measured"] is False and few[0]["costs"]["resale_rate"] == "0.9"
    assert c.get("/api/v1/returns/keep-it/advice", params={"days": 0}).status_code == 422
    assert other_shop.client.get("/api/v1/returns/keep-it/advice").json() == []
