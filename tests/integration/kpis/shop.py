"""A merchant with an API client, and parcels placed, shipped and delivered as told (both
backends). Shared by the KPI, support-contact and survey tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from tests.factories import T0, place_order, ref, ups_number
from tests.fakes import FakeClock

from postpurchase.adapters.db.kpis import facts
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.orders import Promise
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers


@dataclass
class Shop:
    platform: Platform
    clock: FakeClock
    merchant_id: str
    slug: str
    key: str
    client: TestClient

    def parcel(
        self,
        *,
        promise: date | None = None,
        delivered_hours: float | None = None,
        placed_at: datetime = T0,
        email: str | None = None,
        service: str = "ground",
        origin: Address | None = None,
        exception_hours: float | None = None,
        estimate: date | None = None,
        status_hours: tuple[tuple[float, ShipmentStatus], ...] = (),
        destination: Address | None = None,
        cancelled: bool = False,
        number: str | None = None,
    ) -> tuple[str, str]:
        """An order placed at ``placed_at`` and a UPS parcel: label 2 h later, picked up at
        +6 h, delivered ``delivered_hours`` after the order (if given)."""
        kw: dict[str, Any] = {
            "placed_at": placed_at,
            "promise": Promise(promise) if promise else None,
        }
        if email:
            kw["email"] = email
        if number:
            kw["number"] = number
        if destination is not None:
            kw["shipping_address"] = destination
        if cancelled:
            kw["cancelled_at"] = placed_at + timedelta(hours=1)
        order = self.platform.bus().handle(place_order(self.merchant_id, **kw))
        if cancelled:
            return order.id, ""
        at = placed_at

        def ev(h: float, s: ShipmentStatus, **extra: Any) -> TrackingEvent:
            return TrackingEvent(occurred_at=at + timedelta(hours=h), status=s, **extra)

        events = [ev(6, ShipmentStatus.IN_TRANSIT, estimated_delivery=estimate)]
        events += [ev(h, s) for h, s in status_hours]
        if exception_hours is not None:
            events.append(ev(exception_hours, ShipmentStatus.EXCEPTION))
        if delivered_hours is not None:
            events.append(ev(delivered_hours, ShipmentStatus.DELIVERED))
        number = ups_number()
        self.platform.bus().handle(
            commands.CreateShipment(
                self.merchant_id, order.id, number, carrier="ups", service=service,
                origin=origin or Address("US", "94103", "CA"),
                created_at=at + timedelta(hours=2), events=tuple(events),
            )
        )  # fmt: skip
        return order.id, number

    def refresh(self) -> int:
        with self.platform.engine.connect() as conn:
            return facts.refresh_all(conn, self.clock.now(), self.merchant_id)


def make_shop(engine: Any, clock: FakeClock) -> Iterator[Shop]:
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    slug = "kpi-" + ref()
    merchant, key, _ = handlers.create_merchant(platform.uow(), clock, "KPIs " + slug, slug=slug)
    with TestClient(create_app(platform)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield Shop(platform, clock, merchant.id, merchant.slug, key, client)
