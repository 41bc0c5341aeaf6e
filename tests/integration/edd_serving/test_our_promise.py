"""Our promise at purchase (issue 16): set once at intake from the engine (rules here, as
no model is active), stored beside the store's promise, never moved by a re-delivered
webhook or a newer revision of the order, and shown by the page and its JSON twin."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.edd.types import DEFAULT_CONFIDENCE
from postpurchase.domain.orders import Promise
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from tests.factories import T0, place_order, ups_number
from tests.fakes import FakeClock


def _stored(engine: Engine, order_id: str) -> tuple[Any, Any, Any]:
    o = t.orders.c
    with engine.connect() as conn:
        row = conn.execute(
            select(o.our_promise, o.our_estimate, o.promise_latest).where(o.id == order_id)
        ).one()
    return row[0], row[1], row[2]


def test_our_promise_is_set_once_at_intake_and_never_moves(engine: Engine) -> None:
    platform = bootstrap(
        Settings(), engine=engine, clock=FakeClock(T0 + timedelta(days=1)), notifications=False
    )
    m, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ups_number()[-8:])
    cmd = place_order(m.id, promise=Promise(date(2026, 12, 30)))
    created = platform.bus().handle(cmd)
    ours, estimate, store = _stored(engine, created.id)
    assert store == date(2026, 12, 30)  # the store's promise, untouched
    assert isinstance(ours, date) and ours > T0.date()
    assert estimate["promise"] == ours.isoformat()
    assert estimate["layer"] == "rules" and estimate["model_version"] is None

    # The same webhook again, and a newer revision with another address and promise.
    platform.bus().handle(cmd)
    revised = replace(
        cmd,
        shipping_address=replace(cmd.shipping_address, country="DE", postal_code="10115"),
        promise=Promise(date(2027, 1, 15)),
        source_updated_at=T0 + timedelta(hours=5),
    )
    platform.bus().handle(revised)
    again, estimate_again, store_again = _stored(engine, created.id)
    assert store_again == date(2027, 1, 15)  # the store's promise follows the store
    assert (again, estimate_again) == (ours, estimate)  # ours never changes

    with TestClient(create_app(platform)) as client:
        with engine.connect() as conn:
            token = conn.execute(
                select(t.orders.c.tracking_token).where(t.orders.c.id == created.id)
            ).scalar_one()
        body = client.get(f"/api/v1/public/track/{token}").json()
    assert body["order"]["our_promise"] == ours.isoformat()


def test_our_promise_is_made_at_the_merchants_promise_confidence(engine: Engine) -> None:
    from postpurchase.service_layer.checkout import settings as checkout_settings

    platform = bootstrap(
        Settings(), engine=engine, clock=FakeClock(T0 + timedelta(days=1)), notifications=False
    )
    made = {}
    for confidence in (None, 0.99):
        m, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ups_number())
        if confidence is not None:
            checkout_settings.update(platform.uow(), m.id, {"promise_confidence": confidence})
        created = platform.bus().handle(place_order(m.id))
        made[confidence] = _stored(engine, created.id)
    (default, default_estimate, _), (padded, padded_estimate, _) = made[None], made[0.99]
    assert (
        default_estimate["confidence"] == DEFAULT_CONFIDENCE
        and padded_estimate["confidence"] == 0.99
    )
    assert padded > default  # the same order promised at 99% is promised later
