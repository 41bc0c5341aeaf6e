"""The tracking webhook's request body is documented in /openapi.json (a named schema, one
example per source), and every documented example is accepted by the endpoint, signed as the
source signs it, on SQLite and PostgreSQL: the documentation cannot promise what is refused."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from postpurchase.adapters import signatures
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.secrets import SecretKind
from postpurchase.entrypoints.api import schemas, webhook_schemas
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import place_order, ref
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
PATH = "/webhooks/tracking/{source}"
AFTERSHIP_KEY = "Xq4mJ9vP2sT7wZ1bN6cR8dF3gH5kL0aE"
EASYPOST_KEY = "A1B2C3-docs-example"
MODELS = {
    "postpurchase": webhook_schemas.PostpurchaseTrackingBatch,
    "aftership": webhook_schemas.AfterShipWebhook,
    "easypost": webhook_schemas.EasyPostEvent,
}


@pytest.fixture
def platform(engine) -> Platform:
    return bootstrap(Settings(), engine=engine, clock=FakeClock(NOW), notifications=False)


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


def _operation(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    document = client.get("/openapi.json").json()
    return document, document["paths"][PATH]["post"]


def _resolve(document: dict[str, Any], ref_: str) -> dict[str, Any]:
    assert ref_.startswith("#/components/schemas/"), ref_
    return document["components"]["schemas"][ref_.rsplit("/", 1)[1]]


def test_the_request_body_is_a_named_schema_with_an_example_per_source(client) -> None:
    document, op = _operation(client)
    body = op["requestBody"]
    assert body["required"] is True
    media = body["content"]["application/json"]
    assert media["schema"] == {"$ref": "#/components/schemas/TrackingWebhookBody"}
    named = _resolve(document, media["schema"]["$ref"])
    formats = [_resolve(document, option["$ref"]) for option in named["oneOf"]]
    assert [f["title"] for f in formats] == [
        "PostpurchaseTrackingBatch",
        "AfterShipWebhook",
        "EasyPostEvent",
    ]
    assert set(media["examples"]) == {"postpurchase", "aftership", "easypost"}
    assert all(e["summary"] and e["value"] for e in media["examples"].values())
    # our format's limits are those of the parser
    scan = _resolve(document, formats[0]["properties"]["events"]["items"]["$ref"])
    assert formats[0]["properties"]["events"]["maxItems"] == 1000
    assert scan["additionalProperties"] is False
    assert "occurred_at" in scan["required"] and "tracking_number" in scan["required"]
    # and every $ref anywhere in the document points at a component that exists
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    for r in refs:
        _resolve(document, r)


def test_the_response_is_documented(client) -> None:
    _, op = _operation(client)
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/BatchResult"}
    assert {"401", "404", "413", "422"} <= set(op["responses"])
    assert {p["name"] for p in op["parameters"]} == {"source", "merchant"}


def _signed(source: str, raw: bytes, platform: Platform, tracking_secret: str) -> dict[str, str]:
    if source == "postpurchase":
        value = signatures.sign_postpurchase(raw, tracking_secret, platform.clock.now())
        return {signatures.POSTPURCHASE_HEADER: value}
    if source == "aftership":
        digest = hmac.new(AFTERSHIP_KEY.encode(), raw, hashlib.sha256).digest()
        return {signatures.AFTERSHIP_HEADER: base64.b64encode(digest).decode()}
    return {signatures.EASYPOST_HEADER: signatures.sign_easypost(raw, EASYPOST_KEY)}


def _numbers(source: str, example: dict[str, Any]) -> list[tuple[str, str]]:
    if source == "postpurchase":
        return list(dict.fromkeys((e["tracking_number"], "ups") for e in example["events"]))
    if source == "aftership":
        return [(example["msg"]["tracking_number"], "usps")]
    return [(example["result"]["tracking_code"], "fedex")]


@pytest.mark.parametrize("source", ["postpurchase", "aftership", "easypost"])
@pytest.mark.parametrize("auth", ["signature", "api_key"])
def test_every_documented_example_is_accepted(client, platform, source: str, auth: str) -> None:
    _, op = _operation(client)
    example = copy.deepcopy(op["requestBody"]["content"]["application/json"]["examples"][source])
    value = example["value"]
    MODELS[source].model_validate(value)  # the example matches its own schema

    merchant, key, tracking_secret = handlers.create_merchant(
        platform.uow(),
        platform.clock,
        "Docs " + ref(),
        secrets={
            SecretKind.AFTERSHIP_WEBHOOK: AFTERSHIP_KEY,
            SecretKind.EASYPOST_WEBHOOK: EASYPOST_KEY,
        },
    )
    order = platform.bus().handle(place_order(merchant.id))
    for number, carrier in _numbers(source, value):
        platform.bus().handle(
            commands.CreateShipment(merchant.id, order.id, number, carrier=carrier)
        )

    raw = orjson.dumps(value)
    headers = {"Content-Type": "application/json"}
    url = PATH.format(source=source)
    if auth == "signature":
        headers |= _signed(source, raw, platform, tracking_secret)
        url += f"?merchant={merchant.slug}"
    else:
        headers["Authorization"] = f"Bearer {key}"
    r = client.post(url, content=raw, headers=headers)
    assert r.status_code == 200, r.text
    answer = r.json()
    schemas.BatchResult.model_validate(answer)  # the answer is what the docs say
    assert (answer["rejected"], answer["errors"]) == (0, [])
    assert answer["results"] and all(x["result"] == "accepted" for x in answer["results"])
    assert all(x["new_events"] > 0 for x in answer["results"])

    if source != "postpurchase":  # a retried delivery: the documented duplicate answer
        again = client.post(url, content=raw, headers=headers).json()
        assert schemas.BatchResult.model_validate(again).duplicate is True
