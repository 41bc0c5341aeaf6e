"""Outbound webhooks to a real local receiver that verifies the HMAC signature: retries with
backoff, replay, and Apprise ops digests to a local JSON target."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from postpurchase.adapters.notifications import queries
from postpurchase.adapters.signatures import POSTPURCHASE_HEADER, verify_postpurchase
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from tests.factories import place_order, scan, ups_number
from tests.integration.notifications.conftest import make_notify, quiet_settings
from tests.notify_support import HttpRecorder, Recorded


class Receiver:
    """The merchant's server: checks the signature on every request, fails the first N."""

    def __init__(self, failures: int) -> None:
        self.secret = ""
        self.failures = failures
        self.verified: list[bool] = []

    def __call__(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        ok = verify_postpurchase(
            rec.body, rec.headers.get(POSTPURCHASE_HEADER), self.secret, datetime.now(UTC)
        )
        self.verified.append(ok)
        if not ok:
            return 401, {}, b"bad signature"
        if self.failures > 0:
            self.failures -= 1
            return 503, {}, b"try later"
        return 200, {}, b"ok"


def test_signed_events_retry_until_accepted_and_replay_resends_the_same_event(
    engine: Engine,
) -> None:
    receiver = Receiver(failures=2)
    with HttpRecorder(receiver) as server:
        notify = make_notify(engine, quiet_settings(outbound_allow="127.0.0.1"))
        ep = notify.service.create_endpoint(
            notify.merchant.id, f"{server.url}/hooks", ["shipment.status_changed", "order.placed"]
        )
        receiver.secret = ep.secret
        order = notify.platform.bus().handle(place_order(notify.merchant.id))
        number = ups_number()
        notify.platform.bus().handle(commands.CreateShipment(notify.merchant.id, order.id, number))
        update = commands.TrackingUpdate(number, "ups", (scan(3, ShipmentStatus.DELIVERED),))
        notify.platform.bus().handle(commands.RecordTracking(notify.merchant.id, (update,)))
        notify.drain()
        for _ in range(4):
            notify.advance(minutes=2)
        with engine.connect() as conn:
            rows, _ = queries.list_deliveries(conn, notify.merchant.id, ep.id)
        by_type = {r["event_type"]: r for r in rows}
        assert set(by_type) == {"order.placed", "shipment.status_changed"}
        assert all(r["status"] == "sent" for r in rows)
        assert sum(r["attempts"] for r in rows) == 4  # two 503s, then both accepted
        assert all(receiver.verified)
        bodies = [json.loads(r.body) for r in server.requests]
        event = next(b for b in bodies if b["type"] == "shipment.status_changed")
        assert event["data"]["to_status"] == "delivered" and event["id"].startswith("evt_")
        assert server.requests[0].headers["X-Postpurchase-Event-Id"] == bodies[0]["id"]

        sent = by_type["shipment.status_changed"]
        replay = notify.service.replay_delivery(notify.merchant.id, sent["id"])
        notify.drain()
        first_body = next(
            r.body
            for r in server.requests
            if json.loads(r.body)["type"] == "shipment.status_changed"
        )
        assert server.requests[-1].body == first_body  # same bytes, same event id, new signature
        with engine.connect() as conn:
            again = queries.get_delivery(conn, notify.merchant.id, replay.id)
        assert again is not None and again["status"] == "sent" and again["replay_of"] == sent["id"]


def test_deleted_endpoints_get_nothing_more(engine: Engine) -> None:
    receiver = Receiver(failures=0)
    with HttpRecorder(receiver) as server:
        notify = make_notify(engine, quiet_settings(outbound_allow="127.0.0.1"))
        ep = notify.service.create_endpoint(notify.merchant.id, f"{server.url}/h", ["*"])
        receiver.secret = ep.secret
        notify.service.delete_endpoint(notify.merchant.id, ep.id)
        notify.platform.bus().handle(place_order(notify.merchant.id))
        notify.drain()
        assert server.requests == []


def test_ops_digest_goes_to_apprise_targets(engine: Engine) -> None:
    got: list[dict[str, Any]] = []

    def target(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        got.append(rec.json())
        return 200, {}, b"{}"

    with HttpRecorder(target) as server:
        url = server.url.replace("http://", "json://") + "/ops"
        notify = make_notify(
            engine,
            quiet_settings(ops_apprise_urls=url, ops_digest_minutes=5, outbound_allow="127.0.0.1"),
        )
        order = notify.platform.bus().handle(place_order(notify.merchant.id))
        for status in (ShipmentStatus.EXCEPTION, ShipmentStatus.EXCEPTION):
            number = ups_number()
            notify.platform.bus().handle(
                commands.CreateShipment(notify.merchant.id, order.id, number)
            )
            bad = scan(2, status, substatus="lost")
            notify.platform.bus().handle(
                commands.RecordTracking(
                    notify.merchant.id, (commands.TrackingUpdate(number, "ups", (bad,)),)
                )
            )
        notify.drain()
        assert got == []  # digested, not one alert per event
        notify.advance(minutes=6)
        mine = [g for g in got if notify.merchant.name in g.get("title", "")]
        assert len(mine) == 1
        assert (
            "2 new shipment exception" in mine[0]["title"] and mine[0]["message"].count("lost") == 2
        )
