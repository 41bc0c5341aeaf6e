"""Refunds through Shopify (suggestedRefund, then refundCreate; store credit with
storeCreditAccountCredit): refused before Shopify is asked when more than is refundable,
idempotent under a key, the store's refusal reported, from the API and the CLI."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from postpurchase.entrypoints.cli import app as cli
from tests.integration.storefronts.conftest import World
from tests.integration.storefronts.shopify_shapes import fixture, graphql_order
from tests.integration.storefronts.test_shopify_app_webhooks import deliver, installed

JACKET = "14982743261443"  # the reference order's line: 2 x 49.00 USD, HST 12.74
ORDER_GID = "gid://shopify/Order/{}"


def shop_with_order(world: World) -> tuple[str, dict[str, str], str, dict[str, Any]]:
    slug, _, auth = installed(world)
    rest = fixture("shopify_order.json")
    world.shopify.orders = [graphql_order(rest)]
    deliver(world.client, f"/webhooks/shopify/{slug}", "orders/create", rest)
    [order] = world.client.get("/api/v1/orders", headers=auth).json()["data"]
    return slug, auth, order["id"], rest


def refund(world: World, auth: dict[str, str], order_id: str, body: dict[str, Any],
           key: str | None = "rma-1001") -> Any:  # fmt: skip
    keyed = {**body, "idempotency_key": key} if key else body
    return world.client.post(f"/api/v1/orders/{order_id}/refunds", json=keyed, headers=auth)


def test_a_refund_is_asked_of_shopify_once(world: World) -> None:
    slug, auth, order_id, rest = shop_with_order(world)
    body = {"lines": [{"line_id": JACKET, "quantity": 1}], "shipping": "7.45",
            "note": "Damaged on arrival"}  # fmt: skip
    r = refund(world, auth, order_id, body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["amount"] == "56.45" and out["currency"] == "USD" and not out["replayed"]
    assert out["store_refund_id"] and out["lines"] == [
        {"line_id": JACKET, "quantity": 1, "amount": "49.00"}
    ]
    [suggest] = world.shopify.ops("Suggest")
    assert suggest == {"id": ORDER_GID.format(rest["id"]), "shipping": "7.45",
                       "lines": [{"lineItemId": f"gid://shopify/LineItem/{JACKET}",
                                  "quantity": 1}]}  # fmt: skip
    [created] = world.shopify.ops("Refund")
    assert created["key"] == "rma-1001"  # Shopify's own @idempotent key, from 2026-01
    made = created["input"]
    assert made["orderId"] == ORDER_GID.format(rest["id"]) and made["notify"] is False
    assert made["note"] == "Damaged on arrival [postpurchase:rma-1001]"
    assert made["refundLineItems"] == [{
        "lineItemId": f"gid://shopify/LineItem/{JACKET}", "quantity": 1,
        "restockType": "RETURN", "locationId": "gid://shopify/Location/905684977"}]  # fmt: skip
    assert made["shipping"] == {"amount": "7.45"}
    assert made["transactions"] == [{
        "orderId": ORDER_GID.format(rest["id"]), "kind": "REFUND",
        "parentId": "gid://shopify/OrderTransaction/1068278509", "amount": "56.45",
        "gateway": "shopify_payments"}]  # fmt: skip
    again = refund(world, auth, order_id, body)
    assert again.status_code == 200 and again.json()["replayed"]
    assert again.json()["store_refund_id"] == out["store_refund_id"]
    assert len(world.shopify.ops("Refund")) == 1  # never paid twice
    detail = world.client.get(f"/api/v1/orders/{order_id}", headers=auth).json()
    assert [x["external_id"] for x in detail["refunds"]] == [out["store_refund_id"]]
    # the store's own refunds/create webhook for the same refund changes nothing
    webhook = {**fixture("shopify_refund_lines.json"), "id": int(out["store_refund_id"]),
               "order_id": rest["id"]}  # fmt: skip
    deliver(world.client, f"/webhooks/shopify/{slug}", "refunds/create", webhook)
    detail = world.client.get(f"/api/v1/orders/{order_id}", headers=auth).json()
    assert len(detail["refunds"]) == 1
    other = refund(world, auth, order_id, {**body, "note": "another"}, key="rma-1001")
    assert other.status_code == 422 and other.json()["field"] == "idempotency_key"


def test_more_than_refundable_is_refused_before_shopify_is_asked(world: World) -> None:
    _, auth, order_id, _ = shop_with_order(world)
    for body, field in [
        ({"lines": [{"line_id": JACKET, "quantity": 3}]}, "lines[0].quantity"),
        ({"lines": [{"line_id": "999", "quantity": 1}]}, "lines[0].line_id"),
        ({"shipping": "20.00"}, "shipping"),
        ({"lines": []}, "lines"),
    ]:
        r = refund(world, auth, order_id, body, key=f"k-{field}")
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field
    missing = refund(world, auth, order_id, {"shipping": "1.00"}, key=None)
    assert missing.status_code == 422 and missing.json()["field"] == "idempotency_key"
    assert world.shopify.ops("Suggest") == [] and world.shopify.ops("Refund") == []
    refund(world, auth, order_id, {"lines": [{"line_id": JACKET, "quantity": 2}]}, key="all")
    left = refund(world, auth, order_id, {"lines": [{"line_id": JACKET, "quantity": 1}]},
                  key="one-more")  # fmt: skip
    assert left.status_code == 422 and left.json()["field"] == "lines[0].quantity"


def test_shopifys_refusal_is_reported_and_the_key_can_be_retried(world: World) -> None:
    _, auth, order_id, _ = shop_with_order(world)
    world.shopify.refuse_refund = "Refund amount exceeds the amount available to refund"
    body = {"lines": [{"line_id": JACKET, "quantity": 1}]}
    r = refund(world, auth, order_id, body, key="k-refused")
    assert r.status_code == 409 and r.json()["field"] == "transactions.0.amount"
    assert "exceeds" in r.json()["detail"]
    world.shopify.refuse_refund = None
    ok = refund(world, auth, order_id, body, key="k-refused")
    assert ok.status_code == 201 and ok.json()["amount"] == "49.00"


def test_store_credit_records_the_lines_and_credits_the_customer(world: World) -> None:
    _, auth, order_id, _ = shop_with_order(world)
    body = {"lines": [{"line_id": JACKET, "quantity": 1, "restock": False}],
            "to_store_credit": True}  # fmt: skip
    r = refund(world, auth, order_id, body, key="credit-1")
    assert r.status_code == 201, r.text
    assert r.json()["store_credit"] and r.json()["amount"] == "49.00"
    [made] = world.shopify.ops("Refund")
    assert "transactions" not in made["input"]
    assert made["input"]["refundLineItems"][0]["restockType"] == "NO_RESTOCK"
    [credit] = world.shopify.ops("Credit")
    amount = {"amount": "49.00", "currencyCode": "USD"}
    assert credit == {"id": "gid://shopify/Customer/544365967",
                      "credit": {"creditAmount": amount}}  # fmt: skip


def test_another_tenants_order_cannot_be_refunded(world: World) -> None:
    _, _, order_id, _ = shop_with_order(world)
    _, _, other = installed(world)
    r = refund(world, other, order_id, {"lines": [{"line_id": JACKET, "quantity": 1}]})
    assert r.status_code == 404 and world.shopify.ops("Suggest") == []


def test_the_cli_refunds_by_shopify_order_id(world: World, backend_url: str, monkeypatch) -> None:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    slug, _, _, rest = shop_with_order(world)
    args = ["shopify", "refund", slug, str(rest["id"]), "--line", f"{JACKET}:1",
            "--shipping", "7.45", "--note", "late", "--idempotency-key", "cli-1"]  # fmt: skip
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["amount"] == "56.45"
    again = CliRunner().invoke(cli, args)
    assert json.loads(again.stdout)["replayed"] is True
    bad = CliRunner().invoke(cli, ["shopify", "refund", slug, str(rest["id"]), "--line", "x"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --line")
    too_much = CliRunner().invoke(cli, ["shopify", "refund", slug, str(rest["id"]),
                                        "--line", f"{JACKET}:5"])  # fmt: skip
    assert too_much.exit_code == 2 and "lines[0].quantity" in too_much.stderr


def test_an_unanswered_refund_is_looked_up_not_paid_again(world: World) -> None:
    _, auth, order_id, _ = shop_with_order(world)
    replay = world.shopify

    def made_then_lost() -> Any:  # Shopify refunds, then the answer never arrives
        replay._op_Refund(replay.ops("Refund")[-1])
        return replay._json({"errors": "Internal Server Error"}, 502)

    replay.then("Refund", made_then_lost)
    body = {"lines": [{"line_id": JACKET, "quantity": 1}]}
    lost = refund(world, auth, order_id, body, key="k-lost")
    assert lost.status_code == 502 and lost.json()["field"] == "idempotency_key"
    assert len(replay.ops("Refund")) == 1  # not sent again on the 5xx
    soon = refund(world, auth, order_id, body, key="k-lost")
    assert soon.status_code == 409  # still in flight as far as we know
    world.clock.advance(minutes=11)
    later = refund(world, auth, order_id, body, key="k-lost")
    assert later.status_code == 200 and later.json()["replayed"], later.text
    assert len(replay.ops("Refund")) == 1 and replay.ops("Refunds")  # looked up, not re-paid
    detail = world.client.get(f"/api/v1/orders/{order_id}", headers=auth).json()
    assert [x["external_id"] for x in detail["refunds"]] == [later.json()["store_refund_id"]]


def test_the_idempotent_directive_follows_the_api_version() -> None:
    from postpurchase.adapters.storefronts.shopify.refund_port import create_document

    assert "@idempotent(key: $key)" in create_document("2026-10")
    assert "$key: String!" in create_document("2026-04")
    old = create_document("2025-07")
    assert "@idempotent" not in old and "$key" not in old and "{" in old


def test_a_fee_is_kept_out_of_the_refund_and_of_the_store_credit(world: World) -> None:
    """A return's fees ride on the request: Shopify is asked to pay back its suggestion less
    the fee (the transaction shrinks), and store credit is credited less the fee too."""
    from postpurchase.adapters.storefronts.refund_ports import REFUND_PORTS
    from postpurchase.domain.money import Money
    from postpurchase.domain.storefronts import RefundRequest, RefundRequestLine, StorePlatform

    slug, shop, _ = installed(world)
    rest = fixture("shopify_order.json")
    world.shopify.orders = [graphql_order(rest)]
    deliver(world.client, f"/webhooks/shopify/{slug}", "orders/create", rest)
    with world.platform.uow() as uow:
        connection = uow.connections.get_by_shop(StorePlatform.SHOPIFY, shop)
    assert connection is not None
    asked = RefundRequest(
        str(rest["id"]), "USD", (RefundRequestLine(JACKET, 1),), note="Return R-1001-1",
        idempotency_key="return-fee-1", fee=Money.of("9.90", "USD"),
    )  # fmt: skip
    with REFUND_PORTS[StorePlatform.SHOPIFY](world.platform.settings) as shopify:
        paid = shopify.refund(connection, asked)
        credited = shopify.refund(
            connection, RefundRequest(
                str(rest["id"]), "USD", (RefundRequestLine(JACKET, 1, restock=False),),
                to_store_credit=True, idempotency_key="return-fee-2",
                fee=Money.of("9.90", "USD"),
            ),
        )  # fmt: skip
    [card, _] = world.shopify.ops("Refund")
    assert [t["amount"] for t in card["input"]["transactions"]] == ["39.10"]  # 49.00 − 9.90
    assert paid.amount == Money.of("39.10", "USD")
    [credit] = world.shopify.ops("Credit")
    assert credit["credit"]["creditAmount"] == {"amount": "39.10", "currencyCode": "USD"}
    assert credited.amount == Money.of("39.10", "USD") and credited.store_credit
