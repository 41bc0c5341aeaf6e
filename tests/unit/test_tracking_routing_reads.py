"""Routing a tracking update to its shipment, with in-memory fakes: a scan without a carrier
is read as a scan of the shipment's carrier, and what a source says of the parcel (service,
tracking page) fills what the shipment lacks; in both ingestion modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postpurchase.adapters.tracking_sources import normalised
from postpurchase.domain import commands
from postpurchase.domain.shipments import Shipment, ShipmentRef
from postpurchase.domain.status import ShipmentStatus
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, scan, ups_number
from tests.fakes import FakeClock, FakeUnitOfWork

NOW = T0 + timedelta(days=2)


@pytest.fixture
def env():
    uow, clock = FakeUnitOfWork(), FakeClock(NOW)
    merchant, *_ = handlers.create_merchant(uow, clock, "Routing Mugs")
    order = handlers.place_order(place_order(merchant.id), uow, clock)
    return uow, clock, merchant.id, order.id


def _ingest(mode: str, uow, clock, merchant_id: str, updates) -> list[dict]:
    cmd = commands.RecordTracking(merchant_id, tuple(updates))
    if mode == "inline":
        return handlers.record_tracking(cmd, uow, clock)
    results = handlers.accept_tracking(cmd, uow, clock)
    handlers.fold_tracking(commands.FoldTracking("*"), uow, clock)
    return results


def _batch(number: str, *codes: str) -> tuple[commands.TrackingUpdate, ...]:
    events = [
        {
            "tracking_number": number,
            "occurred_at": (T0 + timedelta(hours=h + 1)).isoformat(),
            "code": code,
        }
        for h, code in enumerate(codes)
    ]
    return normalised.parse_batch({"events": events}, now=NOW).updates


@pytest.mark.parametrize("mode", ["inline", "deferred"])
def test_a_scan_without_carrier_uses_the_shipments_carrier(env, mode: str) -> None:
    uow, clock, m, order_id = env
    number = ups_number()
    sid = handlers.create_shipment(
        commands.CreateShipment(m, order_id, number, carrier="ups"), uow, clock
    ).id
    results = _ingest(mode, uow, clock, m, _batch(number, "OR", "OT"))
    assert [(r["result"], r["new_events"]) for r in results] == [("accepted", 2)]
    s = uow.shipments.items[sid]
    assert s.status is ShipmentStatus.OUT_FOR_DELIVERY
    assert s.state.handed_over_at == T0 + timedelta(hours=1)
    assert all(e.recognised for e in uow.tracking.history([sid])[sid])
    assert not uow.counters.unrecognised
    # the same scans again are duplicates: read the same way, they are the same scans
    again = _ingest(mode, uow, clock, m, _batch(number, "OR", "OT"))
    assert [(r["new_events"], r["duplicates"]) for r in again] == [(0, 2)]


@pytest.mark.parametrize("mode", ["inline", "deferred"])
def test_a_code_no_table_knows_is_still_counted(env, mode: str) -> None:
    uow, clock, m, order_id = env
    number = ups_number()
    handlers.create_shipment(
        commands.CreateShipment(m, order_id, number, carrier="ups"), uow, clock
    )
    _ingest(mode, uow, clock, m, _batch(number, "ZZ9"))
    assert list(uow.counters.unrecognised.values()) == [1]


@pytest.mark.parametrize("mode", ["inline", "deferred"])
def test_service_and_tracking_page_fill_only_what_is_missing(env, mode: str) -> None:
    uow, clock, m, order_id = env
    known, unknown = ups_number(), ups_number()
    store_page = "https://store.example/track/1"
    handlers.create_shipment(
        commands.CreateShipment(
            m, order_id, known, carrier="ups", service="ground", tracking_url=store_page
        ),
        uow,
        clock,
    )
    handlers.create_shipment(
        commands.CreateShipment(m, order_id, unknown, carrier="ups"), uow, clock
    )
    updates = [
        commands.TrackingUpdate(
            n,
            "ups",
            (scan(1, ShipmentStatus.IN_TRANSIT),),
            service="UPS_GROUND_SAVER",
            tracking_url=f"https://carrier.example/{n}",
        )
        for n in (known, unknown)
    ]
    _ingest(mode, uow, clock, m, updates)
    by_number = {s.tracking_number: s for s in uow.shipments.items.values()}
    assert (by_number[known].service, by_number[known].tracking_url) == ("ground", store_page)
    assert (by_number[unknown].service, by_number[unknown].tracking_url) == (
        "UPS_GROUND_SAVER",
        f"https://carrier.example/{unknown}",
    )


def test_learn_never_overwrites() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    s = Shipment("s1", "m", "o", "1Z", "ups", True, at)
    assert s.learn("GROUND", None) is True
    assert s.learn("AIR", "https://x.example/1") is True
    assert (s.service, s.tracking_url) == ("GROUND", "https://x.example/1")
    assert s.learn("AIR", "https://x.example/2") is False
    ref = ShipmentRef("s1", "1Z", "ups", at, service="GROUND", tracking_url=None)
    assert ref.would_learn("AIR", None) is False
    assert ref.would_learn(None, "https://x.example/1") is True


def test_a_generic_code_needs_no_reading(env) -> None:
    uow, clock, m, order_id = env
    number = ups_number()
    sid = handlers.create_shipment(
        commands.CreateShipment(m, order_id, number, carrier="ups"), uow, clock
    ).id
    # a generic code reads the same for every carrier: recognised without any reading
    (update,) = _batch(number, "OUT_FOR_DELIVERY")
    assert update.readings == ()
    handlers.record_tracking(commands.RecordTracking(m, (update,)), uow, clock)
    s = uow.shipments.items[sid]
    assert (s.status, s.substatus) == (ShipmentStatus.OUT_FOR_DELIVERY, None)
