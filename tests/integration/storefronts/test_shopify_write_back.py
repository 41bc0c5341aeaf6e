"""Tracking write-back: a tracking number Shopify does not have (a label, a 3PL, our API)
is added to the Shopify order by the worker, when the merchant turned it on; numbers that
came from Shopify are never sent back."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from postpurchase.adapters.outbox import drain
from postpurchase.adapters.storefronts.shopify.jobs import push_tracking
from postpurchase.entrypoints.cli import app as cli
from tests.factories import ups_number
from tests.integration.storefronts.conftest import World
from tests.integration.storefronts.shopify_shapes import fixture
from tests.integration.storefronts.test_shopify_app_webhooks import deliver, installed

JACKET = "14982743261443"


def open_fulfillment_order(order_id: int) -> list[dict[str, Any]]:
    """The order's fulfilment orders as Admin GraphQL ``Order.fulfillmentOrders`` gives them."""
    return [{
        "id": "gid://shopify/FulfillmentOrder/1046000778", "status": "OPEN",
        "lineItems": {"nodes": [
            {"id": "gid://shopify/FulfillmentOrderLineItem/1025578633", "remainingQuantity": 2,
             "lineItem": {"id": f"gid://shopify/LineItem/{JACKET}"}},
            {"id": "gid://shopify/FulfillmentOrderLineItem/1025578634", "remainingQuantity": 1,
             "lineItem": {"id": "gid://shopify/LineItem/14982743294211"}},
        ]},
    }]  # fmt: skip


def shop(world: World) -> tuple[str, dict[str, str], str, dict[str, Any]]:
    slug, _, auth = installed(world)
    rest = fixture("shopify_order.json")
    deliver(world.client, f"/webhooks/shopify/{slug}", "orders/create", rest)
    [order] = world.client.get("/api/v1/orders", headers=auth).json()["data"]
    world.shopify.fulfillment_orders[f"gid://shopify/Order/{rest['id']}"] = open_fulfillment_order(
        rest["id"]
    )
    return slug, auth, order["id"], rest


