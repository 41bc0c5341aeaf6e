"""Handlers through the bus, with in-memory fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from postpurchase.bootstrap import _inject
from postpurchase.domain import commands
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.service_layer import handlers
from postpurchase.service_layer.messagebus import MessageBus
from tests.factories import T0, place_order, scan, ups_number
from tests.fakes import FakeClock, FakeUnitOfWork


@pytest.fixture
def env():
    uow, clock = FakeUnitOfWork(), FakeClock(T0 + timedelta(days=1))
    policy = handlers.SweepPolicy(no_scan_days={"ups": 3})
    deps = {"uow": uow, "clock": clock, "policy": policy}
    bus = MessageBus(
        uow,
        {},
        {k: _inject(h, deps) for k, h in handlers.COMMAND_HANDLERS.items()},
    )
    merchant, _key, *_ = handlers.create_merchant(uow, clock, "Acme Mugs")
    return bus, uow, clock, merchant.id


def test_place_order_is_idempotent_by_external_id(env) -> None:
    bus, uow, _, m = env
    cmd = place_order(m)
    first = bus.handle(cmd)
    again = bus.handle(cmd)
    assert first.created and not again.created and first.id == again.id
    assert len(uow.orders.items) == 1
    assert [type(e).__name__ for e in uow.outbox] == ["OrderPlaced"]


def test_shipment_flow_moves_order_status(env) -> None:
    bus, uow, _, m = env
    order = bus.handle(place_order(m))
    n1, n2 = ups_number(1), ups_number(2)
    s1 = bus.handle(
        commands.CreateShipment(m, order.id, n1, lines=(commands.ShipmentLineInput("MUG-1", 2),))
    )
    assert uow.orders.items[order.id].status is OrderStatus.PARTIALLY_SHIPPED
    bus.handle(
        commands.CreateShipment(m, order.id, n2, lines=(commands.ShipmentLineInput("TEE-M", 1),))
    )
    assert uow.orders.items[order.id].status is OrderStatus.SHIPPED
    results = bus.handle(
        commands.RecordTracking(
            m,
            (
                commands.TrackingUpdate(n1, "ups", (scan(1, ShipmentStatus.IN_TRANSIT),
                                                    scan(30, ShipmentStatus.DELIVERED))),
                commands.TrackingUpdate("1ZNOSUCH", None, (scan(1, ShipmentStatus.IN_TRANSIT),)),
            ),
        )
    )  # fmt: skip
    assert [r["result"] for r in results] == ["accepted", "unknown_tracking_number"]
    assert uow.shipments.items[s1.id].status is ShipmentStatus.DELIVERED
    assert uow.orders.items[order.id].status is OrderStatus.PARTIALLY_DELIVERED
    topics = [type(e).__name__ for e in uow.outbox]
    assert "ShipmentDelivered" in topics and "OrderStatusChanged" in topics


def test_same_scans_twice_change_nothing(env) -> None:
    bus, uow, _, m = env
    order = bus.handle(place_order(m))
    n = ups_number(3)
    bus.handle(commands.CreateShipment(m, order.id, n))
    batch = commands.RecordTracking(
        m, (commands.TrackingUpdate(n, "ups", (scan(1, ShipmentStatus.IN_TRANSIT),)),)
    )
    first = bus.handle(batch)
    outbox_size = len(uow.outbox)
    second = bus.handle(batch)
    assert first[0]["new_events"] == 1
    assert second[0] == {**first[0], "new_events": 0, "duplicates": 1}
    assert len(uow.outbox) == outbox_size


def test_shipment_validation(env) -> None:
    bus, _, _, m = env
    order = bus.handle(place_order(m))
    with pytest.raises(InvalidInput) as err:
        bus.handle(
            commands.CreateShipment(
                m, order.id, ups_number(4), lines=(commands.ShipmentLineInput("MUG-1", 3),)
            )
        )
    assert err.value.field == "lines[0].quantity"
    with pytest.raises(InvalidInput) as err:
        bus.handle(
            commands.CreateShipment(
                m, order.id, ups_number(4), lines=(commands.ShipmentLineInput("NOPE", 1),)
            )
        )
    assert err.value.field == "lines[0].sku"
    with pytest.raises(NotFound):
        bus.handle(commands.CreateShipment(m, "missing", ups_number(4)))


def test_invalid_tracking_number_is_stored_and_flagged(env) -> None:
    bus, uow, _, m = env
    order = bus.handle(place_order(m))
    created = bus.handle(commands.CreateShipment(m, order.id, "NOT-A-NUMBER-42"))
    s = uow.shipments.items[created.id]
    assert s.tracking_valid is False
    assert any(type(e).__name__ == "TrackingNumberInvalid" for e in uow.outbox)


def test_tenants_are_isolated(env) -> None:
    bus, uow, clock, m = env
    other, _, *_ = handlers.create_merchant(uow, clock, "Other Shop")
    order = bus.handle(place_order(m))
    with pytest.raises(NotFound):
        bus.handle(commands.CancelOrder(other.id, order.id))
    with pytest.raises(NotFound):
        bus.handle(commands.CreateShipment(other.id, order.id, ups_number(5)))
    n = ups_number(6)
    bus.handle(commands.CreateShipment(m, order.id, n))
    res = bus.handle(
        commands.RecordTracking(
            other.id, (commands.TrackingUpdate(n, None, (scan(1, ShipmentStatus.DELIVERED),)),)
        )
    )
    assert res[0]["result"] == "unknown_tracking_number"


def test_cancel_then_ship_is_refused(env) -> None:
    bus, _, _, m = env
    order = bus.handle(place_order(m))
    bus.handle(commands.CancelOrder(m, order.id, "fraud"))
    with pytest.raises(Conflict):
        bus.handle(commands.CreateShipment(m, order.id, ups_number(7)))


def test_sweep_flags_quiet_shipments_per_carrier(env) -> None:
    bus, uow, _clock, m = env
    order = bus.handle(place_order(m))
    n = ups_number(8)
    sid = bus.handle(commands.CreateShipment(m, order.id, n)).id
    bus.handle(
        commands.RecordTracking(
            m, (commands.TrackingUpdate(n, "ups", (scan(1, ShipmentStatus.IN_TRANSIT),)),)
        )
    )
    flagged = bus.handle(commands.SweepStaleShipments(m, T0 + timedelta(days=2)))
    assert flagged == 0
    flagged = bus.handle(commands.SweepStaleShipments(m, T0 + timedelta(days=4)))
    assert flagged == 1
    s = uow.shipments.items[sid]
    assert (s.status, s.substatus) == (ShipmentStatus.EXCEPTION, "delayed")
    assert uow.orders.items[order.id].status is OrderStatus.EXCEPTION
    assert any(type(e).__name__ == "ShipmentDelayed" for e in uow.outbox)
    assert bus.handle(commands.SweepStaleShipments(m, T0 + timedelta(days=31))) == 1
    assert uow.shipments.items[sid].status is ShipmentStatus.EXPIRED


def test_a_number_pasted_with_words_around_it_is_stored_as_the_number() -> None:
    uow, clock = FakeUnitOfWork(), FakeClock()
    merchant, *_ = handlers.create_merchant(uow, clock, "Paste Shop")
    created = handlers.place_order(place_order(merchant.id), uow, clock)
    shipment = handlers.create_shipment(
        commands.CreateShipment(
            merchant.id, created.id, "Tracking #: 1z999aa10123456784 (UPS)", carrier=None
        ),
        uow,
        clock,
    )
    stored = uow.shipments.get(merchant.id, shipment.id)
    assert stored is not None
    assert (stored.tracking_number, stored.carrier, stored.tracking_valid) == (
        "1Z999AA10123456784", "ups", True,
    )  # fmt: skip
