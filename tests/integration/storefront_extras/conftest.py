"""A merchant with a synced catalogue and an order history, an API client holding its key,
and a second merchant holding the same SKUs (both backends), for recommendations and the
automatic remedy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput, Promise
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.storefronts.catalogue import Product, Variant
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, ref, scan, ups_number
from tests.fakes import FakeClock

# SKU -> (store product id, title, collections, stock)
CATALOGUE: dict[str, tuple[str, str, tuple[str, ...], int | None]] = {
    "BOOT-42": ("1001", "Trail boot", ("shoes",), 5),
    "LACE-1": ("1002", "Waxed laces", ("shoes", "care"), None),
    "SOCK-W": ("1003", "Wool socks", ("socks",), 12),
    "WAX-1": ("1004", "Leather wax", ("care",), 0),  # out of stock
    "HAT-1": ("1005", "Beanie", ("hats",), 3),
}


def line(sku: str, qty: int = 1, price: str = "10.00") -> OrderLineInput:
    return OrderLineInput(sku, CATALOGUE.get(sku, (sku, sku))[1], qty, Money(Decimal(price), "EUR"))


@dataclass
class Shop:
    platform: Platform
    clock: FakeClock
    merchant_id: str
    key: str
    client: TestClient

    def order(self, *skus: str, email: str | None = None, **kw: Any) -> Any:
        bus = self.platform.bus()
        return bus.handle(
            place_order(
                self.merchant_id, currency="EUR",
                lines=kw.pop("lines", tuple(line(s) for s in skus)),
                shipping_fee=Money(Decimal("4.90"), "EUR"),
                email=email or f"{ref()}@example.com", **kw,
            )
        )  # fmt: skip

    def deliver(self, order_id: str, hours: float) -> None:
        self.platform.bus().handle(
            commands.CreateShipment(
                self.merchant_id, order_id, ups_number(),
                events=(scan(1, ShipmentStatus.IN_TRANSIT), scan(hours, ShipmentStatus.DELIVERED)),
            )
        )  # fmt: skip

    def sync_catalogue(self, platform: str = "shopify") -> None:
        with self.platform.uow() as uow:
            for sku, (pid, title, cols, stock) in CATALOGUE.items():
                variant = Variant(
                    f"v{pid}", title, sku=sku, price_amount=Decimal("19.90"), currency="EUR",
                    inventory_policy="deny", inventory_quantity=stock,
                )  # fmt: skip
                handle = title.lower().replace(" ", "-")
                product = Product(
                    platform, pid, title, (variant,), handle=handle, status="active",
                    collections=cols, image_url=f"https://cdn.example/{pid}.jpg",
                )  # fmt: skip
                uow.catalogue.upsert(self.merchant_id, product, self.clock.now())
            uow.commit()

    def late_order(self, *skus: str, promised: date, delivered_hours: float, **kw: Any) -> Any:
        order = self.order(*skus, promise=Promise(promised), **kw)
        self.deliver(order.id, delivered_hours)
        return order


def make_shop(engine: Any, clock: FakeClock) -> Iterator[Shop]:
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    merchant, key, _ = handlers.create_merchant(platform.uow(), clock, "Storefront " + ref())
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


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)
