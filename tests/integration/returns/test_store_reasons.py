"""Shopify's return reason definitions (Admin API 2026-01+), over HTTP on both backends
against a local Shopify with the documented shapes: read from the store (paged), mapped to
our reason codes by default handle or by the merchant, and sent as
``returnReasonDefinitionId`` in ``returnCreate``; an exchange processed in Shopify after our
inventory adjustment restocked the line says ``NOT_RESTOCKED`` (never restocked twice)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from postpurchase.domain.returns import legacy_reason
from tests.fakes import FakeClock
from tests.integration.returns.conftest import Shop
from tests.integration.returns.shopify_returns_replay import LOCATION
from tests.integration.returns.shopify_stock_replay import ITEM, StockReplay
from tests.integration.returns.test_returns_store_exchange import (
    MUG_STORE_LINE,
    catalogue,
    put_policy,
)
from tests.integration.returns.test_store_stock import (
    VARIANT,
    _shops,
    adjustments,
    mug_order,
    run_outbox,
)

FLI = "gid://shopify/FulfillmentLineItem/1001"
TOO_SMALL = "gid://shopify/ReturnReasonDefinition/1"


@pytest.fixture
def shopify(httpserver: HTTPServer) -> StockReplay:
    replay = StockReplay(httpserver)
    replay.variants[VARIANT] = (ITEM, True)
    return replay


@pytest.fixture
def store_shop(
    engine: Any, clock: FakeClock, shopify: StockReplay, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shop]:
    yield from _shops(engine, clock, shopify, monkeypatch)


def mapping(shop: Shop) -> dict[str, tuple[str | None, str]]:
    r = shop.client.get("/api/v1/returns/store-reasons")
    assert r.status_code == 200, r.text
    return {m["code"]: (m["handle"], m["source"]) for m in r.json()["mapping"]}


def test_definitions_are_read_from_the_store_and_mapped_by_default_handle(
    store_shop: Shop, shopify: StockReplay
) -> None:
    c = store_shop.client
    assert all(source == "none" for _, source in mapping(store_shop).values())  # not read yet
    r = c.post("/api/v1/returns/store-reasons/refresh")
    assert r.status_code == 200, r.text
    assert len(r.json()["definitions"]) == 6 and len(shopify.ops("ReturnReasonDefinitions")) == 2
    got = mapping(store_shop)
    assert got["too_small"] == ("too-small", "default")
    assert got["too_large"] == ("too-large", "default")
    assert got["damaged"] == ("defective", "default")
    assert got["quality"] == ("quality", "default")
    assert got["changed_mind"] == ("other", "default")  # its own handle is deleted in Shopify
    r = c.put("/api/v1/returns/store-reasons",
              json={"mapping": {"wrong_item": "quality", "too_small": None}})  # fmt: skip
    assert r.status_code == 200, r.text
    got = mapping(store_shop)
    assert got["wrong_item"] == ("quality", "merchant")
    assert got["too_small"] == ("too-small", "default")
    audit = c.get("/api/v1/audit", params={"subject": "returns.store_reasons"}).json()["items"]
    assert {e["action"] for e in audit} == {
        "returns.store_reasons.refresh",
        "returns.store_reasons.map",
    }


def test_bad_mappings_answer_422_naming_the_code_and_change_nothing(store_shop: Shop) -> None:
    c = store_shop.client
    assert c.post("/api/v1/returns/store-reasons/refresh").status_code == 200
    r = c.put("/api/v1/returns/store-reasons", json={"mapping": {"nope": "other"}})
    assert r.status_code == 422 and r.json()["field"] == "mapping.nope"
    r = c.put("/api/v1/returns/store-reasons", json={"mapping": {"quality": "made-up"}})
    assert r.status_code == 422 and r.json()["field"] == "mapping.quality"
    assert mapping(store_shop)["quality"] == ("quality", "default")


def test_refresh_without_a_connected_store_is_a_404_naming_store(other_shop: Shop) -> None:
    r = other_shop.client.post("/api/v1/returns/store-reasons/refresh")
    assert r.status_code == 404 and r.json()["field"] == "store"


def _exchange_return(shop: Shop, shopify: StockReplay) -> str:
    put_policy(shop, {"resolutions": ["refund", "exchange"]})
    ids = catalogue(shop)
    order = mug_order(shop)
    shopify.returnable[f"gid://shopify/Order/{order.external_id}"] = [
        (FLI, f"gid://shopify/LineItem/{MUG_STORE_LINE}", 2)
    ]
    body = {
        "lines": [{"order_line_id": order.lines[0].id, "quantity": 1, "reason": "too_small"}],
        "resolution": "exchange",
        "exchange": [{"order_line_id": order.lines[0].id, "variant_id": ids["Green"]}],
    }
    r = shop.client.post(f"/api/v1/orders/{order.id}/returns", json=body)
    assert r.status_code == 201, r.text
    rid = str(r.json()["id"])
    assert shop.client.post(f"/api/v1/returns/{rid}/receive").status_code == 200
    graded = {"lines": [{"order_line_id": order.lines[0].id, "grade": "resellable"}],
              "location": "WH-1"}  # fmt: skip
    assert shop.client.post(f"/api/v1/returns/{rid}/inspect", json=graded).status_code == 200
    return rid


def test_return_create_sends_the_mapped_definition_and_return_process_never_restocks_twice(
    store_shop: Shop, shopify: StockReplay
) -> None:
    shop, c = store_shop, store_shop.client
    assert c.post("/api/v1/returns/store-reasons/refresh").status_code == 200
    rid = _exchange_return(shop, shopify)
    run_outbox(shop)  # our adjustment restocks the line first
    assert adjustments(shop, rid)[0]["status"] == "done"
    done = c.post(f"/api/v1/returns/{rid}/resolve")
    assert done.status_code == 200 and done.json()["status"] == "exchanged", done.text
    [created] = shopify.ops("ReturnCreate")
    [line] = created["returnInput"]["returnLineItems"]
    assert line["returnReasonDefinitionId"] == TOO_SMALL and "returnReason" not in line
    [processed] = shopify.ops("ReturnProcess")
    [disposition] = processed["input"]["returnLineItems"][0]["dispositions"]
    assert disposition["dispositionType"] == "NOT_RESTOCKED"
    assert shopify.stock == {(ITEM, LOCATION): 1}


def test_return_process_first_owns_the_restock_and_the_adjustment_is_skipped(
    store_shop: Shop, shopify: StockReplay
) -> None:
    shop, c = store_shop, store_shop.client
    rid = _exchange_return(shop, shopify)
    assert c.post(f"/api/v1/returns/{rid}/resolve").status_code == 200
    [processed] = shopify.ops("ReturnProcess")
    [disposition] = processed["input"]["returnLineItems"][0]["dispositions"]
    assert disposition["dispositionType"] == "RESTOCKED"
    [created] = shopify.ops("ReturnCreate")  # no definitions read: the legacy enum
    assert created["returnInput"]["returnLineItems"][0]["returnReason"] == "SIZE_TOO_SMALL"
    run_outbox(shop)
    [adj] = adjustments(shop, rid)
    assert (adj["status"], adj["owner"]) == ("skipped", "store_refund")
    assert shopify.ops("RestockAdjust") == []


def test_an_api_version_before_definitions_sends_the_legacy_enum(
    engine: Any, clock: FakeClock, shopify: StockReplay, monkeypatch: pytest.MonkeyPatch
) -> None:
    for shop in _shops(engine, clock, shopify, monkeypatch, version="2025-10"):
        r = shop.client.post("/api/v1/returns/store-reasons/refresh")
        assert r.status_code == 409 and r.json()["field"] == "store"
    assert legacy_reason("damaged") == "DEFECTIVE" and legacy_reason("custom") == "OTHER"
