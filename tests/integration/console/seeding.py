"""Orders and shipments in every state the console's pages show, for one store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from postpurchase.domain import commands
from postpurchase.domain.money import Money
from postpurchase.domain.orders import Promise
from postpurchase.domain.status import ShipmentStatus
from tests.factories import place_order, ref, scan, ups_number


@dataclass
class Seeded:
    order_id: str
    number: str
    email: str
    shipment_id: str
    tracking_number: str


def seed(platform: Any, merchant_id: str, kind: str, *, name: str = "Ada Lovelace") -> Seeded:
    """One order with one shipment. ``kind``: on_time, late, quiet, failed, invalid, address,
    returned, damaged, delivered."""
    email = f"{ref()}@example.com"
    number = "#" + ref()
    promise = Promise(date(2026, 11, 20))  # the test clock is 2026-11-06
    if kind == "late":
        promise = Promise(date(2026, 11, 3))
    order = platform.bus().handle(
        place_order(merchant_id, email=email, number=number, customer_name=name,
                    promise=promise, shipping_fee=Money(Decimal("6.95"), "USD"))
    )  # fmt: skip
    recent = 110.0  # hours after T0: 2026-11-05 23:00, within a day of the clock
    events = {
        "on_time": [scan(1, ShipmentStatus.IN_TRANSIT), scan(recent, ShipmentStatus.IN_TRANSIT)],
        "late": [scan(recent, ShipmentStatus.IN_TRANSIT)],
        "quiet": [scan(-20, ShipmentStatus.IN_TRANSIT)],
        "failed": [scan(recent, ShipmentStatus.ATTEMPT_FAILED)],
        "invalid": [scan(recent, ShipmentStatus.IN_TRANSIT)],
        "address": [scan(recent, ShipmentStatus.EXCEPTION, substatus="address_issue")],
        "returned": [scan(recent, ShipmentStatus.EXCEPTION, substatus="returned_to_sender")],
        "damaged": [scan(recent, ShipmentStatus.EXCEPTION, substatus="damaged")],
        "delivered": [scan(recent, ShipmentStatus.DELIVERED)],
    }[kind]
    tracking = "1Z" + ref().upper()[:8] + "X" if kind == "invalid" else ups_number()
    created = platform.bus().handle(
        commands.CreateShipment(
            merchant_id, order.id, tracking, carrier="ups", events=tuple(events),
            created_at=events[0].occurred_at - timedelta(hours=1),
        )
    )  # fmt: skip
    with platform.uow() as uow:
        stored = uow.shipments.get(merchant_id, created.id)
        assert stored is not None
        tracking = stored.tracking_number
    return Seeded(order.id, number, email, created.id, tracking)
