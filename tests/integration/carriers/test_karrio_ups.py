"""UPS through karrio's UPS connector, over real HTTP against recorded UPS responses.

The responses follow UPS's Tracking API (``/api/track/v1/details/{number}``) and OAuth
(``/security/v1/oauth/token``) as published and as karrio's own ups fixtures use them
(tests/fixtures/carriers/ups_*.json). The connector is pointed at pytest-httpserver with
``carrier_api_urls``, the setting an operator uses for an egress proxy.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import karrio.sdk  # noqa: F401  (the carriers extra, which make install installs: missing is a failure)
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.carriers.reading import to_update
from postpurchase.domain.carriers import AccountMode, CarrierAccount, CarrierError, Connector
from postpurchase.domain.status import ShipmentStatus as S
from postpurchase.domain.status import Substatus

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"


def account(**creds: str) -> CarrierAccount:
    return CarrierAccount(
        id="acct1",
        merchant_id="m1",
        carrier="ups",
        connector=Connector.KARRIO,
        mode=AccountMode.TEST,
        options={"account_number": "A12345"},
        credentials=creds or {"client_id": "ups-client", "client_secret": "ups-secret-0001"},
    )


def token(server: HTTPServer) -> None:
    server.expect_request("/security/v1/oauth/token", method="POST").respond_with_json(
        {
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "client_id": "ups-client",
            "access_token": "ups-access-token",
            "expires_in": "14399",
            "status": "approved",
        }
    )


def gateway(server: HTTPServer, acct: CarrierAccount | None = None, timeout: float = 5.0):
    return gateway_for(
        acct or account(), api_urls={"ups": server.url_for("/").rstrip("/")}, timeout=timeout
    )


def test_tracking_maps_ups_activity_types_and_codes_with_our_table(httpserver) -> None:
    token(httpserver)
    body = (FIXTURES / "ups_track_1Z.json").read_text()
    httpserver.expect_request("/api/track/v1/details/1Z023E2X0214323462").respond_with_data(
        body, content_type="application/json"
    )
    batch = gateway(httpserver).track(["1Z023E2X0214323462"])

    (result,) = batch.results
    assert [(s.kind, s.code) for s in result.scans] == [
        ("D", "FS"), ("I", "OT"), ("I", "AR"), ("I", "DP"), ("I", "OR"), ("M", "MP"),
    ]  # fmt: skip
    update = to_update(account(), result)
    assert [(e.status, e.substatus) for e in update.events] == [
        (S.DELIVERED, None),
        (S.OUT_FOR_DELIVERY, None),
        (S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        (S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
        (S.IN_TRANSIT, Substatus.PICKED_UP),
        (S.INFO_RECEIVED, Substatus.LABEL_CREATED),
    ]
    # karrio keeps minutes (UPS gives local time, 09:10:04; karrio writes it as UTC)
    assert update.events[1].occurred_at == datetime(2026, 11, 4, 9, 10, tzinfo=UTC)
    assert update.events[1].carrier_code == "I:OT"
    assert update.events[0].location.city == "Wayne"
    assert update.service == "UPS Ground"
    assert all(e.recognised for e in update.events)
    # the bearer token from the OAuth call was used
    track_call = next(r for r, _ in httpserver.log if "/track/" in r.path)
    assert track_call.headers["Authorization"] == "Bearer ups-access-token"


def test_exceptions_attempts_customs_and_returns_are_recognised(httpserver) -> None:
    token(httpserver)
    body = (FIXTURES / "ups_track_exceptions.json").read_text()
    httpserver.expect_request("/api/track/v1/details/1Z879E930346834440").respond_with_data(
        body, content_type="application/json"
    )
    (result,) = gateway(httpserver).track(["1Z879E930346834440"]).results
    events = to_update(account(), result).events
    assert [(e.carrier_code, e.status, e.substatus) for e in events] == [
        ("X:RS", S.EXCEPTION, Substatus.RETURNED_TO_SENDER),
        ("X:NH", S.ATTEMPT_FAILED, "recipient_unavailable"),
        # karrio reads this as "on hold"; UPS says the customs agency released it
        ("X:SR", S.IN_TRANSIT, "customs_cleared"),
        ("X:CD", S.EXCEPTION, Substatus.CUSTOMS_HOLD),
        ("I:OF", S.OUT_FOR_DELIVERY, None),
    ]


def test_wrong_credentials_are_named(httpserver) -> None:
    httpserver.expect_request("/security/v1/oauth/token", method="POST").respond_with_json(
        {"response": {"errors": [{"code": "10401", "message": "ClientId is Invalid"}]}},
        status=401,
    )
    bad = account(client_id="wrong", client_secret="wrong-secret")
    with pytest.raises(CarrierError) as caught:
        gateway(httpserver, bad).track(["1Z023E2X0214323462"])
    assert caught.value.failure.value == "auth"
    assert "ups" in caught.value.message and "ClientId is Invalid" in caught.value.message


def test_a_5xx_is_the_carrier_being_down(httpserver) -> None:
    token(httpserver)
    httpserver.expect_request("/api/track/v1/details/1Z023E2X0214323462").respond_with_data(
        "<html><body>503 Service Temporarily Unavailable</body></html>",
        status=503,
        content_type="text/html",
    )
    with pytest.raises(CarrierError) as caught:
        gateway(httpserver).track(["1Z023E2X0214323462"])
    assert caught.value.transient
    assert caught.value.failure.value == "unavailable"


def test_a_carrier_that_does_not_answer_times_out(stalling_carrier) -> None:
    server, release = stalling_carrier
    token(server)

    def stall(_: Request) -> Response:
        release.wait(3)
        return Response(json.dumps({}), content_type="application/json")

    server.expect_request("/api/track/v1/details/1Z023E2X0214323462").respond_with_handler(stall)
    started = time.monotonic()
    with pytest.raises(CarrierError) as caught:
        gateway(server, timeout=0.5).track(["1Z023E2X0214323462"])
    assert time.monotonic() - started < 2.5  # gave up well before the answer came
    assert caught.value.failure.value == "timeout" and "0.5 s" in caught.value.message


def test_rates_come_back_as_exact_money(httpserver) -> None:
    from decimal import Decimal

    from postpurchase.domain.addresses import Address
    from postpurchase.domain.carriers import Parcel, RateRequest

    token(httpserver)
    httpserver.expect_request("/api/rating/v2409/Shop", method="POST").respond_with_data(
        (FIXTURES / "ups_rate_shop.json").read_text(), content_type="application/json"
    )
    quotes = gateway(httpserver).rate(
        RateRequest(
            Address("US", "43215", "OH", "Columbus", "500 Commerce Way"),
            Address("US", "94103", "CA", "San Francisco", "1 Market St"),
            (Parcel(1800, Decimal(30), Decimal(20), Decimal(10)),),
        )
    )
    by_price = sorted(quotes, key=lambda q: q.price.amount)
    assert [(q.price.amount, q.price.currency, q.transit_days) for q in by_price] == [
        (Decimal("16.93"), "USD", 4),
        (Decimal("47.61"), "USD", 2),
    ]
    assert all(q.carrier == "ups" and q.service.startswith("ups_") for q in quotes)
    sent = json.loads(next(r for r, _ in httpserver.log if "/rating/" in r.path).get_data())
    package = sent["RateRequest"]["Shipment"]["Package"]
    package = package[0] if isinstance(package, list) else package
    # 1,800 g went to karrio as 1.8 kg; karrio sends a US shipment to UPS in pounds
    weight = package["PackageWeight"]
    assert weight["UnitOfMeasurement"]["Code"] == "LBS"
    assert abs(float(weight["Weight"]) - 1.8 / 0.45359237) < 0.05