def ship(world: World, auth: dict[str, str], order_id: str, number: str, **kw: Any) -> Any:
    body = {"tracking_number": number, "carrier": "ups", **kw}
    r = world.client.post(f"/api/v1/orders/{order_id}/shipments", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def work(world: World) -> None:
    drain(world.platform.engine, world.platform.subscribers, now=world.clock.now)


def test_a_label_we_bought_is_written_back_as_a_fulfilment(world: World) -> None:
    _, auth, order_id, _ = shop(world)
    on = world.client.patch("/api/v1/integrations/shopify/settings",
                            json={"write_back_tracking": True}, headers=auth)  # fmt: skip
    assert on.status_code == 200 and on.json()["settings"]["write_back_tracking"] is True
    number = ups_number(7)
    shipment = ship(world, auth, order_id, number, lines=[{"sku": "TRJ-SLT-M", "quantity": 2}])
    assert world.shopify.ops("WriteBack") == []  # not inside the request
    work(world)
    [made] = world.shopify.ops("Fulfil")
    f = made["fulfillment"]
    assert f["trackingInfo"]["number"] == number and f["trackingInfo"]["company"] == "UPS"
    assert f["notifyCustomer"] is False
    jacket = {"id": "gid://shopify/FulfillmentOrderLineItem/1025578633", "quantity": 2}
    assert f["lineItemsByFulfillmentOrder"] == [{
        "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000778",
        "fulfillmentOrderLineItems": [jacket]}]  # fmt: skip
    again = push_tracking(world.platform, _merchant(world, auth), shipment["id"])
    assert again is not None and again.outcome == "exists"
    assert len(world.shopify.ops("Fulfil")) == 1


def _merchant(world: World, auth: dict[str, str]) -> str:
    key = auth["Authorization"].removeprefix("Bearer ")
    merchant = world.client.app.state.key_cache.lookup(world.platform, key)  # type: ignore[attr-defined]
    return str(merchant.id)


def test_a_fulfilment_without_tracking_gets_the_number(world: World) -> None:
    _, auth, order_id, rest = shop(world)
    world.client.patch("/api/v1/integrations/shopify/settings",
                       json={"write_back_tracking": True}, headers=auth)  # fmt: skip
    gid = f"gid://shopify/Order/{rest['id']}"
    world.shopify.fulfillments[gid] = [
        {"id": "gid://shopify/Fulfillment/255858046", "status": "SUCCESS", "trackingInfo": []}
    ]
    number = ups_number(8)
    ship(world, auth, order_id, number)
    work(world)
    [tracked] = world.shopify.ops("Track")
    assert tracked["id"] == "gid://shopify/Fulfillment/255858046"
    assert tracked["info"]["number"] == number and world.shopify.ops("Fulfil") == []


def test_nothing_is_written_back_when_off_or_when_shopify_sent_it(world: World) -> None:
    slug, auth, order_id, rest = shop(world)
    ship(world, auth, order_id, ups_number(9))
    work(world)
    assert world.shopify.ops("WriteBack") == []  # the setting is off by default
    world.client.patch("/api/v1/integrations/shopify/settings",
                       json={"write_back_tracking": True}, headers=auth)  # fmt: skip
    fulfilment = {**fixture("shopify_fulfillment.json"), "order_id": rest["id"]}
    deliver(world.client, f"/webhooks/shopify/{slug}", "fulfillments/create", fulfilment)
    work(world)
    assert world.shopify.ops("WriteBack") == []  # Shopify's own number is not sent back


def test_the_cli_turns_write_back_on_and_off(world: World, backend_url: str, monkeypatch) -> None:
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", backend_url)
    slug, auth, _, _ = shop(world)
    on = CliRunner().invoke(cli, ["shopify", "settings", slug, "--write-back"])
    assert on.exit_code == 0, on.output
    assert json.loads(on.stdout)["settings"]["write_back_tracking"] is True
    shown = world.client.get("/api/v1/integrations/shopify", headers=auth).json()
    assert shown["settings"]["write_back_tracking"] is True
    off = CliRunner().invoke(cli, ["shopify", "settings", slug, "--no-write-back"])
    assert json.loads(off.stdout)["settings"]["write_back_tracking"] is False
    nobody = CliRunner().invoke(cli, ["shopify", "settings", "nobody-here"])
    assert nobody.exit_code == 2 and "no merchant" in nobody.stderr


def test_a_label_bought_through_the_carrier_port_is_written_back(world: World) -> None:
    """The label service's shipment goes out through the same outbox event and job."""
    from postpurchase.adapters.carriers.accounts import AccountGateways, add_account, qr_png
    from postpurchase.adapters.carriers.simulated.api import DEFAULT_API_KEY, SimulatorState
    from postpurchase.adapters.carriers.simulated.server import start_in_thread
    from postpurchase.domain.addresses import Address
    from postpurchase.domain.carriers import AccountMode, Connector, Parcel
    from postpurchase.domain.labels import LabelPurchase
    from postpurchase.service_layer import labels as labels_service

    _, auth, order_id, _ = shop(world)
    world.client.patch("/api/v1/integrations/shopify/settings",
                       json={"write_back_tracking": True}, headers=auth)  # fmt: skip
    merchant_id = _merchant(world, auth)
    simulator = start_in_thread(SimulatorState(seed=3))
    try:
        add_account(
            world.platform.engine, world.platform.keyring, world.clock.now(), merchant_id,
            "canada_post", connector=Connector.SIMULATED, mode=AccountMode.TEST,
            fields={"base_url": simulator.url, "api_key": DEFAULT_API_KEY},
        )  # fmt: skip
        origin = Address("CA", "M5V 3L9", "ON", "Toronto", "1 Dock Rd", name="Shop DC")
        purchase = LabelPurchase(
            order_id=order_id, carrier="canada_post", service="ground", origin=origin,
            parcels=(Parcel(1500),), idempotency_key="wb-label-1",
        )  # fmt: skip
        carriers = AccountGateways(world.platform.engine, world.platform.keyring)
        record = labels_service.buy_label(
            world.platform.uow(), world.platform.clock, carriers, qr_png, merchant_id, purchase
        ).record
        work(world)
        [made] = world.shopify.ops("Fulfil")
        info = made["fulfillment"]["trackingInfo"]
        assert info["number"] == record.tracking_number and info["company"] == "Canada Post"
    finally:
        simulator.stop()
        from sqlalchemy import delete

        from postpurchase.adapters.db import tables as t

        with world.platform.engine.begin() as conn:  # off the shared poll schedule
            conn.execute(
                delete(t.shipment_polls).where(t.shipment_polls.c.merchant_id == merchant_id)
            )
            conn.execute(
                delete(t.carrier_accounts).where(t.carrier_accounts.c.merchant_id == merchant_id)
            )
