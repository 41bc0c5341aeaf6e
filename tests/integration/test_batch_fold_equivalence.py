"""Folding a claim of many scans at once gives what folding them one at a time gives
(issue 17): the worker folds up to 5,000 scans per transaction, set-based (one locked read
of the shipments, one UPDATE of each table, one outbox INSERT), and that must be only a
cheaper way to reach the same shipments, orders, counters and announcements.

Per example, two merchants get the same parcels and the same webhook batches (duplicates and
late scans included) through deferred ingestion on SQLite and PostgreSQL; one merchant's
queue is folded one scan per transaction, the other's in a single claim.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.status import ShipmentStatus
from postpurchase.domain.tracking import TrackingEvent, fold
from postpurchase.entrypoints.worker import fold_tracking
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, ref, scan, ups_number
from tests.fakes import FakeClock

STATUSES = [
    ShipmentStatus.INFO_RECEIVED,
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.ATTEMPT_FAILED,
    ShipmentStatus.DELIVERED,
    ShipmentStatus.EXCEPTION,
]

scans = st.lists(
    st.tuples(
        st.integers(0, 3),  # which parcel (orders hold parcels 0+1 and 2+3)
        st.integers(0, 120),  # hours after T0
        st.sampled_from(STATUSES),
        st.booleans(),  # recognised
    ),
    min_size=1,
    max_size=14,
)


def _platform(engine: Any) -> Platform:
    clock = FakeClock(T0 + timedelta(days=6))
    return bootstrap(
        Settings(tracking_ingest="deferred"), engine=engine, clock=clock, notifications=False
    )


def _merchant(platform: Platform) -> tuple[str, list[str], list[str], list[str]]:
    """A merchant with two orders of two parcels each: (merchant, orders, parcels, numbers)."""
    merchant, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Fold " + ref())
    orders, parcels, numbers = [], [], []
    for _ in range(2):
        order = platform.bus().handle(place_order(merchant.id))
        orders.append(order.id)
        for _ in range(2):
            number = ups_number()
            cmd = commands.CreateShipment(merchant.id, order.id, number)
            parcels.append(platform.bus().handle(cmd).id)
            numbers.append(number)
    return merchant.id, orders, parcels, numbers


def _event(hours: int, status: ShipmentStatus, recognised: bool) -> TrackingEvent:
    code = "AR" if recognised else f"Q{hours % 3}"
    return scan(hours, status, carrier_code=code, recognised=recognised)


def _send(platform: Platform, merchant_id: str, numbers: list[str], batch: list[Any]) -> None:
    by_parcel: dict[int, list[TrackingEvent]] = defaultdict(list)
    for parcel, hours, status, recognised in batch:
        by_parcel[parcel].append(_event(hours, status, recognised))
    updates = tuple(
        commands.TrackingUpdate(numbers[p], "ups", tuple(es)) for p, es in by_parcel.items()
    )
    platform.bus().handle(commands.RecordTracking(merchant_id, updates))


def _observed(platform: Platform, merchant_id: str, orders: list[str], parcels: list[str]) -> Any:
    """What folding decides: each parcel's state, each order's status, the counted codes,
    and per parcel the first status left and the last status announced."""
    with platform.uow() as uow:
        states = [uow.shipments.get(merchant_id, sid).state for sid in parcels]  # type: ignore[union-attr]
        statuses = [uow.orders.get(merchant_id, oid).status for oid in orders]  # type: ignore[union-attr]
    with platform.engine.connect() as c:
        u = t.unrecognised_codes.c
        codes = sorted(
            tuple(r) for r in c.execute(select(u.code, u.count).where(u.merchant_id == merchant_id))
        )
        o = t.outbox.c
        rows = c.execute(
            select(o.topic, o.payload)
            .where(o.merchant_id == merchant_id, o.topic == "ShipmentStatusChanged")
            .order_by(o.id)
        ).all()
    announced: dict[str, tuple[Any, Any]] = {}
    for _, payload in rows:
        sid = payload["shipment_id"]
        start = (payload["from_status"], payload["from_substatus"])
        first = announced.get(sid, (start, None))[0]
        announced[sid] = (first, (payload["to_status"], payload["substatus"]))
    return states, statuses, codes, [announced.get(sid) for sid in parcels]


def _settle_outbox(platform: Platform, merchants: list[str]) -> None:
    """Mark this example's outbox rows processed (nothing here drains them): tests that
    claim the oldest due rows of the session's database must not find hundreds of ours."""
    o = t.outbox
    with platform.engine.begin() as c:
        c.execute(
            update(o)
            .where(o.c.merchant_id.in_(merchants), o.c.processed_at.is_(None))
            .values(processed_at=platform.clock.now())
        )


@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(feed=scans, cut=st.integers(1, 6), resend=st.integers(0, 4))
def test_one_claim_folds_like_one_scan_at_a_time(engine, feed, cut, resend) -> None:
    platform = _platform(engine)
    fold_tracking(platform)  # nothing of an earlier test left queued
    batches = [feed[i : i + cut] for i in range(0, len(feed), cut)]
    batches += [feed[:resend]] if resend else []  # a source re-sending the start: duplicates
    one_by_one, at_once = _merchant(platform), _merchant(platform)

    for batch in batches:
        _send(platform, one_by_one[0], one_by_one[3], batch)
    while platform.bus().handle(commands.FoldTracking("*", 1)):
        pass  # a transaction per scan
    for batch in batches:
        _send(platform, at_once[0], at_once[3], batch)
    assert fold_tracking(platform) == len({(p, h, s, r) for p, h, s, r in feed})  # one claim

    single = _observed(platform, *one_by_one[:3])
    batched = _observed(platform, *at_once[:3])
    _settle_outbox(platform, [one_by_one[0], at_once[0]])
    assert batched == single
    # and both are the fold of every distinct scan of the parcel
    for p, state in enumerate(batched[0]):
        mine = {(h, s, r) for q, h, s, r in feed if q == p}
        assert state == fold([_event(h, s, r) for h, s, r in mine])
