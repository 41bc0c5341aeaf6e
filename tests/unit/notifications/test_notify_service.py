"""The notification service against in-memory fakes: what gets queued, sent, suppressed or
failed, and why. No I/O: each test runs in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postpurchase.adapters.notifications.fake import (
    FakeEmailChannel,
    FakeOpsNotifier,
    FakeSmsChannel,
    FakeWebhookPoster,
)
from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.domain.notifications import Channel, MessageContext, MessageStatus, Preferences
from postpurchase.domain.orders import Order
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.status import OrderStatus
from postpurchase.service_layer.notification_ports import (
    DIGEST_DUE,
    DeliveryError,
    Rendered,
    RenderError,
)
from postpurchase.service_layer.notifications import Channels, NotificationService, ServiceConfig
from tests.fakes import FakeClock
from tests.notify_support import (
    InMemoryUoW,
    State,
    merchant,
    order,
    run_due,
    shipment,
    status_changed,
)

NOON_NY = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 12:00 in New York


class World:
    def __init__(self, *, renderer: Any = None, prefs: dict[str, Any] | None = None) -> None:
        self.state = State()
        self.clock = FakeClock(NOON_NY)
        self.email, self.sms = FakeEmailChannel(), FakeSmsChannel()
        self.hooks, self.ops = FakeWebhookPoster(), FakeOpsNotifier()
        self.merchant = merchant(settings={"notifications": prefs or {}})
        self.state.merchants[self.merchant.id] = self.merchant
        self.order = self.add_order()
        self.shipment = self.add_shipment(self.order)
        self.svc = NotificationService(
            lambda: InMemoryUoW(self.state),
            self.clock,
            renderer or JinjaRenderer(),
            Channels(email=self.email, sms=self.sms, webhooks=self.hooks, ops=self.ops),
            ServiceConfig(base_url="https://shop.test", ops_urls=("json://ops",)),
        )
        self.event_id = 0

    def add_order(self, **kw: Any) -> Order:
        o = order(self.merchant.id, placed_at=NOON_NY - timedelta(hours=1), **kw)
        self.state.orders[o.id] = o
        return o

    def add_shipment(self, o: Order, **kw: Any) -> Shipment:
        s = shipment(o, created_at=NOON_NY - timedelta(minutes=30), **kw)
        self.state.shipments[s.id] = s
        return s

    def event(self, topic: str, payload: dict[str, Any]) -> None:
        self.event_id += 1
        self.state.event_times[self.event_id] = self.clock.now()
        self.svc.handle(self.event_id, topic, payload)

    def scan(self, to: str, minutes: float = 0, **kw: Any) -> None:
        at = NOON_NY + timedelta(minutes=minutes)
        self.event("ShipmentStatusChanged", status_changed(self.shipment, to, at, **kw))

    def run(self, *, minutes: float = 0) -> None:
        self.clock.advance(minutes=minutes)
        run_due(self.svc, self.state, self.clock.now())

    def messages(self, **match: Any) -> list[Any]:
        out = [
            m
            for m in self.state.messages.values()
            if all(getattr(m, k) == v for k, v in match.items())
        ]
        return sorted(out, key=lambda m: m.created_at)

    def one(self, **match: Any) -> Any:
        [m] = self.messages(**match)
        return m


def placed(w: World, o: Order | None = None) -> None:
    o = o or w.order
    w.event(
        "OrderPlaced",
        {"merchant_id": o.merchant_id, "order_id": o.id, "placed_at": o.placed_at.isoformat()},
    )


def test_order_confirmation_goes_out_at_once_in_the_shoppers_language() -> None:
    w = World()
    o = w.add_order(locale="pt-BR", currency="BRL")
    placed(w, o)
    w.run()
    [sent] = w.email.sent
    assert sent.subject.startswith("Pedido #1001 confirmado")
    assert "R$" in sent.text and sent.to == "ada@example.com"
    m = w.one(order_id=o.id, channel=Channel.EMAIL)
    assert (
        m.status is MessageStatus.SENT and m.locale == "pt-BR" and m.reason == "sent via fake-email"
    )
    sms = w.one(order_id=o.id, channel=Channel.SMS)
    assert sms.status is MessageStatus.SUPPRESSED and "switched off for sms" in sms.reason


def test_the_same_event_twice_sends_once() -> None:
    w = World()
    for _ in range(3):
        w.scan("out_for_delivery")
    w.run()
    assert len(w.email.sent) == 1 and len(w.sms.sent) == 1
    assert len(w.messages(flow="out_for_delivery")) == 2  # one per channel, never more


def test_a_burst_of_scans_gives_one_message_about_the_latest() -> None:
    w = World()
    w.event(
        "ShipmentCreated",
        {
            "merchant_id": w.merchant.id,
            "order_id": w.order.id,
            "shipment_id": w.shipment.id,
            "carrier": "ups",
            "tracking_number": w.shipment.tracking_number,
        },
    )
    w.scan("exception", 1, sub="address_issue")
    w.scan("delivered", 3, frm="exception")
    w.run(minutes=6)
    assert [e.subject.split(":")[0] for e in w.email.sent] == ["Delivered"]
    shipped = w.one(flow="shipped", channel=Channel.EMAIL)
    assert shipped.status is MessageStatus.SUPPRESSED
    assert "superseded" in shipped.reason
    assert "delivered" in w.one(flow="exception", channel=Channel.EMAIL).reason


def test_a_late_old_scan_never_notifies_after_a_newer_one() -> None:
    w = World()
    w.scan("delivered", 30, frm="out_for_delivery")
    w.run(minutes=6)
    w.scan("out_for_delivery", 0)  # arrives late, happened earlier
    w.run(minutes=6)
    late = w.one(flow="out_for_delivery", channel=Channel.EMAIL)
    assert late.status is MessageStatus.SUPPRESSED and late.reason.startswith("stale")
    assert [e.subject.split(":")[0] for e in w.email.sent] == ["Delivered"]


def test_urgent_goes_at_night_the_rest_waits_for_morning() -> None:
    w = World()
    w.clock.current = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 23:00 in New York
    w.scan("out_for_delivery", minutes=11 * 60)
    w.event(
        "ShipmentStatusChanged",
        status_changed(w.shipment, "exception", w.clock.now(), sub="weather"),
    )
    delayed = w.one(flow="delayed", channel=Channel.EMAIL)
    assert delayed.status is MessageStatus.QUEUED
    assert delayed.send_after == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 08:00 local
    assert "quiet hours in America/New_York" in delayed.reason


def test_quiet_hours_use_the_orders_zone_then_the_merchants() -> None:
    w = World(prefs={"collapse_seconds": 0})
    w.clock.current = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 05:00 in Berlin, 23:00 NY
    w.order.timezone = "Europe/Berlin"
    w.scan("delivered", 0, frm="out_for_delivery")
    m = w.one(flow="delivered", channel=Channel.EMAIL)
    assert m.send_after == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00 Berlin
    w.order.timezone = None
    w.event(
        "ShipmentStatusChanged",
        status_changed(w.shipment, "exception", w.clock.now(), frm="delivered", sub="damaged"),
    )
    assert w.one(flow="exception", channel=Channel.EMAIL).send_after == datetime(
        2026, 11, 25, 13, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("order_kw", "channel", "status", "reason"),
    [
        ({"email": None}, Channel.EMAIL, MessageStatus.SUPPRESSED, "no email address on the order"),
        ({"email": "not-an-address"}, Channel.EMAIL, MessageStatus.FAILED, "invalid email address"),
        ({"phone": None}, Channel.SMS, MessageStatus.SUPPRESSED, "no phone number on the order"),
        ({"phone": "12"}, Channel.SMS, MessageStatus.FAILED, "invalid phone number"),
    ],
)
def test_missing_or_invalid_addresses_are_recorded_not_raised(
    order_kw: dict[str, Any], channel: Channel, status: MessageStatus, reason: str
) -> None:
    w = World()
    o = w.add_order(**order_kw)
    s = w.add_shipment(o)
    w.event("ShipmentStatusChanged", status_changed(s, "out_for_delivery", NOON_NY))
    m = w.one(shipment_id=s.id, channel=channel)
    assert m.status is status and reason in m.reason


def test_a_broken_template_fails_that_message_only() -> None:
    class Broken:
        real = JinjaRenderer()

        def render(self, ctx: MessageContext) -> Rendered:
            if ctx.channel is Channel.SMS:
                raise RenderError("flows/out_for_delivery/sms.txt: unexpected '}'")
            return self.real.render(ctx)

    w = World(renderer=Broken())
    w.scan("out_for_delivery")
    w.run()
    sms = w.one(flow="out_for_delivery", channel=Channel.SMS)
    assert sms.status is MessageStatus.FAILED and sms.reason.startswith("template error")
    assert w.one(flow="out_for_delivery", channel=Channel.EMAIL).status is MessageStatus.SENT


def test_opt_out_is_honoured_even_for_already_queued_messages() -> None:
    w = World()
    w.scan("delivered", frm="out_for_delivery")
    queued = w.one(flow="delivered", channel=Channel.EMAIL)
    assert queued.status is MessageStatus.QUEUED and queued.unsubscribe_token
    info = w.svc.set_subscription(queued.unsubscribe_token, subscribed=False)
    assert info.opted_out and info.address == "a**@example.com"
    w.run(minutes=10)
    after = w.one(flow="delivered", channel=Channel.EMAIL)
    assert after.status is MessageStatus.SUPPRESSED and "opted out" in after.reason
    assert w.email.sent == []
    w.scan("exception", 60, frm="delivered", sub="damaged")
    later = w.one(flow="exception", channel=Channel.EMAIL)
    assert later.status is MessageStatus.SUPPRESSED and "opted out of email" in later.reason


def test_cancelling_an_order_suppresses_what_is_still_queued() -> None:
    w = World()
    w.scan("exception", sub="weather")
    w.order.status = OrderStatus.CANCELLED
    w.event(
        "OrderCancelled",
        {
            "merchant_id": w.merchant.id,
            "order_id": w.order.id,
            "reason": None,
            "cancelled_at": NOON_NY.isoformat(),
        },
    )
    m = w.one(flow="delayed", channel=Channel.EMAIL)
    assert m.status is MessageStatus.SUPPRESSED and m.reason == "order was cancelled"


def test_old_events_are_recorded_but_not_sent() -> None:
    w = World()
    w.scan("delivered", minutes=-4 * 24 * 60, frm="out_for_delivery")
    m = w.one(flow="delivered", channel=Channel.EMAIL)
    assert m.status is MessageStatus.SUPPRESSED and "no longer news" in m.reason


def test_transient_errors_retry_with_backoff_then_give_up_after_24h() -> None:
    w = World()
    w.email.failure = DeliveryError(
        "SMTP unavailable: ConnectionRefusedError", permanent=False, connection=True
    )
    w.scan("out_for_delivery")
    w.run()
    m = w.one(flow="out_for_delivery", channel=Channel.EMAIL)
    assert m.status is MessageStatus.QUEUED and m.attempts == 1
    assert m.next_attempt_at == NOON_NY + timedelta(seconds=30) and "ConnectionRefused" in m.reason
    for _ in range(60):
        w.run(minutes=30)
    m = w.one(flow="out_for_delivery", channel=Channel.EMAIL)
    assert m.status is MessageStatus.FAILED and m.reason.startswith("gave up after")
    assert w.one(flow="out_for_delivery", channel=Channel.SMS).status is MessageStatus.SENT


def test_recovery_after_transient_errors_sends_exactly_once() -> None:
    w = World()
    w.email.failure = DeliveryError("down", permanent=False, connection=True)
    w.scan("out_for_delivery")
    w.run()
    w.run(minutes=1)
    w.email.failure = None
    for _ in range(5):
        w.run(minutes=5)
    assert len(w.email.sent) == 1
    m = w.one(flow="out_for_delivery", channel=Channel.EMAIL)
    assert m.status is MessageStatus.SENT and m.attempts >= 2


def test_permanent_provider_errors_fail_and_stop_opts_out() -> None:
    w = World()
    w.sms.failure = DeliveryError(
        "Twilio 400 (code 21610): unsubscribed", permanent=True, opt_out=True
    )
    w.scan("out_for_delivery")
    w.run()
    m = w.one(flow="out_for_delivery", channel=Channel.SMS)
    assert m.status is MessageStatus.FAILED and "21610" in m.reason
    assert (w.merchant.id, "sms", "+15555550123") in w.state.optouts


def test_switching_a_flow_off_per_channel() -> None:
    w = World(prefs={"flows": {"out_for_delivery": {"sms": False}, "delivered": {"sms": True}}})
    w.scan("out_for_delivery")
    assert w.one(flow="out_for_delivery", channel=Channel.SMS).status is MessageStatus.SUPPRESSED
    w.scan("delivered", 5, frm="out_for_delivery")
    assert w.one(flow="delivered", channel=Channel.SMS).status is MessageStatus.QUEUED


def test_webhooks_fan_out_once_per_endpoint_and_replay_keeps_the_event_id() -> None:
    w = World()
    ep = w.svc.create_endpoint(
        w.merchant.id, "https://hooks.example/pp", ["shipment.status_changed"]
    )
    w.svc.create_endpoint(w.merchant.id, "https://hooks.example/orders", ["order.placed"])
    w.scan("out_for_delivery")
    w.svc.handle(
        w.event_id, "ShipmentStatusChanged", status_changed(w.shipment, "out_for_delivery", NOON_NY)
    )
    w.run()
    [posted] = w.hooks.posted
    assert posted.url == ep.url and posted.event_type == "shipment.status_changed"
    [d] = w.state.deliveries.values()
    assert d.status is MessageStatus.SENT
    again = w.svc.replay_delivery(w.merchant.id, d.id)
    w.run()
    assert len(w.hooks.posted) == 2 and w.hooks.posted[1].body == posted.body
    assert again.event_id == d.event_id and again.replay_of == d.id


def test_webhook_failures_retry_for_a_day() -> None:
    w = World()
    w.hooks.status = 500
    w.svc.create_endpoint(w.merchant.id, "https://hooks.example/pp", ["*"])
    w.scan("delivered", frm="out_for_delivery")
    for _ in range(40):
        w.run(minutes=60)
    [d] = w.state.deliveries.values()
    assert d.status is MessageStatus.FAILED and d.reason.startswith("gave up")
    assert d.last_status_code == 500 and 5 < d.attempts < 40


def test_exceptions_are_digested_for_ops() -> None:
    w = World()
    w.scan("exception", sub="lost")
    other = w.add_shipment(w.order, tracking_number="1ZOTHER")
    w.event(
        "ShipmentException",
        {
            "merchant_id": w.merchant.id,
            "order_id": w.order.id,
            "shipment_id": other.id,
            "substatus": "damaged",
            "occurred_at": NOON_NY.isoformat(),
        },
    )
    w.event(
        "ShipmentException",
        {
            "merchant_id": w.merchant.id,
            "order_id": w.order.id,
            "shipment_id": w.shipment.id,
            "substatus": "lost",
            "occurred_at": NOON_NY.isoformat(),
        },
    )
    assert [r[0] for r in w.state.scheduled].count(DIGEST_DUE) == 1
    w.run(minutes=16)
    [(urls, title, body)] = w.ops.sent
    assert urls == ("json://ops",) and "2 new shipment exception" in title
    assert "1ZOTHER" in body and "lost" in body


def test_preferences_update_is_validated_and_stored() -> None:
    w = World()
    prefs = w.svc.update_preferences(
        w.merchant.id, {"quiet_hours": "22:00-07:30"}, {"primary_color": "#112233"}
    )
    assert prefs.quiet_hours is not None and prefs.quiet_hours.as_dict() == {
        "start": "22:00",
        "end": "07:30",
    }
    assert w.merchant.settings["branding"] == {"primary_color": "#112233"}
    from postpurchase.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        w.svc.update_preferences(w.merchant.id, {"flows": {"teleported": {"email": True}}})
    assert isinstance(w.svc.preferences(w.merchant), Preferences)
