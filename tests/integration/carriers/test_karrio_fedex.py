"""FedEx through karrio's FedEx connector, over real HTTP against a recorded response.

The response follows FedEx's Track API (``POST /track/v1/trackingnumbers``, batch of
numbers, ``scanEvents`` with ``eventType`` codes; one number not found), as FedEx
publishes it and karrio's fedex fixtures use it; the token comes from ``/oauth/token``.
"""

from __future__ import annotations

import json
from pathlib import Path

import karrio.sdk  # noqa: F401  (the carriers extra, which make install installs: missing is a failure)
import pytest
from pytest_httpserver import HTTPServer

from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.carriers.reading import to_update
from postpurchase.domain.carriers import AccountMode, CarrierAccount, CarrierError, Connector
from postpurchase.domain.status import ShipmentStatus as S

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"
ACCOUNT = CarrierAccount(
    id="fx1", merchant_id="m1", carrier="fedex", connector=Connector.KARRIO,
    mode=AccountMode.PRODUCTION, options={"account_number": "510087020"},
    credentials={"track_api_key": "l7fedex-track-key", "track_secret_key": "fedex-track-secret"},
)  # fmt: skip


def token(server: HTTPServer, status: int = 200) -> None:
    body = (
        {"access_token": "fedex-token", "token_type": "bearer", "expires_in": 3599, "scope": "CXS"}
        if status == 200
        else {"errors": [{"code": "NOT.AUTHORIZED.ERROR",
                          "message": "The given client credentials were not valid."}]}
    )  # fmt: skip
    server.expect_request("/oauth/token", method="POST").respond_with_json(body, status=status)


def test_a_batch_is_one_call_and_reads_with_our_fedex_table(httpserver: HTTPServer) -> None:
    token(httpserver)
    httpserver.expect_request("/track/v1/trackingnumbers", method="POST").respond_with_data(
        (FIXTURES / "fedex_track.json").read_text(), content_type="application/json"
    )
    gw = gateway_for(ACCOUNT, api_urls={"fedex": httpserver.url_for("/").rstrip("/")})
    batch = gw.track(["794843185271", "123456789012"])

    calls = [r for r, _ in httpserver.log if r.path == "/track/v1/trackingnumbers"]
    assert len(calls) == 1
    sent = json.loads(calls[0].get_data())
    assert [t["trackingNumberInfo"]["trackingNumber"] for t in sent["trackingInfo"]] == [
        "794843185271", "123456789012",
    ]  # fmt: skip
    assert calls[0].headers["Authorization"] == "Bearer fedex-token"

    (result,) = batch.results
    events = to_update(ACCOUNT, result).events
    assert [(e.carrier_code, e.status) for e in events] == [
        ("DE", S.ATTEMPT_FAILED),
        ("OD", S.OUT_FOR_DELIVERY),
        ("AR", S.IN_TRANSIT),
        ("DP", S.IN_TRANSIT),
        ("PU", S.IN_TRANSIT),
        ("OC", S.INFO_RECEIVED),
    ]
    assert events[0].description == "Customer not available or business closed"
    assert [p.tracking_number for p in batch.problems] == ["123456789012"]


def test_refused_track_api_keys_are_named(httpserver: HTTPServer) -> None:
    token(httpserver, status=401)
    gw = gateway_for(ACCOUNT, api_urls={"fedex": httpserver.url_for("/").rstrip("/")})
    with pytest.raises(CarrierError) as caught:
        gw.track(["794843185271"])
    assert caught.value.failure.value == "auth"
    assert "fedex" in caught.value.message and "not valid" in caught.value.message
