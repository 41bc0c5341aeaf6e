"""A merchant with a delivered order, and an API client holding its key (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.money import Money
from postpurchase.domain.orders import LineFacts, OrderLineInput
from postpurchase.domain.status import ShipmentStatus
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, ref, scan, ups_number
from tests.fakes import FakeClock

DELIVERED_HOURS = 44  # T0 + 44 h: 2026-11-03 05:00 UTC


@dataclass
class Shop:
    platform: Platform
    clock: FakeClock
    merchant_id: str
    key: str
    client: TestClient

    def delivered_order(self, country: str = "US", **kw: Any) -> Any:
        """An order with a mug (2 units, taxed, discounted) and a tee, delivered."""
        usd = kw.pop("currency", "USD")
        lines = kw.pop(
            "lines",
            (
                OrderLineInput(
                    "MUG-1", "Stoneware mug", 2, Money(Decimal("12.50"), usd), 400,
                    LineFacts(discount=Money(Decimal("2.50"), usd),
                              tax=Money(Decimal("1.80"), usd)),
                ),
                OrderLineInput("TEE-M", "T-shirt", 1, Money(Decimal("20.00"), usd), 200),
            ),
        )  # fmt: skip
        bus = self.platform.bus()
        order = bus.handle(
            place_order(
                self.merchant_id, currency=usd, lines=lines,
                shipping_address=Address(country, "10115" if country != "US" else "10001"),
                **kw,
            )
        )  # fmt: skip
        self.platform.bus().handle(
            commands.CreateShipment(
                self.merchant_id, order.id, ups_number(),
                events=(scan(1, ShipmentStatus.IN_TRANSIT),
                        scan(DELIVERED_HOURS, ShipmentStatus.DELIVERED)),
            )
        )  # fmt: skip
        with self.platform.uow() as uow:
            return uow.orders.get(self.merchant_id, order.id)


def make_shop(engine: Any, clock: FakeClock) -> Iterator[Shop]:
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant, key, _ = handlers.create_merchant(platform.uow(), clock, "Returns " + ref())
    with TestClient(create_app(platform)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield Shop(platform, clock, merchant.id, key, client)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(days=5))


@pytest.fixture
def shop(engine: Any, clock: FakeClock) -> Iterator[Shop]:
    yield from make_shop(engine, clock)


@pytest.fixture
def other_shop(engine: Any, clock: FakeClock) -> Iterator[Shop]:
    yield from make_shop(engine, clock)
