"""The deferred fold reads scans past a mark on ``tracking_events`` (ADR 0036), not a queue.

What a queue gave for free must still hold: a scan whose transaction commits after a later
scan's is still folded (on PostgreSQL ids and commits come in different orders), a scan
folded inline is never folded again, and each scan is counted once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.repositories import unfolded
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from postpurchase.entrypoints.worker import fold_tracking
from postpurchase.service_layer import handlers
from tests.conftest import PG_URL
from tests.factories import T0, place_order, ref, scan, ups_number
from tests.fakes import FakeClock


def _platform(engine, mode: str) -> Platform:  # type: ignore[no-untyped-def]
    clock = FakeClock(T0 + timedelta(days=1))
    return bootstrap(
        Settings(tracking_ingest=mode), engine=engine, clock=clock, notifications=False
    )


@pytest.fixture
def deferred(engine) -> Platform:  # type: ignore[no-untyped-def]
    return _platform(engine, "deferred")


def _shipment(platform: Platform, merchant_id: str) -> tuple[str, str]:
    order = platform.bus().handle(place_order(merchant_id))
    number = ups_number()
    return platform.bus().handle(commands.CreateShipment(merchant_id, order.id, number)).id, number


def _status(platform: Platform, merchant_id: str, sid: str) -> ShipmentStatus:
    with platform.uow() as uow:
        s = uow.shipments.get(merchant_id, sid)
    assert s is not None
    return s.status


def _unrecognised(engine, merchant_id: str) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    u = t.unrecognised_codes.c
    with engine.connect() as c:
        q = select(u.code, u.count).where(u.merchant_id == merchant_id).order_by(u.code)
        return [(r.code, r.count) for r in c.execute(q)]


def test_a_scan_committed_after_a_later_one_is_folded_once(deferred, engine) -> None:  # type: ignore[no-untyped-def]
    merchant, *_ = handlers.create_merchant(deferred.uow(), deferred.clock, "Mark " + ref())
    early, _ = _shipment(deferred, merchant.id)
    late, late_number = _shipment(deferred, merchant.id)
    odd = scan(2, ShipmentStatus.IN_TRANSIT, recognised=False, carrier_code="Q1")
    later = commands.TrackingUpdate(late_number, "ups", (scan(3, ShipmentStatus.IN_TRANSIT),))
    pg = engine.dialect.name == "postgresql"
    folded: list[int] = []
    folder = threading.Thread(target=lambda: folded.append(fold_tracking(deferred)))
    slow = deferred.uow()
    with slow:
        # A request stores its scan first (the lower id) and commits last.
        slow.tracking.append(merchant.id, [(early, odd)], deferred.clock.now())
        if pg:  # SQLite has one writer: nothing else commits while this one is open
            deferred.bus().handle(commands.RecordTracking(merchant.id, (later,)))
            folder.start()
            folder.join(timeout=0.5)
            assert folder.is_alive()  # the folder waits for the open accept, passes nothing
        slow.commit()
    if pg:
        folder.join(timeout=30)
        assert not folder.is_alive() and folded[0] >= 2
    else:
        deferred.bus().handle(commands.RecordTracking(merchant.id, (later,)))
    fold_tracking(deferred)
    assert _status(deferred, merchant.id, early) is ShipmentStatus.IN_TRANSIT
    assert _status(deferred, merchant.id, late) is ShipmentStatus.IN_TRANSIT
    assert _unrecognised(engine, merchant.id) == [("Q1", 1)]
    with engine.connect() as c:
        assert unfolded(c, merchant.id)[0] == 0
    fold_tracking(deferred)  # nothing is folded twice
    assert _unrecognised(engine, merchant.id) == [("Q1", 1)]


def test_scans_folded_inline_are_left_to_the_folder_never(engine) -> None:  # type: ignore[no-untyped-def]
    inline = _platform(engine, "inline")
    merchant, *_ = handlers.create_merchant(inline.uow(), inline.clock, "Inline " + ref())
    sid, number = _shipment(inline, merchant.id)
    odd = scan(2, ShipmentStatus.IN_TRANSIT, recognised=False, carrier_code="Q2")
    update = commands.TrackingUpdate(number, "ups", (odd,))
    inline.bus().handle(commands.RecordTracking(merchant.id, (update,)))
    assert _status(inline, merchant.id, sid) is ShipmentStatus.IN_TRANSIT
    with engine.connect() as c:
        assert unfolded(c, merchant.id)[0] == 0
    fold_tracking(_platform(engine, "deferred"))
    assert _unrecognised(engine, merchant.id) == [("Q2", 1)]


def test_the_mark_moves_with_the_fold_and_not_without_it(deferred, engine) -> None:  # type: ignore[no-untyped-def]
    """A fold that fails rolls its mark back with it: the scans are folded by the next."""
    merchant, *_ = handlers.create_merchant(deferred.uow(), deferred.clock, "Back " + ref())
    sid, number = _shipment(deferred, merchant.id)
    update = commands.TrackingUpdate(number, "ups", (scan(2, ShipmentStatus.IN_TRANSIT),))
    deferred.bus().handle(commands.RecordTracking(merchant.id, (update,)))
    with deferred.uow() as uow:
        claimed = uow.tracking.claim_pending(10_000)
        assert sid in {s for _, s, _ in claimed}
        # no commit: the fold died here
    with engine.connect() as c:
        assert unfolded(c, merchant.id)[0] == 1
    fold_tracking(deferred)
    assert _status(deferred, merchant.id, sid) is ShipmentStatus.IN_TRANSIT


# PostgreSQL only (CI always has it): SQLite serialises writers, so there is no horizon to
# wait for; a fold there waits for the accept's commit like any writer.
@pytest.mark.parametrize("backend_url", ["postgresql"] if PG_URL else [], indirect=True)
def test_an_accept_stuck_open_fails_the_fold_instead_of_stalling_ingestion(
    deferred, engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: the folder waits for open accepts a bounded time, then gives up (it is
    retried), so new accepts queued behind its lock request go on."""
    assert engine.dialect.name == "postgresql"
    from postpurchase.adapters.db.repositories import tracking_events

    monkeypatch.setattr(tracking_events, "HORIZON_WAIT", timedelta(seconds=0.3))
    merchant, *_ = handlers.create_merchant(deferred.uow(), deferred.clock, "Stuck " + ref())
    sid, _ = _shipment(deferred, merchant.id)
    stuck = deferred.uow()
    with stuck:
        stuck.tracking.append(merchant.id, [(sid, scan(2, ShipmentStatus.IN_TRANSIT))], T0)
        with pytest.raises(OperationalError):
            fold_tracking(deferred)
        stuck.commit()
    fold_tracking(deferred)
    assert _status(deferred, merchant.id, sid) is ShipmentStatus.IN_TRANSIT
