"""The Admin GraphQL client against a local server: it waits for the cost bucket as
``throttleStatus`` says, retries THROTTLED and 429 answers, retries 5xx only for requests
that are safe to send twice, and names a revoked token."""

from __future__ import annotations

import json

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from postpurchase.adapters.storefronts.shopify.admin_api import (
    AccessRevoked,
    AdminApi,
    AdminApiError,
)
from tests.integration.storefronts.shopify_shapes import THROTTLED, throttle

PATH = "/admin/api/2025-07/graphql.json"


def api(server: HTTPServer, waits: list[float]) -> AdminApi:
    return AdminApi(httpx.Client(), "acme.myshopify.com", "shpat_x", version="2025-07",
                    base=server.url_for("").rstrip("/"), sleep=waits.append)  # fmt: skip


def answer(doc: dict, status: int = 200, **headers: str) -> Response:
    return Response(json.dumps(doc), status, headers=headers, content_type="application/json")


def test_throttled_is_waited_out_and_the_bucket_respected(httpserver: HTTPServer) -> None:
    answers = [
        answer(THROTTLED),  # 752 requested, 748 available, 100 restored a second
        answer({"data": {"shop": {"name": "Acme"}}, "extensions": throttle(10.0, 50.0, 42)}),
        answer({"data": {"shop": {"name": "Acme"}}, "extensions": throttle()}),
    ]
    httpserver.expect_request(PATH, method="POST").respond_with_handler(lambda _: answers.pop(0))
    waits: list[float] = []
    client = api(httpserver, waits)
    assert client.query("query Shop { shop { name } }") == {"shop": {"name": "Acme"}}
    assert waits == [pytest.approx(0.5)]  # (752 - 748) / 100 = 0.04, at least half a second
    client.query("query Shop { shop { name } }")
    assert waits[1] == pytest.approx((42 - 10) / 50)  # the bucket held 10 of the 42 needed
    sent = [json.loads(r.data)["query"] for r, _ in httpserver.log]
    assert len(sent) == 3
    assert all(r.headers["X-Shopify-Access-Token"] == "shpat_x" for r, _ in httpserver.log)


def test_429_waits_as_told_and_5xx_is_retried_only_when_safe(httpserver: HTTPServer) -> None:
    answers = [
        answer({"errors": "Exceeded 2 calls per second"}, 429, **{"Retry-After": "2.0"}),
        answer({"errors": "Internal Server Error"}, 502),
        answer({"data": {"ok": True}, "extensions": throttle()}),
        answer({"errors": "Internal Server Error"}, 502),
    ]
    httpserver.expect_request(PATH, method="POST").respond_with_handler(lambda _: answers.pop(0))
    waits: list[float] = []
    client = api(httpserver, waits)
    assert client.query("query Q { ok }") == {"ok": True}
    assert waits[0] == 2.0 and len(waits) == 2
    with pytest.raises(AdminApiError):
        client.query("mutation Refund { refundCreate }", idempotent=False)
    assert len(httpserver.log) == 4  # the mutation was sent once


def test_a_revoked_token_and_graphql_errors_are_named(httpserver: HTTPServer) -> None:
    answers = [
        answer({"errors": "[API] Invalid API key or access token"}, 401),
        answer({"errors": [{"message": "Field 'nope' doesn't exist on type 'Shop'"}]}),
    ]
    httpserver.expect_request(PATH, method="POST").respond_with_handler(lambda _: answers.pop(0))
    client = api(httpserver, [])
    with pytest.raises(AccessRevoked, match="401"):
        client.query("query Q { shop { name } }")
    with pytest.raises(AdminApiError, match="doesn't exist"):
        client.query("query Q { shop { nope } }")
