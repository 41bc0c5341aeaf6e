"""Returns over HTTP on both backends: create (idempotent), decide, receive, inspect, refund;
bad input answers problem+json naming the field and changes nothing; tenants stay apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.returns import tables as rt
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from tests.factories import scan, ups_number
from tests.integration.returns.conftest import Shop

PROBLEM = "application/problem+json"


def lines_of(order: Any) -> dict[str, str]:
    return {line.sku: line.id for line in order.lines}


def ask(order: Any, *items: tuple[str, int, str], **kw: Any) -> dict[str, Any]:
    ids = lines_of(order)
    return {
        "lines": [{"order_line_id": ids[s], "quantity": q, "reason": r} for s, q, r in items],
        **kw,
    }


def count(shop: Shop, table: Any) -> int:
    with shop.platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_whole_flow_refunds_what_was_paid_once(shop: Shop) -> None:
    order = shop.delivered_order()
    c = shop.client
    q = c.post(
        f"/api/v1/orders/{order.id}/returns/quote", json=ask(order, ("MUG-1", 1, "too_small"))
    )
    assert q.status_code == 200, q.text
    # The mug line paid 2 x 12.50 - 2.50 + 1.80 tax = 24.30; one of two units: 12.15.
    assert q.json()["refund"] == {"amount": "12.15", "currency": "USD"}
    assert q.json()["lines"][0]["decision"]["rule"] == "window"

    body = ask(order, ("MUG-1", 1, "too_small"))
    headers = {"Idempotency-Key": "portal-abc-1"}
    first = c.post(f"/api/v1/orders/{order.id}/returns", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = c.post(f"/api/v1/orders/{order.id}/returns", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    ret = first.json()
    assert ret["status"] == "approved" and not ret["needs_review"]
    rid = ret["id"]

    assert c.post(f"/api/v1/returns/{rid}/resolve").status_code == 409  # goods not back yet
    label = {"carrier": "usps", "tracking_number": "9400111899223100000000"}
    assert c.post(f"/api/v1/returns/{rid}/label", json=label).json()["status"] == "label_issued"
    assert c.post(f"/api/v1/returns/{rid}/in-transit").json()["status"] == "in_transit"
    assert c.post(f"/api/v1/returns/{rid}/receive").json()["status"] == "received"
    mug = lines_of(order)["MUG-1"]
    wrong = c.post(
        f"/api/v1/returns/{rid}/inspect",
        json={"lines": [{"order_line_id": lines_of(order)["TEE-M"], "grade": "resellable"}]},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "lines"
    inspected = c.post(
        f"/api/v1/returns/{rid}/inspect",
        json={"lines": [{"order_line_id": mug, "grade": "resellable", "note": "as new"}]},
    )
    assert inspected.json()["status"] == "restocked", inspected.text
    done = c.post(f"/api/v1/returns/{rid}/resolve")
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["status"] == "refunded"
    assert [(e["kind"], e["amount"]["amount"]) for e in out["ledger"]] == [("refund", "12.15")]
    assert c.post(f"/api/v1/returns/{rid}/resolve").status_code == 409  # never twice
    steps = [h["status"] for h in c.get(f"/api/v1/returns/{rid}").json()["history"]]
    assert steps == [
        "requested", "approved", "label_issued", "in_transit", "received", "inspected",
        "restocked", "refunded",
    ]  # fmt: skip
    with shop.platform.engine.connect() as conn:
        topics = [
            r[0]
            for r in conn.execute(
                select(t.outbox.c.topic)
                .where(t.outbox.c.merchant_id == shop.merchant_id, t.outbox.c.topic.like("Return%"))
                .order_by(t.outbox.c.id)
            )
        ]
    assert topics == [
        "ReturnRequested", "ReturnApproved", "ReturnLabelIssued", "ReturnInTransit",
        "ReturnReceived", "ReturnInspected", "ReturnItemRestocked", "ReturnRefunded",
    ]  # fmt: skip

    # The second unit: the last one takes exactly what is left of the line (24.30 - 12.15).
    second = c.post(f"/api/v1/orders/{order.id}/returns", json=body).json()
    assert second["refund"]["amount"] == "12.15"
    third = c.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert third.status_code == 422 and third.json()["field"] == "lines[0].quantity"


def test_bad_input_names_the_field_and_changes_nothing(shop: Shop) -> None:
    order = shop.delivered_order()
    c = shop.client
    before = count(shop, rt.returns)
    url = f"/api/v1/orders/{order.id}/returns"
    tampered = {"lines": [{"order_line_id": "f" * 32, "quantity": 1, "reason": "too_small"}]}
    r = c.post(url, json=tampered)
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["field"] == "lines[0].order_line_id"
    r = c.post(url, json=ask(order, ("MUG-1", 3, "too_small")))
    assert r.json()["field"] == "lines[0].quantity" and "2 delivered" in r.json()["detail"]
    r = c.post(url, json=ask(order, ("MUG-1", 1, "bored")))
    assert r.json()["field"] == "lines[0].reason"
    r = c.post(url, json=ask(order, ("MUG-1", 0, "too_small")))
    assert r.status_code == 422 and r.json()["field"] == "lines[0].quantity"
    r = c.post(url, json=ask(order, ("MUG-1", 1, "too_small"), resolution="keep_it"))
    assert r.status_code == 422 and r.json()["field"] == "resolution"
    shop.clock.advance(days=60)
    r = c.post(url, json=ask(order, ("MUG-1", 1, "too_small")))
    assert r.status_code == 422 and r.json()["field"] == "lines[0]"
    assert "30-day return window ended on 2026-12-03" in r.json()["detail"]
    assert count(shop, rt.returns) == before


def test_eu_orders_get_the_statutory_right_before_the_merchants_rules(shop: Shop) -> None:
    c = shop.client
    saved = c.put(
        "/api/v1/returns/policy",
        json={"window_days": 3, "restocking_fee_rate": "0.2", "return_fee": {"EUR": "4.50"}},
    )
    assert saved.status_code == 200 and saved.json()["version"] == 1
    order = shop.delivered_order(country="DE", currency="EUR")
    shop.clock.advance(days=5)  # past the merchant's 3 days, inside the law's 14
    q = c.post(
        f"/api/v1/orders/{order.id}/returns/quote", json=ask(order, ("TEE-M", 1, "too_large"))
    )
    body = q.json()
    assert body["verdict"] == "approved", body
    assert body["lines"][0]["decision"]["rule"] == "statutory.eu_withdrawal"
    assert body["restocking_fee"]["amount"] == "0.00"
    assert body["return_fee"]["amount"] == "4.50"
    assert body["refund"]["amount"] == "15.50"


def test_review_then_reject_or_bulk_approve(shop: Shop) -> None:
    c = shop.client
    order = shop.delivered_order()
    damaged = c.post(f"/api/v1/orders/{order.id}/returns", json=ask(order, ("TEE-M", 1, "damaged")))
    assert damaged.status_code == 201
    assert damaged.json()["needs_review"] and damaged.json()["review_reason"] == "reason.photo"
    order2 = shop.delivered_order()
    other = c.post(f"/api/v1/orders/{order2.id}/returns", json=ask(order2, ("TEE-M", 1, "damaged")))
    queue = c.get("/api/v1/returns", params={"needs_review": "true"}).json()["items"]
    assert {x["id"] for x in queue} >= {damaged.json()["id"], other.json()["id"]}
    rejected = c.post(
        f"/api/v1/returns/{other.json()['id']}/reject", json={"reason": "No photo sent"}
    )
    assert rejected.json()["status"] == "rejected"
    bulk = c.post(
        "/api/v1/returns/bulk-approve",
        json={"ids": [damaged.json()["id"], other.json()["id"], "0" * 32, " ", "ré-42"]},
    )
    assert bulk.status_code == 200, bulk.text  # a malformed id is one bad item, not a bad batch
    body = bulk.json()
    assert (body["approved"], body["refused"], body["not_found"]) == (1, 1, 3)
    outcomes = [(x["id"], x["outcome"], x["status"]) for x in body["results"]]
    assert outcomes == [
        (damaged.json()["id"], "approved", "approved"),
        (other.json()["id"], "refused", None),
        ("0" * 32, "not_found", None),
        (" ", "not_found", None),
        ("ré-42", "not_found", None),
    ]
    assert body["results"][1]["error"]["field"] == "status"
    assert {x["error"]["field"] for x in body["results"][2:]} == {"return_id"}
    # Rejected returns give their units back: the tee of order2 can be asked for again.
    again = c.post(
        f"/api/v1/orders/{order2.id}/returns", json=ask(order2, ("TEE-M", 1, "too_large"))
    )
    assert again.status_code == 201


def test_one_merchant_never_sees_another_merchants_returns(shop: Shop, other_shop: Shop) -> None:
    order = shop.delivered_order()
    mine = shop.client.post(
        f"/api/v1/orders/{order.id}/returns", json=ask(order, ("TEE-M", 1, "too_large"))
    ).json()
    theirs = other_shop.client
    assert theirs.get(f"/api/v1/returns/{mine['id']}").status_code == 404
    assert theirs.post(f"/api/v1/returns/{mine['id']}/receive").status_code == 404
    assert mine["id"] not in {x["id"] for x in theirs.get("/api/v1/returns").json()["items"]}
    r = theirs.post(
        f"/api/v1/orders/{order.id}/returns", json=ask(order, ("TEE-M", 1, "too_large"))
    )
    assert r.status_code == 404
    bulk = theirs.post("/api/v1/returns/bulk-approve", json={"ids": [mine["id"]]}).json()
    assert (bulk["not_found"], bulk["results"][0]["outcome"]) == (1, "not_found")
    assert shop.client.get(f"/api/v1/returns/{mine['id']}").json()["status"] == "approved"


def test_store_credit_with_bonus_and_keep_it(shop: Shop) -> None:
    c = shop.client
    c.put(
        "/api/v1/returns/policy",
        json={
            "store_credit_bonus_rate": "0.10",
            "resolutions": ["refund", "store_credit"],
            "keep_it": {"default": {"label": "8", "handling": "4", "resale_rate": "0.5"},
                        "max_value": {"USD": "30"}},
        },
    )  # fmt: skip
    order = shop.delivered_order()
    q = c.post(
        f"/api/v1/orders/{order.id}/returns/quote", json=ask(order, ("TEE-M", 1, "too_large"))
    )
    assert q.json()["keep_it_offered"] and "keep_it" in q.json()["allowed_resolutions"]
    credit = c.post(
        f"/api/v1/orders/{order.id}/returns",
        json=ask(order, ("TEE-M", 1, "too_large"), resolution="store_credit"),
    ).json()
    assert credit["amount"] == {"amount": "22.00", "currency": "USD"}  # 20 + 10 % bonus
    order2 = shop.delivered_order()
    kept = c.post(
        f"/api/v1/orders/{order2.id}/returns",
        json=ask(order2, ("TEE-M", 1, "too_large"), resolution="keep_it"),
    ).json()
    assert kept["status"] == "approved"
    assert c.post(f"/api/v1/returns/{kept['id']}/receive").status_code == 409
    done = c.post(f"/api/v1/returns/{kept['id']}/resolve").json()
    assert done["status"] == "refunded" and done["ledger"][0]["amount"]["amount"] == "20.00"


def test_policy_refuses_unknown_keys_and_bad_values(shop: Shop) -> None:
    c = shop.client
    r = c.put("/api/v1/returns/policy", json={"windw_days": 10})
    assert r.status_code == 422 and r.json()["field"] == "windw_days"
    r = c.put("/api/v1/returns/policy", json={"keep_it": {"default": {"lable": "8"}}})
    assert r.status_code == 422 and r.json()["field"] == "keep_it.default.lable"
    r = c.put("/api/v1/returns/policy", json={"reasons": [{"code": "fit", "childs": []}]})
    assert r.status_code == 422 and r.json()["field"] == "reasons[0].childs"
    r = c.put("/api/v1/returns/policy", json={"restocking_fee_rate": "1.5"})
    assert r.status_code == 422 and r.json()["field"] == "restocking_fee_rate"
    dup = [{"code": "fit", "children": [{"code": "fit"}]}]
    r = c.put("/api/v1/returns/policy", json={"reasons": dup})
    assert r.status_code == 422 and r.json()["field"] == "reasons"
    assert c.get("/api/v1/returns/policy").json()["window_days"] == 30
    # What GET answers, PUT takes back unchanged (but for the version, which saving assigns).
    document = c.get("/api/v1/returns/policy").json()
    saved = c.put("/api/v1/returns/policy", json=document).json()
    assert {**saved, "version": 0} == {**document, "version": 0}


def test_the_policy_schema_forbids_unknown_keys_at_every_depth(shop: Shop) -> None:
    spec = shop.client.get("/openapi.json").json()
    put = spec["paths"]["/api/v1/returns/policy"]["put"]
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    models = spec["components"]["schemas"]
    policy = models[ref.rsplit("/", 1)[1]]
    assert policy["additionalProperties"] is False
    for name in ("ReasonIn", "KeepItIn", "SkuCostsIn", "LimitIn"):
        assert models[name]["additionalProperties"] is False, name
    assert set(policy["properties"]) == set(shop.client.get("/api/v1/returns/policy").json())


def test_return_ids_route_by_their_pattern_so_allow_lists_what_the_path_answers(
    shop: Shop,
) -> None:
    c = shop.client
    r = c.get("/api/v1/returns/bulk-approve")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert c.delete("/api/v1/returns/policy").headers["allow"] == "GET, PUT"
    assert c.get("/api/v1/returns/not-an-id").status_code == 404
    assert c.get("/api/v1/returns/" + "0" * 32).json()["field"] == "return_id"
    spec = c.get("/openapi.json").json()
    (param,) = spec["paths"]["/api/v1/returns/{return_id}"]["get"]["parameters"]
    assert param["schema"]["pattern"] == "^[0-9a-f]{32}$"


def test_the_created_filters_take_iso_instants_with_an_offset_only(shop: Shop) -> None:
    c = shop.client
    order = shop.delivered_order()
    made = c.post(
        f"/api/v1/orders/{order.id}/returns", json=ask(order, ("TEE-M", 1, "too_large"))
    ).json()
    for field, bad in (
        ("created_to", "0.5"),
        ("created_from", "1700000000"),
        ("created_to", "2026-12-01T00:00:00"),
        ("created_from", "yesterday"),
    ):
        r = c.get("/api/v1/returns", params={field: bad})
        assert r.status_code == 422 and r.json()["field"] == field, (field, bad, r.text)
    at = made["created_at"]
    found = c.get("/api/v1/returns", params={"created_from": at}).json()["items"]
    assert [x["id"] for x in found] == [made["id"]]
    assert c.get("/api/v1/returns", params={"created_to": at}).json()["items"] == []
    edge = c.get("/api/v1/returns", params={"created_from": "0001-01-01T00:00:00+01:00"})
    assert edge.status_code == 200 and len(edge.json()["items"]) == 1


def test_every_returns_operation_is_in_openapi_under_the_returns_tag(shop: Shop) -> None:
    spec = shop.client.get("/openapi.json").json()
    ops = [
        (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if "returns" in op.get("tags", [])
    ]
    paths = {p for p, _ in ops}
    assert "/api/v1/orders/{order_id}/returns" in paths
    assert "/api/v1/returns/bulk-approve" in paths
    assert len(ops) >= 13
    assert shop.clock.now() - timedelta(days=5)  # the clock is the fixture's, not the wall's


def test_an_order_discount_not_on_the_lines_is_shared_so_no_refund_exceeds_the_payment(
    shop: Shop,
) -> None:
    """Lines 25.00 and 20.00 (the mug's own 2.50 off, 1.80 tax), and an order code for 4.50
    more that the store did not spread over the lines: the mug paid 22.50 of 42.50 after
    line discounts, so it carries 2.39 (rounded up) of the code."""
    c = shop.client
    body = {
        "external_id": "disc-1", "currency": "USD", "placed_at": "2026-11-01T10:00:00Z",
        "lines": [
            {"sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price": "12.50",
             "discount": "2.50", "tax": "1.80"},
            {"sku": "TEE-M", "name": "Tee", "quantity": 1, "unit_price": "20.00"},
        ],
        "discounts": [{"code": "TAKE7", "amount": "7.00"}],
        "shipping_address": {"country": "US", "postal_code": "10001"},
        "shipping_fee": "0",
    }  # fmt: skip
    order = c.post("/api/v1/orders", json=body).json()
    ship = c.post(f"/api/v1/orders/{order['id']}/shipments", json={"tracking_number": ups_number()})
    assert ship.status_code == 201, ship.text
    number = ship.json()["tracking_number"]
    shop.platform.bus().handle(
        commands.RecordTracking(
            shop.merchant_id,
            (commands.TrackingUpdate(number, "ups", (scan(44, ShipmentStatus.DELIVERED),)),),
        )
    )
    mug = next(x["id"] for x in order["lines"] if x["sku"] == "MUG-1")
    q = c.post(
        f"/api/v1/orders/{order['id']}/returns/quote",
        json={"lines": [{"order_line_id": mug, "quantity": 2, "reason": "too_small"}]},
    )
    assert q.status_code == 200, q.text
    # 25.00 - 2.50 - 2.39 + 1.80 tax
    assert q.json()["refund"]["amount"] == "21.91"


def test_two_returns_asked_at_once_never_take_the_same_unit(shop: Shop) -> None:
    import threading

    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.api.routes.returns import returns_service
    from postpurchase.service_layer.returns import LineAsk, ReturnAsk

    order = shop.delivered_order()
    tee = lines_of(order)["TEE-M"]
    svc = returns_service(shop.platform)
    ask_one = ReturnAsk((LineAsk(tee, 1, "too_large"),))
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def go() -> None:
        start.wait()
        try:
            svc.request(shop.merchant_id, order.id, ask_one)
            outcomes.append("created")
        except DomainError as exc:
            outcomes.append(exc.field or "")

    threads = [threading.Thread(target=go) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert sorted(outcomes) == ["created"] + ["lines[0].quantity"] * 3


def test_a_customer_over_the_limit_is_refused_or_reviewed(shop: Shop) -> None:
    c = shop.client
    c.put("/api/v1/returns/policy", json={"limit": {"max_returns": 1, "period_days": 30,
                                                    "action": "refuse"}})  # fmt: skip
    first, second = (shop.delivered_order(email="Repeat@Example.com") for _ in range(2))
    ok = c.post(f"/api/v1/orders/{first.id}/returns", json=ask(first, ("TEE-M", 1, "too_large")))
    assert ok.status_code == 201
    r = c.post(f"/api/v1/orders/{second.id}/returns", json=ask(second, ("TEE-M", 1, "too_large")))
    assert r.status_code == 422 and r.json()["field"] == "limit"
    c.put("/api/v1/returns/policy", json={"limit": {"max_returns": 1, "period_days": 30}})
    r = c.post(f"/api/v1/orders/{second.id}/returns", json=ask(second, ("TEE-M", 1, "too_large")))
    assert r.status_code == 201 and r.json()["review_reason"] == "limit"
    assert c.get("/api/v1/returns/policy").json()["version"] == 2
