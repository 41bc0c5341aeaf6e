"""The SQL adapters on real SQLite and PostgreSQL (each test runs on both in CI)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.migrate import pending_diff
from postpurchase.adapters.outbox import drain
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, scan, ups_number
from tests.fakes import FakeClock


@pytest.fixture
def platform(engine):
    return bootstrap(Settings(), engine=engine, clock=FakeClock(T0 + timedelta(days=1)))


@pytest.fixture
def merchant(platform):
    m, _, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ups_number()[-8:])
    return m


def test_migrations_match_the_tables(engine) -> None:
    assert pending_diff(engine) == []


def test_order_round_trip_keeps_money_exact_and_times_aware(platform, merchant) -> None:
    cmd = place_order(merchant.id, shipping_fee=Money(Decimal("0.10"), "USD"))
    created = platform.bus().handle(cmd)
    with platform.uow() as uow:
        order = uow.orders.get(merchant.id, created.id)
    assert order is not None
    assert order.shipping_fee == Money(Decimal("0.10"), "USD")
    assert order.lines[0].unit_price.amount == Decimal("12.50")
    assert order.placed_at == T0 and order.placed_at.tzinfo is not None
    assert order.total == Money(Decimal("45.10"), "USD")


def test_ingest_is_idempotent_and_order_independent(platform, merchant) -> None:
    order = platform.bus().handle(place_order(merchant.id))
    n = ups_number()
    sid = platform.bus().handle(commands.CreateShipment(merchant.id, order.id, n)).id
    scans = [
        scan(1, ShipmentStatus.INFO_RECEIVED),
        scan(5, ShipmentStatus.IN_TRANSIT, carrier_code="AR"),
        scan(40, ShipmentStatus.OUT_FOR_DELIVERY),
        scan(44, ShipmentStatus.DELIVERED),
    ]
    # delivered first, then the older scans late and twice
    for batch in ([scans[3]], [scans[1], scans[0]], scans, [scans[2]]):
        platform.bus().handle(
            commands.RecordTracking(merchant.id, (commands.TrackingUpdate(n, "ups", tuple(batch)),))
        )
    with platform.uow() as uow:
        s = uow.shipments.get(merchant.id, sid)
        history = uow.tracking.history([sid])[sid]
        order_after = uow.orders.get(merchant.id, order.id)
    assert s is not None and s.status is ShipmentStatus.DELIVERED
    assert s.state.delivered_at == scans[3].occurred_at
    assert s.state.handed_over_at == scans[1].occurred_at
    assert len(history) == 4
    assert order_after is not None and order_after.status is OrderStatus.DELIVERED


def test_events_reach_the_outbox_in_the_same_transaction(platform, merchant, engine) -> None:
    def count() -> int:
        with engine.connect() as c:
            return c.execute(
                select(func.count())
                .select_from(t.outbox)
                .where(t.outbox.c.merchant_id == merchant.id)
            ).scalar_one()

    before = count()
    platform.bus().handle(place_order(merchant.id))
    assert count() == before + 1
    # a failing command leaves neither the change nor its events behind
    bad = place_order(merchant.id, lines=place_order(merchant.id).lines * 2)  # duplicate skus
    with pytest.raises(InvalidInput):
        platform.bus().handle(bad)
    assert count() == before + 1


def test_outbox_drain_retries_failures_then_succeeds(platform, merchant, engine) -> None:
    platform.bus().handle(place_order(merchant.id))
    seen: list[int] = []
    failing = {"on": True}

    def subscriber(row_id: int, topic: str, payload: dict) -> None:
        if payload["merchant_id"] != merchant.id:
            return
        if failing["on"]:
            raise RuntimeError("smtp down")
        seen.append(row_id)

    clock = platform.clock
    drain(engine, {"OrderPlaced": [subscriber]}, now=clock.now)
    assert seen == []
    failing["on"] = False
    drain(engine, {"OrderPlaced": [subscriber]}, now=clock.now)
    assert seen == []  # backoff: not due yet
    clock.advance(minutes=5)
    drain(engine, {"OrderPlaced": [subscriber]}, now=clock.now)
    assert len(seen) == 1
    clock.advance(hours=2)
    drain(engine, {"OrderPlaced": [subscriber]}, now=clock.now)
    assert len(seen) == 1  # processed exactly once


def test_a_batch_subscriber_gets_its_rows_at_once_and_fails_them_one_by_one(
    platform, merchant, engine
) -> None:
    for _ in range(3):
        platform.bus().handle(place_order(merchant.id))
    batches: list[list[int]] = []
    singles: list[int] = []
    failing: set[int] = set()

    class Batched:
        def __call__(self, row_id: int, topic: str, payload: dict) -> None:
            raise AssertionError("the drain calls many() for a batch subscriber")

        def many(self, rows: list) -> dict[int, Exception]:
            mine = [r[0] for r in rows if r[2]["merchant_id"] == merchant.id]
            batches.append(mine)
            return {i: RuntimeError("down") for i in mine if i in failing}

    def single(row_id: int, topic: str, payload: dict) -> None:
        if payload["merchant_id"] == merchant.id:
            singles.append(row_id)

    subs = {"OrderPlaced": [Batched(), single]}
    clock = platform.clock
    with engine.connect() as conn:
        o = t.outbox.c
        ids = list(conn.scalars(select(o.id).where(o.merchant_id == merchant.id).order_by(o.id)))
    failing.add(ids[1])
    drain(engine, subs, now=clock.now)
    assert batches[-1] == ids  # all at once, in outbox order
    assert singles == [ids[0], ids[2]]  # a failed row goes no further, as with a plain one
    clock.advance(minutes=5)
    failing.clear()
    batches.clear()
    drain(engine, subs, now=clock.now)
    assert batches == [[ids[1]]] and singles[-1] == ids[1]  # only the failed row came back


def test_unrecognised_codes_are_counted(platform, merchant, engine) -> None:
    order = platform.bus().handle(place_order(merchant.id))
    n = ups_number()
    platform.bus().handle(commands.CreateShipment(merchant.id, order.id, n))
    odd = [scan(h, ShipmentStatus.IN_TRANSIT, recognised=False, carrier_code="Q7") for h in (1, 2)]
    platform.bus().handle(
        commands.RecordTracking(merchant.id, (commands.TrackingUpdate(n, "ups", tuple(odd)),))
    )
    with engine.connect() as c:
        row = c.execute(
            select(t.unrecognised_codes).where(t.unrecognised_codes.c.merchant_id == merchant.id)
        ).one()
    assert (row.code, row.count) == ("Q7", 2)


def test_sweep_across_tenants(platform, merchant) -> None:
    order = platform.bus().handle(place_order(merchant.id))
    n = ups_number()
    sid = platform.bus().handle(commands.CreateShipment(merchant.id, order.id, n)).id
    platform.bus().handle(
        commands.RecordTracking(
            merchant.id, (commands.TrackingUpdate(n, "ups", (scan(1, ShipmentStatus.IN_TRANSIT),)),)
        )
    )
    platform.bus().handle(commands.SweepStaleShipments(merchant.id, T0 + timedelta(days=10)))
    with platform.uow() as uow:
        s = uow.shipments.get(merchant.id, sid)
    assert s is not None and (s.status, s.substatus) == (ShipmentStatus.EXCEPTION, "delayed")


def test_webhook_receipts_are_first_time_once(platform, merchant) -> None:
    with platform.uow() as uow:
        assert uow.receipts.first_time(merchant.id, "shopify", "abc", T0)
        assert not uow.receipts.first_time(merchant.id, "shopify", "abc", T0)
        uow.commit()
