"""Royal Mail through karrio's royalmail connector, over real HTTP against a Tracking API
v2 answer (``/mailpieces/v2/{id}/events``) shaped as Royal Mail's technical user guide
publishes it, with event codes from Royal Mail's published samples; read with our table."""

from __future__ import annotations

from pathlib import Path

import karrio.sdk  # noqa: F401  (the carriers extra: missing is a failure)
from pytest_httpserver import HTTPServer

from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.carriers.reading import to_update
from postpurchase.domain.carriers import AccountMode, CarrierAccount, Connector
from postpurchase.domain.status import ShipmentStatus as S
from postpurchase.domain.status import Substatus

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers"
ACCOUNT = CarrierAccount(
    id="acct-rm", merchant_id="m1", carrier="royal_mail", connector=Connector.KARRIO,
    mode=AccountMode.TEST, credentials={"client_id": "rm-client", "client_secret": "rm-secret"},
)  # fmt: skip


def test_royal_mail_codes_are_read_with_our_table(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/mailpieces/v2/RB123456785GB/events").respond_with_data(
        (FIXTURES / "royalmail_track_events.json").read_text(), content_type="application/json"
    )
    gateway = gateway_for(
        ACCOUNT, api_urls={"royal_mail": httpserver.url_for("/").rstrip("/")}, timeout=5
    )
    (result,) = gateway.track(["RB123456785GB"]).results
    events = to_update(ACCOUNT, result).events
    assert [(e.carrier_code, e.status, e.substatus) for e in events] == [
        ("EVKSP", S.DELIVERED, Substatus.SIGNED),
        ("EVGPD", S.OUT_FOR_DELIVERY, None),
        ("EVNRT", S.EXCEPTION, Substatus.DELAYED),
        ("EVKNA", S.ATTEMPT_FAILED, None),
        ("EVODO", S.IN_TRANSIT, Substatus.HUB_DEPARTURE),
        ("EVDAC", S.IN_TRANSIT, Substatus.HUB_ARRIVAL),
        ("EVPPA", S.IN_TRANSIT, Substatus.PICKED_UP),
    ]
    assert all(e.recognised for e in events)
    call = httpserver.log[0][0]
    assert call.headers["X-IBM-Client-Id"] == "rm-client"
