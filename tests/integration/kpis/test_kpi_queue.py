"""The KPI worker's queue (ADR 0027) on both backends: a new shipment is queued in its own
transaction, a tick computes it and empties the queue, a tick with nothing due reads only
the queue and the few facts not final, and moving parcels still come due again."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, event, func, insert, select
from tests.integration.kpis.shop import Shop

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.kpis import facts
from postpurchase.adapters.db.kpis.tables import kpi_facts, kpi_pending
from postpurchase.entrypoints.worker import refresh_kpis

PROMISE = date(2026, 11, 4)


def tick(shop: Shop) -> int:
    """The worker's tick for this shop alone (other tests' shops share the database)."""
    with shop.platform.engine.connect() as conn:
        done = facts.refresh(conn, shop.clock.now(), merchant_id=shop.merchant_id)
        conn.commit()
    return done


def queued(shop: Shop) -> set[str]:
    with shop.platform.engine.connect() as conn:
        p = kpi_pending.c
        return set(
            conn.execute(select(p.shipment_id).where(p.merchant_id == shop.merchant_id)).scalars()
        )


def shipment_ids(shop: Shop) -> set[str]:
    with shop.platform.engine.connect() as conn:
        s = t.shipments.c
        return set(conn.execute(select(s.id).where(s.merchant_id == shop.merchant_id)).scalars())


def test_a_new_shipment_is_queued_and_a_tick_empties_the_queue(shop: Shop) -> None:
    shop.parcel(promise=PROMISE, delivered_hours=48)
    shop.parcel(promise=PROMISE)
    assert queued(shop) == shipment_ids(shop) and len(queued(shop)) == 2
    assert refresh_kpis(shop.platform) >= 2
    assert queued(shop) == set()
    with shop.platform.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).where(kpi_facts.c.merchant_id == shop.merchant_id)
        ).scalar_one()
        assert n == 2
        assert facts.due_ids(conn, shop.clock.now(), None, shop.merchant_id) == []


def test_an_idle_tick_never_reads_the_shipments(shop: Shop) -> None:
    shop.parcel(promise=PROMISE, delivered_hours=48)
    refresh_kpis(shop.platform)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = shop.platform.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert tick(shop) == 0
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert reads and not any("shipments" in s.split("WHERE")[0] for s in reads), reads


def test_moving_parcels_come_due_again_and_erased_ones_leave_the_queue(shop: Shop) -> None:
    shop.parcel(promise=PROMISE)  # in transit: not final
    refresh_kpis(shop.platform)
    shop.clock.advance(minutes=11)
    with shop.platform.engine.connect() as conn:
        assert facts.due_ids(conn, shop.clock.now(), None, shop.merchant_id) == list(
            shipment_ids(shop)
        )
    assert tick(shop) == 1
    with shop.platform.engine.begin() as conn:  # a queued id whose shipment is gone
        conn.execute(insert(kpi_pending).values(shipment_id="gone" + "0" * 28,
                                                merchant_id=shop.merchant_id))  # fmt: skip
    tick(shop)
    assert queued(shop) == set()


def test_refresh_all_rebuilds_facts_that_were_dropped(shop: Shop) -> None:
    shop.parcel(promise=PROMISE, delivered_hours=48)
    assert shop.refresh() == 1
    with shop.platform.engine.begin() as conn:
        conn.execute(delete(kpi_facts).where(kpi_facts.c.merchant_id == shop.merchant_id))
    assert tick(shop) == 0  # not queued: the worker's tick does not see it
    assert shop.refresh() == 1  # the backfill's anti-join does
