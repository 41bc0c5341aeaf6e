"""Builders for test data, with random ids so tests never collide (no table truncation)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.carrier_detection import example_number
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def ref(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def ups_number(seed: int | None = None) -> str:
    return example_number("ups", random.Random(seed), fmt="ups_1z")


def place_order(merchant_id: str, **kw: Any) -> commands.PlaceOrder:
    currency = kw.pop("currency", "USD")
    lines = kw.pop(
        "lines",
        (
            OrderLineInput("MUG-1", "Mug", 2, Money(Decimal("12.50"), currency), 400),
            OrderLineInput("TEE-M", "T-shirt", 1, Money(Decimal("20.00"), currency), 200),
        ),
    )
    defaults: dict[str, Any] = {
        "external_id": ref("ext-"),
        "number": "#" + ref(),
        "email": f"{ref()}@example.com",
        "phone": None,
        "customer_name": "Ada Lovelace",
        "locale": "en",
        "currency": currency,
        "lines": lines,
        "shipping_address": Address("US", "10001", "NY", "New York", "1 Main St"),
        "shipping_fee": Money(Decimal("5.00"), currency),
        "placed_at": T0,
    }
    defaults.update(kw)
    return commands.PlaceOrder(merchant_id=merchant_id, **defaults)


def scan(hours: float, status: ShipmentStatus, **kw: Any) -> TrackingEvent:
    return TrackingEvent(occurred_at=T0 + timedelta(hours=hours), status=status, **kw)


def normalised_event(number: str, hours: float, status: str, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tracking_number": number,
        "occurred_at": (T0 + timedelta(hours=hours)).isoformat(),
        "status": status,
    }
    body.update(kw)
    return body
