"""USPS through karrio's USPS connector (USPS APIs v3: OAuth ``/oauth2/v3/token``, then
``GET /tracking/v3/tracking/{number}?expand=DETAIL`` per number), over real HTTP against a
response shaped as USPS publishes it and karrio's usps fixtures use it."""

from __future__ import annotations

import time
from pathlib import Path

import karrio.sdk  # noqa: F401  (the carriers extra, which make install installs: missing is a failure)
from pytest_httpserver import HTTPServer

from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.carriers.reading import to_update
from postpurchase.domain.carriers import AccountMode, CarrierAccount, Connector
from postpurchase.domain.status import ShipmentStatus as S
from postpurchase.domain.status import Substatus

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"
NUMBER = "9400111899223197428490"
ACCOUNT = CarrierAccount(
    id="us1", merchant_id="m1", carrier="usps", connector=Connector.KARRIO,
    mode=AccountMode.TEST, credentials={"client_id": "usps-app-id", "client_secret": "usps-sec"},
)  # fmt: skip


def test_usps_codes_read_with_our_table_including_label_created(httpserver: HTTPServer):
    httpserver.expect_request("/oauth2/v3/token", method="POST").respond_with_json(
        {"access_token": "usps-token", "token_type": "Bearer",
         "issued_at": int(time.time() * 1000), "expires_in": 28799, "status": "approved"}
    )  # fmt: skip
    httpserver.expect_request(f"/tracking/v3/tracking/{NUMBER}").respond_with_data(
        (FIXTURES / "usps_track_9400.json").read_text(), content_type="application/json"
    )
    gw = gateway_for(ACCOUNT, api_urls={"usps": httpserver.url_for("/").rstrip("/")})
    (result,) = gw.track([NUMBER]).results
    events = to_update(ACCOUNT, result).events
    assert [(e.carrier_code, e.status, e.substatus) for e in events] == [
        ("01", S.DELIVERED, None),
        ("OF", S.OUT_FOR_DELIVERY, None),
        ("07", S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        ("TL", S.IN_TRANSIT, None),
        ("03", S.IN_TRANSIT, Substatus.PICKED_UP),
        # USPS: "Shipping Label Created, USPS Awaiting Item", not a cancellation
        ("GX", S.INFO_RECEIVED, Substatus.LABEL_CREATED),
    ]
    assert all(e.recognised for e in events)
