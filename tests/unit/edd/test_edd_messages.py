"""Messages never state a stale date (issue 16): no "arriving today" from a scan of
another day, no estimate already past, and the page's order of sources. Fixed clocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.notify_support import status_changed
from tests.unit.notifications.test_notify_service import World

from postpurchase.domain.notifications import Channel, MessageStatus
from postpurchase.domain.orders import OurPromise, Promise
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer.edd_serving import delivery_date, out_for_delivery_today

NY = ZoneInfo("America/New_York")
FRIDAY_0837 = datetime(2026, 11, 27, 13, 37, tzinfo=UTC)  # Friday 08:37 in New York


def test_out_for_delivery_on_friday_is_not_arriving_today_on_sunday() -> None:
    w = World()
    w.clock.current = FRIDAY_0837 + timedelta(days=2, hours=2)  # Sunday 10:37, under 72 h
    w.shipment.state = replace(
        w.shipment.state, status=ShipmentStatus.OUT_FOR_DELIVERY, status_at=FRIDAY_0837
    )
    w.event("ShipmentStatusChanged", status_changed(w.shipment, "out_for_delivery", FRIDAY_0837))
    w.run()
    assert not any("today" in e.subject.lower() for e in w.email.sent)
    m = w.one(flow="out_for_delivery", channel=Channel.EMAIL)
    assert m.status is MessageStatus.SUPPRESSED
    assert "out for delivery on 2026-11-27" in m.reason


def test_out_for_delivery_today_is_about_the_send_day_in_the_shoppers_zone() -> None:
    assert out_for_delivery_today(FRIDAY_0837, FRIDAY_0837 + timedelta(hours=3), NY)
    late_evening = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)  # Friday 21:30 in New York
    assert out_for_delivery_today(FRIDAY_0837, late_evening, NY)
    assert not out_for_delivery_today(FRIDAY_0837, late_evening + timedelta(hours=11), NY)


def test_a_message_never_states_a_date_already_past() -> None:
    w = World()
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=NY)
    order = replace(
        w.order,
        promise=Promise(date(2026, 11, 27)),
        our_promise=OurPromise(date(2026, 12, 2), date(2026, 11, 30), 0.95, "rules", "rules/v1"),
    )
    state = replace(w.shipment.state, carrier_estimate=date(2026, 11, 28))
    ship = replace(w.shipment, state=state)
    assert delivery_date(order, ship, sunday, None) is None  # the carrier's date passed
    fresh = replace(ship, state=replace(state, carrier_estimate=date(2026, 12, 1)))
    assert delivery_date(order, fresh, sunday, None) == date(2026, 12, 1)
    no_carrier = replace(ship, state=replace(state, carrier_estimate=None))
    store_first = delivery_date(order, no_carrier, sunday, None)
    assert store_first is None  # the store's promise (Friday) passed: nothing stale
    ours = replace(order, promise=None)
    assert delivery_date(ours, no_carrier, sunday, None) == date(2026, 12, 2)
