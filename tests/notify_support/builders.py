"""Domain builders for the notification tests: a merchant, an order, a shipment and the
status-change payload, each with defaults a test overrides by keyword."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from postpurchase.domain.addresses import Address
from postpurchase.domain.ids import new_id, new_token
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.money import Money
from postpurchase.domain.orders import Order, OrderLine
from postpurchase.domain.shipments import Shipment


def merchant(**kw: Any) -> Merchant:
    defaults: dict[str, Any] = {
        "id": new_id(),
        "name": "Acme Goods",
        "slug": new_token(6).lower(),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "timezone": "America/New_York",
    }
    defaults.update(kw)
    return Merchant(**defaults)


def order(merchant_id: str, **kw: Any) -> Order:
    currency = kw.pop("currency", "USD")
    defaults: dict[str, Any] = {
        "id": new_id(),
        "merchant_id": merchant_id,
        "external_id": new_token(6),
        "number": "#1001",
        "customer_id": new_id(),
        "email": "ada@example.com",
        "phone": "+15555550123",
        "locale": "en",
        "currency": currency,
        "lines": [OrderLine(new_id(), "MUG", "Mug", 2, Money(Decimal("12.50"), currency))],
        "shipping_address": Address("US", "10001", "NY", "New York", "1 Main St", name="Ada"),
        "shipping_fee": Money(Decimal("5.00"), currency),
        "placed_at": datetime(2026, 11, 20, 15, tzinfo=UTC),
        "tracking_token": new_token(),
        "timezone": "America/New_York",
    }
    defaults.update(kw)
    return Order(**defaults)


def shipment(o: Order, **kw: Any) -> Shipment:
    defaults: dict[str, Any] = {
        "id": new_id(),
        "merchant_id": o.merchant_id,
        "order_id": o.id,
        "tracking_number": "1Z999AA10123456784",
        "carrier": "ups",
        "tracking_valid": True,
        "created_at": o.placed_at + timedelta(hours=20),
    }
    defaults.update(kw)
    return Shipment(**defaults)


def status_changed(
    s: Shipment, to: str, at: datetime, *, frm: str = "in_transit", sub: str | None = None
) -> dict[str, Any]:
    return {
        "merchant_id": s.merchant_id,
        "shipment_id": s.id,
        "order_id": s.order_id,
        "from_status": frm,
        "to_status": to,
        "from_substatus": None,
        "substatus": sub,
        "occurred_at": at.isoformat(),
    }
