"""SMS with the real Twilio SDK, pointed at a local HTTP server that answers like Twilio's
Messages API: the request the SDK makes is checked, and Twilio's errors are classified."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine, select

from postpurchase.adapters.db import tables as t
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from tests.factories import place_order, scan, ups_number
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings
from tests.notify_support import HttpRecorder, twilio_responder

SID, TOKEN = "AC" + "0" * 31 + "1", "test-token"


@pytest.fixture
def twilio() -> Iterator[HttpRecorder]:
    with HttpRecorder(twilio_responder) as rec:
        yield rec


@pytest.fixture
def sms_notify(engine: Engine, twilio: HttpRecorder) -> Notify:
    settings = quiet_settings(
        twilio_account_sid=SID,
        twilio_auth_token=TOKEN,
        twilio_from="+15005550006",
        twilio_base_url=twilio.url,
        webhooks_enabled=False,
    )
    return make_notify(engine, settings)


def out_for_delivery(notify: Notify, phone: str) -> str:
    order = notify.platform.bus().handle(place_order(notify.merchant.id, phone=phone))
    number = ups_number()
    notify.platform.bus().handle(commands.CreateShipment(notify.merchant.id, order.id, number))
    update = commands.TrackingUpdate(number, "ups", (scan(2, ShipmentStatus.OUT_FOR_DELIVERY),))
    notify.platform.bus().handle(commands.RecordTracking(notify.merchant.id, (update,)))
    notify.drain()
    return order.id


def test_sms_goes_through_the_sdk_to_the_messages_endpoint(
    sms_notify: Notify, twilio: HttpRecorder
) -> None:
    order_id = out_for_delivery(sms_notify, "(555) 555-0100")
    [req] = [r for r in twilio.requests if "Messages.json" in r.path]
    assert req.method == "POST" and req.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert (
        req.headers["Authorization"]
        == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    )
    form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
    assert form["To"] == "+15555550100" and form["From"] == "+15005550006"
    assert "out for delivery" in form["Body"] and "/t/" in form["Body"]
    [row] = sms_notify.messages(order_id=order_id, channel="sms", flow="out_for_delivery")
    assert row["status"] == "sent" and row["provider_id"].startswith("SM")


def test_twilio_errors_are_recorded_with_their_reason(
    sms_notify: Notify, twilio: HttpRecorder
) -> None:
    invalid = out_for_delivery(sms_notify, "+15005550001")
    stopped = out_for_delivery(sms_notify, "+15005550004")
    busy = out_for_delivery(sms_notify, "+15005550009")
    [bad] = sms_notify.messages(order_id=invalid, channel="sms", flow="out_for_delivery")
    assert bad["status"] == "failed" and "21211" in bad["reason"]
    [stop] = sms_notify.messages(order_id=stopped, channel="sms", flow="out_for_delivery")
    assert stop["status"] == "failed" and "21610" in stop["reason"]
    o = t.notification_optouts.c
    with sms_notify.engine.connect() as conn:
        opted = conn.execute(
            select(o.address, o.source).where(o.merchant_id == sms_notify.merchant.id)
        ).all()
    assert [tuple(r) for r in opted] == [("+15005550004", "twilio")]
    [later] = sms_notify.messages(order_id=busy, channel="sms", flow="out_for_delivery")
    assert later["status"] == "queued" and "503" in later["reason"] and later["attempts"] == 1
