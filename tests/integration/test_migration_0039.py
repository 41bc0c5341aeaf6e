"""Migration 0039 (ADR 0036) replaces the ``tracking_pending`` queue with a fold mark: scans
still queued at upgrade are folded by the first fold after it, and a downgrade queues again
the scans past the mark (both backends)."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import text

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.migrate import alembic_config, pending_diff, upgrade
from postpurchase.adapters.db.repositories import unfolded
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from postpurchase.entrypoints.worker import fold_tracking
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, scan, ups_number
from tests.fakes import FakeClock


def _downgrade(engine, revision: str) -> None:  # type: ignore[no-untyped-def]
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_scans_queued_at_upgrade_are_folded_after_it(own_database: str) -> None:
    engine = make_engine(own_database)
    try:
        upgrade(engine)
        clock = FakeClock(T0 + timedelta(days=1))
        settings = Settings(tracking_ingest="deferred")
        platform = bootstrap(settings, engine=engine, clock=clock, notifications=False)
        merchant, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Upgrade")
        order = platform.bus().handle(place_order(merchant.id))
        number = ups_number()
        sid = platform.bus().handle(commands.CreateShipment(merchant.id, order.id, number)).id
        update = commands.TrackingUpdate(number, "ups", (scan(2, ShipmentStatus.IN_TRANSIT),))
        platform.bus().handle(commands.RecordTracking(merchant.id, (update,)))
        with engine.connect() as conn:
            assert unfolded(conn)[0] == 1

        _downgrade(engine, "0038")  # the scan past the mark is queued again
        with engine.connect() as conn:
            queued = conn.execute(text("SELECT event_id, shipment_id FROM tracking_pending")).all()
        assert [q.shipment_id for q in queued] == [sid]

        upgrade(engine)  # and marked to be folded again
        assert pending_diff(engine) == []
        with engine.connect() as conn:
            assert unfolded(conn) == (1, queued[0].event_id)
        assert fold_tracking(platform) == 1
        with platform.uow() as uow:
            shipment = uow.shipments.get(merchant.id, sid)
        assert shipment is not None and shipment.status is ShipmentStatus.IN_TRANSIT
        with engine.connect() as conn:
            assert unfolded(conn)[0] == 0
    finally:
        engine.dispose()
