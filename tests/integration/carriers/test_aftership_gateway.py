"""AfterShip as a tracking aggregator behind the carrier port, over real HTTP against
replayed answers shaped as AfterShip's Tracking API (2024-10) reference publishes them."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.carriers.reading import to_update
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AccountMode,
    CarrierAccount,
    CarrierError,
    CarrierFailure,
    Connector,
    Parcel,
    RateRequest,
)
from postpurchase.domain.status import ShipmentStatus as S

ACCOUNT = CarrierAccount(
    id="acct-as", merchant_id="m1", carrier="fedex", connector=Connector.AFTERSHIP,
    mode=AccountMode.PRODUCTION, credentials={"api_key": "asat_test_key"},
)  # fmt: skip


def gateway(server: HTTPServer):
    return gateway_for(ACCOUNT, api_urls={"aftership": server.url_for("/").rstrip("/")})


def checkpoint(at: str, tag: str, subtag: str, message: str) -> dict[str, Any]:
    return {"checkpoint_time": at, "created_at": at, "tag": tag, "subtag": subtag,
            "subtag_message": message, "message": message, "slug": "fedex",
            "city": "MEMPHIS", "state": "TN", "postal_code": "38118",
            "country_region": "USA", "location": "MEMPHIS, TN 38118"}  # fmt: skip


def tracking() -> dict[str, Any]:
    return {
        "id": "as_0123", "tracking_number": "123456789012", "slug": "fedex",
        "tag": "AttemptFail", "subtag": "AttemptFail_001", "shipment_type": "FedEx Ground",
        "courier_tracking_link": "https://www.fedex.com/fedextrack/?trknbr=123456789012",
        "courier_estimated_delivery_date": {"estimated_delivery_date": "2026-11-06"},
        "checkpoints": [
            checkpoint("2026-11-03T10:00:00-06:00", "InfoReceived", "InfoReceived_001",
                       "Shipment information sent to FedEx"),
            checkpoint("2026-11-04T08:00:00-06:00", "InTransit", "InTransit_002",
                       "Arrived at FedEx location"),
            checkpoint("2026-11-05T07:00:00-06:00", "OutForDelivery", "OutForDelivery_001",
                       "On FedEx vehicle for delivery"),
            checkpoint("2026-11-05T15:00:00-06:00", "AttemptFail", "AttemptFail_001",
                       "Customer not available or business closed"),
        ],
    }  # fmt: skip


def test_tracking_through_aftership_reads_its_tags(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trackings", method="GET").respond_with_json(
        {"meta": {"code": 200, "message": "OK", "type": "OK"},
         "data": {"pagination": {"total": 1, "has_next_page": False},
                  "trackings": [tracking()]}}
    )  # fmt: skip
    httpserver.expect_request("/trackings", method="POST").respond_with_json(
        {"meta": {"code": 201, "message": "Created", "type": "Created"},
         "data": {**tracking(), "tracking_number": "999999999999", "tag": "Pending",
                  "checkpoints": []}}, status=201,
    )  # fmt: skip
    batch = gateway(httpserver).track(["123456789012", "999999999999"])
    (result,) = batch.results
    events = to_update(ACCOUNT, result).events
    assert [e.status for e in events] == [
        S.INFO_RECEIVED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.ATTEMPT_FAILED,
    ]  # fmt: skip
    assert all(e.recognised and e.source == "aftership" for e in events)
    assert result.estimated_delivery is not None and result.service == "FedEx Ground"
    # a number AfterShip did not track yet is registered, and comes back on a later poll
    assert [(p.tracking_number, p.code) for p in batch.problems] == [("999999999999", "REGISTERED")]
    get = httpserver.log[0][0]
    assert get.headers["as-api-key"] == "asat_test_key" and get.args["slug"] == "fedex"


def test_wrong_key_and_unsupported_operations(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trackings").respond_with_json(
        {"meta": {"code": 401, "message": "Invalid API key.", "type": "Unauthorized"},
         "data": {}}, status=401,
    )  # fmt: skip
    with pytest.raises(CarrierError) as auth:
        gateway(httpserver).check()
    assert auth.value.failure is CarrierFailure.AUTH and "Invalid API key" in auth.value.message
    request = RateRequest(Address("US", "43215"), Address("US", "94103"), (Parcel(900),))
    with pytest.raises(CarrierError) as rates:
        gateway(httpserver).rate(request)
    assert rates.value.failure is CarrierFailure.UNSUPPORTED
