"""EasyPost as an aggregator behind the carrier port: tracking, rates, labels, voids and
address checks over real HTTP against replayed answers shaped as EasyPost's API reference
publishes them (Tracker, Shipment with Rates, PostageLabel, refund, Address with
verifications); a label bought through it by the label service like any carrier's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from postpurchase.adapters.carriers.accounts import AccountGateways, add_account, qr_png
from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.carriers.reading import to_update
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    AccountMode,
    CarrierAccount,
    CarrierError,
    CarrierFailure,
    Connector,
    LabelFormat,
    LabelRequest,
    Parcel,
    RateRequest,
)
from postpurchase.domain.labels import LabelPurchase, LabelStatus
from postpurchase.domain.money import Money
from postpurchase.domain.status import ShipmentStatus as S
from postpurchase.service_layer import handlers
from postpurchase.service_layer import labels as service
from tests.factories import place_order, ref

pytestmark = pytest.mark.usefixtures("forget_label_polls")

FROM = Address("US", "43215", "OH", "Columbus", "500 Commerce Way", name="Acme Mugs")
TO = Address("US", "94103", "CA", "San Francisco", "1 Market St", name="Ana Lee")
NUMBER = "9400100000000000000000"
ZPL = b"^XA^PW812^LL1218^FO50,50^A0N,40,40^FDUSPS^FS^FO50,200^BCN,120,Y,N,N^FD9400^FS^XZ"


def account(**kw: Any) -> CarrierAccount:
    return CarrierAccount(
        id="acct-ep", merchant_id="m1", carrier="usps", connector=Connector.EASYPOST,
        mode=AccountMode.TEST, credentials={"api_key": "EZTK_test_key"}, **kw,
    )  # fmt: skip


def gateway(server: HTTPServer):
    return gateway_for(account(), api_urls={"easypost": server.url_for("/").rstrip("/")})


def tracker() -> dict[str, Any]:
    def detail(at: str, status: str, detail: str, msg: str) -> dict[str, Any]:
        return {"object": "TrackingDetail", "message": msg, "description": "", "status": status,
                "status_detail": detail, "datetime": at, "source": "USPS",
                "tracking_location": {"object": "TrackingLocation", "city": "SAN FRANCISCO",
                                      "state": "CA", "country": None, "zip": "94103"}}  # fmt: skip

    return {
        "id": "trk_0123", "object": "Tracker", "mode": "test", "tracking_code": NUMBER,
        "status": "delivered", "status_detail": "arrived_at_destination", "carrier": "USPS",
        "est_delivery_date": "2026-11-06T00:00:00Z", "public_url": "https://track.easypost.com/x",
        "tracking_details": [
            detail("2026-11-03T10:00:00Z", "pre_transit", "status_update", "Pre-Shipment Info"),
            detail("2026-11-04T08:00:00Z", "in_transit", "arrived_at_facility", "Arrived"),
            detail("2026-11-05T07:00:00Z", "out_for_delivery", "out_for_delivery", "Out"),
            detail("2026-11-05T15:00:00Z", "delivered", "arrived_at_destination", "Delivered"),
        ],
    }  # fmt: skip


def shipment(bought: bool = False, label_url: str = "") -> dict[str, Any]:
    def rate(rid: str, carrier: str, service: str, amount: str, days: int) -> dict[str, Any]:
        return {"id": rid, "object": "Rate", "mode": "test", "service": service,
                "carrier": carrier, "rate": amount, "currency": "USD", "retail_rate": amount,
                "delivery_days": days, "delivery_date": None, "est_delivery_days": days,
                "shipment_id": "shp_0123", "carrier_account_id": "ca_0123"}  # fmt: skip

    rates = [rate("rate_1", "USPS", "Priority", "9.35", 2),
             rate("rate_2", "USPS", "GroundAdvantage", "6.10", 4),
             rate("rate_3", "UPS", "Ground", "11.20", 3)]  # fmt: skip
    body: dict[str, Any] = {"id": "shp_0123", "object": "Shipment", "mode": "test",
                            "rates": rates, "tracking_code": None, "postage_label": None,
                            "selected_rate": None, "refund_status": None}  # fmt: skip
    if bought:
        body.update(tracking_code=NUMBER, selected_rate=rates[1], postage_label={
            "object": "PostageLabel", "id": "pl_0123", "label_size": "4x6",
            "label_file_type": "application/zpl", "label_url": label_url.replace(".zpl", ".png"),
            "label_zpl_url": label_url, "label_pdf_url": None,
        })  # fmt: skip
    return body


def test_tracking_through_easypost_maps_its_statuses(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/trackers", method="POST").respond_with_json(tracker())
    (result,) = gateway(httpserver).track([NUMBER]).results
    update = to_update(account(), result)
    assert [e.status for e in update.events] == [
        S.INFO_RECEIVED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED,
    ]  # fmt: skip
    assert update.events[1].carrier_code == "in_transit:arrived_at_facility"
    assert all(e.recognised and e.source == "easypost" for e in update.events)
    sent = httpserver.log[0][0]
    assert sent.get_json() == {"tracker": {"tracking_code": NUMBER, "carrier": "USPS"}}
    assert sent.authorization is not None and sent.authorization.username == "EZTK_test_key"


def test_rates_are_this_carriers_only(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/shipments", method="POST").respond_with_json(shipment())
    parcel = Parcel(1200, Decimal(30), Decimal(20), Decimal(10))
    quotes = gateway(httpserver).rate(RateRequest(FROM, TO, (parcel,)))
    assert {(q.service, q.price) for q in quotes} == {
        ("Priority", Money(Decimal("9.35"), "USD")),
        ("GroundAdvantage", Money(Decimal("6.10"), "USD")),
    }
    sent = httpserver.log[0][0].get_json()["shipment"]
    assert sent["parcel"] == {"weight": 42.3, "length": 11.8, "width": 7.9, "height": 3.9}


def test_label_and_void_through_easypost(httpserver: HTTPServer) -> None:
    url = httpserver.url_for("/files/postage_label/label.zpl")
    httpserver.expect_request("/v2/shipments", method="POST").respond_with_json(shipment())
    httpserver.expect_request("/v2/shipments/shp_0123/buy", method="POST").respond_with_json(
        shipment(bought=True, label_url=url)
    )
    httpserver.expect_request("/files/postage_label/label.zpl").respond_with_data(ZPL)
    httpserver.expect_request("/v2/shipments/shp_0123/refund", method="POST").respond_with_json(
        {**shipment(bought=True, label_url=url), "refund_status": "submitted"}
    )
    gw = gateway(httpserver)
    label = gw.buy_label(LabelRequest(FROM, TO, (Parcel(900),), "GroundAdvantage", "k1",
                                      label_format=LabelFormat.ZPL))  # fmt: skip
    assert label.tracking_number == NUMBER and label.document == ZPL
    assert label.price == Money(Decimal("6.10"), "USD") and label.label_id == "shp_0123"
    buy = next(r for r, _ in httpserver.log if r.path.endswith("/buy"))
    assert buy.get_json() == {"rate": {"id": "rate_2"}}
    gw.void_label(label)

    with pytest.raises(CarrierError) as missing:
        gw.buy_label(LabelRequest(FROM, TO, (Parcel(900),), "Express", "k2"))
    assert missing.value.failure is CarrierFailure.REJECTED and missing.value.field == "service"


def test_wrong_key_and_address_verification(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/trackers", method="POST").respond_with_json(
        {"error": {"code": "APIKEY.INACTIVE", "message": "This api key is no longer active.",
                   "errors": []}}, status=401,
    )  # fmt: skip
    with pytest.raises(CarrierError) as auth:
        gateway(httpserver).track([NUMBER])
    assert auth.value.failure is CarrierFailure.AUTH and "no longer active" in auth.value.message

    httpserver.expect_request("/v2/addresses", method="POST").respond_with_json({
        "id": "adr_0123", "object": "Address", "street1": "1 MARKET ST", "street2": "",
        "city": "SAN FRANCISCO", "state": "CA", "zip": "94105-1420", "country": "US",
        "verifications": {"delivery": {"success": True, "errors": [], "details": {}}},
    })  # fmt: skip
    check = gateway(httpserver).validate_address(TO)
    assert check.valid and check.suggestion is not None
    assert check.suggestion.postal_code == "94105-1420"


def test_a_label_bought_through_easypost_by_the_label_service(
    platform, merchant, httpserver: HTTPServer
) -> None:
    url = httpserver.url_for("/files/postage_label/label.zpl")
    httpserver.expect_request("/v2/shipments", method="POST").respond_with_json(shipment())
    httpserver.expect_request("/v2/shipments/shp_0123/buy", method="POST").respond_with_json(
        shipment(bought=True, label_url=url)
    )
    httpserver.expect_request("/files/postage_label/label.zpl").respond_with_data(ZPL)
    add_account(
        platform.engine, platform.keyring, datetime.now(UTC), merchant.id, "usps",
        connector=Connector.EASYPOST, mode=AccountMode.TEST,
        fields={"api_key": "EZTK_test_key"},
    )  # fmt: skip
    order = handlers.place_order(place_order(merchant.id, shipping_address=TO), platform.uow(),
                                 platform.clock)  # fmt: skip
    carriers = AccountGateways(
        platform.engine, platform.keyring, api_urls={"easypost": httpserver.url_for("/")[:-1]}
    )
    p = LabelPurchase(order_id=order.id, carrier="usps", service="GroundAdvantage", origin=FROM,
                      parcels=(Parcel(900),), idempotency_key=ref("k"),
                      label_format=LabelFormat.ZPL)  # fmt: skip
    record = service.buy_label(platform.uow(), platform.clock, carriers, qr_png, merchant.id,
                               p).record  # fmt: skip
    assert record.status is LabelStatus.PURCHASED and record.tracking_number == NUMBER
    with platform.uow() as uow:
        stored = uow.media.get(merchant.id, record.media_id)
    assert stored is not None and stored.data == ZPL


def test_easypost_accounts_over_the_api_and_the_cli(platform, monkeypatch) -> None:
    import json

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from postpurchase.entrypoints.api.app import create_app
    from postpurchase.entrypoints.cli import app as cli

    merchant, key, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    with TestClient(create_app(platform)) as client:
        r = client.post(
            "/api/v1/carriers/accounts", headers={"Authorization": f"Bearer {key}"},
            json={"carrier": "usps", "connector": "easypost",
                  "credentials": {"api_key": "EZTK_abcdef123456"},
                  "options": {"carrier_account_id": "ca_0123"}},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["connector"] == "easypost" and body["credentials_last4"] == {"api_key": "3456"}
        wrong = client.post(
            "/api/v1/carriers/accounts", headers={"Authorization": f"Bearer {key}"},
            json={"carrier": "dpd", "connector": "easypost", "credentials": {"api_key": "k"}},
        )  # fmt: skip
        assert wrong.status_code == 422 and "easypost:usps" in wrong.json()["detail"]
    monkeypatch.setenv("POSTPURCHASE_DATABASE_URL", platform.engine.url.render_as_string(False))
    out = CliRunner().invoke(cli, ["carriers", "add", merchant.slug, "ups", "--easypost",
                                   "--api-key", "EZTK_zzzz9999"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["connector"] == "easypost"
