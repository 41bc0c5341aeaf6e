"""The exceptions queue's SQL and the pure rule give the same kinds for any shipment
(Hypothesis draws the facts; rows are written straight to the tables; both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.console.attention import kind_condition, queue, resolved
from postpurchase.domain.console import Attention, ParcelFacts, kinds_of
from postpurchase.domain.ids import new_id
from postpurchase.service_layer import handlers
from tests.factories import ref
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
STATUSES = ["pending", "info_received", "in_transit", "out_for_delivery", "attempt_failed",
            "available_for_pickup", "delivered", "exception", "expired"]  # fmt: skip
SUBSTATUSES = [None, "delayed", "no_scan", "address_issue", "returned_to_sender", "damaged",
               "lost", "picked_up"]  # fmt: skip

facts = st.builds(
    ParcelFacts,
    status=st.sampled_from(STATUSES),
    substatus=st.sampled_from(SUBSTATUSES),
    tracking_valid=st.booleans(),
    created_at=st.integers(0, 20 * 24).map(lambda h: NOW - timedelta(hours=h)),
    last_scan_at=st.one_of(
        st.none(), st.integers(0, 20 * 24).map(lambda h: NOW - timedelta(hours=h))
    ),
    promise=st.one_of(
        st.none(), st.integers(-10, 10).map(lambda d: date(2026, 11, 20) + timedelta(days=d))
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(f=facts, days=st.integers(1, 10))
def test_sql_and_rule_agree(engine: Any, f: ParcelFacts, days: int) -> None:
    merchant_id = _merchant(engine)
    order_id, shipment_id = new_id(), new_id()
    with engine.begin() as conn:
        conn.execute(insert(t.orders).values(
            id=order_id, merchant_id=merchant_id, external_id=ref(), number=ref(), locale="en",
            currency="USD", shipping_address={}, shipping_fee=Decimal("0"), placed_at=NOW,
            promise_latest=f.promise, source="api", status="shipped", tracking_token=ref(),
            created_at=NOW, updated_at=NOW,
        ))  # fmt: skip
        conn.execute(insert(t.shipments).values(
            id=shipment_id, merchant_id=merchant_id, order_id=order_id, tracking_number=ref(),
            tracking_valid=f.tracking_valid, lines=[], created_at=f.created_at, status=f.status,
            substatus=f.substatus, last_scan_at=f.last_scan_at, event_count=0,
        ))  # fmt: skip
    expected = kinds_of(f, NOW, days)
    joined = t.shipments.join(t.orders, t.orders.c.id == t.shipments.c.order_id)
    with engine.connect() as conn:
        got = {
            k for k in Attention
            if conn.execute(
                select(t.shipments.c.id).select_from(joined).where(
                    t.shipments.c.id == shipment_id,
                    t.shipments.c.status != "delivered",
                    kind_condition(k, NOW, days),
                    ~resolved(k),
                )
            ).first() is not None
        }  # fmt: skip
    assert got == set(expected)
    # The page and counts statement (open parcels read once, ADR 0030) agrees with it: the
    # parcel's row carries the same kinds, and each kind's count is the rule's count over
    # every parcel of the store (earlier examples' too).
    with engine.connect() as conn:
        rows, counts = queue(conn, merchant_id, NOW, days, limit=1000)
        by_rule = {
            k.value: len(conn.execute(
                select(t.shipments.c.id).where(
                    t.shipments.c.merchant_id == merchant_id,
                    t.shipments.c.status != "delivered",
                    kind_condition(k, NOW, days),
                    ~resolved(k),
                )
            ).all())
            for k in Attention
        }  # fmt: skip
    mine = [r for r in rows if r.shipment_id == shipment_id]
    assert (set(mine[0].kinds) if mine else set()) == set(expected)
    assert counts == by_rule


_MERCHANTS: dict[str, str] = {}


def _merchant(engine: Any) -> str:
    key = str(engine.url)
    if key not in _MERCHANTS:
        m, _, _ = handlers.create_merchant(_uow(engine), FakeClock(NOW), "Queue " + ref())
        _MERCHANTS[key] = m.id
    return _MERCHANTS[key]


def _uow(engine: Any) -> Any:
    from postpurchase.bootstrap import bootstrap
    from postpurchase.config import Settings

    return bootstrap(Settings(), engine=engine, notifications=False).uow()
