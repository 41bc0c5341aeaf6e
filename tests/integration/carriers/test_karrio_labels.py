"""Labels, voids, pickups and address checks through karrio's connectors, over real HTTP
against recorded carrier responses (pytest-httpserver). ``ups_pickup*.json`` are the
PickupCreationResponse and error of karrio's UPS fixture (test_pickup.py, 2026.1.32).

``ups_ship_zpl.json`` is the ShipmentResponse of karrio's own UPS fixture
(modules/connectors/ups/tests/ups/test_shipment.py, release 2026.1.32) with its label image
replaced by a ZPL label and its tracking number by UPS's published sample number;
``ups_void.json`` is the same file's VoidShipmentResponse.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    CarrierError,
    CarrierFailure,
    ContentType,
    Customs,
    CustomsItem,
    LabelFormat,
    LabelRequest,
    Parcel,
    PickupRequest,
)
from postpurchase.domain.money import Money
from tests.integration.carriers.test_karrio_ups import account, gateway, token

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"
FROM = Address("US", "43215", "OH", "Columbus", "500 Commerce Way", name="Acme", phone="6145550100")
TO = Address("CA", "K1A 0B1", "ON", "Ottawa", "111 Wellington St", name="Ana Lee",
             phone="6135550100")  # fmt: skip
CUSTOMS = Customs(
    ContentType.MERCHANDISE,
    (CustomsItem("Ceramic mug", 2, Money.of("12.50", "USD"), 400, "691200", "US"),),
)


def request(fmt: LabelFormat = LabelFormat.ZPL) -> LabelRequest:
    return LabelRequest(
        FROM, TO, (Parcel(1200, Decimal(30), Decimal(20), Decimal(10)),), "ups_standard",
        idempotency_key="lbl1", label_format=fmt, customs=CUSTOMS, reference="#1001",
    )  # fmt: skip


def test_ups_label_through_karrio_with_customs(httpserver: HTTPServer) -> None:
    token(httpserver)
    httpserver.expect_request("/api/shipments/v2409/ship", method="POST").respond_with_data(
        (FIXTURES / "ups_ship_zpl.json").read_text(), content_type="application/json"
    )
    label = gateway(httpserver).buy_label(request())
    assert label.tracking_number == "1Z999AA10123456784"
    assert label.label_format is LabelFormat.ZPL
    assert label.document.startswith(b"^XA") and label.document.endswith(b"^XZ")
    assert label.price is None  # karrio's UPS connector keeps no charge (the rate has it)
    # what karrio sent UPS: our parcel, our customs, in UPS's words
    ship = next(r for r, _ in httpserver.log if r.path.endswith("/ship"))
    sent = json.loads(ship.get_data())["ShipmentRequest"]["Shipment"]
    assert sent["ShipTo"]["Address"]["PostalCode"].replace(" ", "") == "K1A0B1"
    assert "InternationalForms" in json.dumps(sent) or "Product" in json.dumps(sent)


def test_ups_void_through_karrio(httpserver: HTTPServer) -> None:
    token(httpserver)
    httpserver.expect_request(
        "/api/shipments/v2409/void/cancel/1Z999AA10123456784", method="DELETE"
    ).respond_with_data((FIXTURES / "ups_void.json").read_text(), content_type="application/json")
    httpserver.expect_request("/api/shipments/v2409/ship", method="POST").respond_with_data(
        (FIXTURES / "ups_ship_zpl.json").read_text(), content_type="application/json"
    )
    gw = gateway(httpserver)
    gw.void_label(gw.buy_label(request()))


def test_ups_refusals_are_named(httpserver: HTTPServer) -> None:
    token(httpserver)
    httpserver.expect_request("/api/shipments/v2409/ship", method="POST").respond_with_json(
        {"response": {"errors": [{"code": "120802",
                                  "message": "Address Validation Error on ShipTo address"}]}},
        status=400,
    )  # fmt: skip
    with pytest.raises(CarrierError) as refused:
        gateway(httpserver).buy_label(request())
    assert refused.value.failure is CarrierFailure.REJECTED
    assert "ShipTo" in refused.value.message


def test_connectors_without_the_operation_answer_unsupported(httpserver: HTTPServer) -> None:
    token(httpserver)
    gw = gateway(httpserver)
    with pytest.raises(CarrierError) as address:
        gw.validate_address(TO)  # karrio's UPS connector has no address validation
    assert address.value.failure is CarrierFailure.UNSUPPORTED
    assert account().carrier == "ups"


def test_ups_pickup_through_karrio(httpserver: HTTPServer) -> None:
    token(httpserver)
    httpserver.expect_oneshot_request(
        "/api/pickupcreation/v2409/pickup", method="POST"
    ).respond_with_data((FIXTURES / "ups_pickup.json").read_text(), content_type="application/json")
    ready = datetime(2026, 12, 8, 9, tzinfo=UTC)
    gw = gateway(httpserver)
    pickup = gw.schedule_pickup(PickupRequest(FROM, ready, ready.replace(hour=17), 3))
    assert pickup.confirmation == "2929AONCALL02"
    assert pickup.pickup_date == ready.date()
    httpserver.expect_request("/api/pickupcreation/v2409/pickup", method="POST").respond_with_data(
        (FIXTURES / "ups_pickup_error.json").read_text(), content_type="application/json",
        status=400,
    )  # fmt: skip
    with pytest.raises(CarrierError) as refused:
        gw.schedule_pickup(PickupRequest(FROM, ready, ready.replace(hour=17)))
    assert refused.value.failure is CarrierFailure.REJECTED
    assert "Invalid pickup date" in refused.value.message
