"""A merchant model trained with the store's promise as a feature: it learns it from the
orders' stored ``promise_latest``, and intake hands it the new order's own store promise
(our promise at purchase is the estimate *with* it, not without). SQLite and PG."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.edd import merchant_models as mm
from postpurchase.adapters.model_serving import models_for
from postpurchase.adapters.promising import _row
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.edd.types import EstimateRequest
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput, Promise
from postpurchase.service_layer import handlers
from postpurchase.service_layer.edd_serving import request_from
from tests.edd_support import FAST, history, seed
from tests.factories import ref
from tests.fakes import FakeClock

# A store whose promise knows its parcels (two days after each delivery), so a model trained
# with the feature must lean on it; the simulated marketplace's own quote follows distance
# only, which the model already sees.
RECORDS = [
    dataclasses.replace(r, quoted_promise=(r.delivered_at + timedelta(days=2)).date())
    for r in history()
]
NOW = max(r.delivered_at for r in RECORDS).astimezone(UTC) + timedelta(days=1)
QUOTED = dataclasses.replace(FAST, store_promise_feature=True, store_promise_mask=0.3)


@pytest.fixture
def platform(engine: Engine) -> Platform:
    return bootstrap(Settings(), engine=engine, clock=FakeClock(NOW), notifications=False)


def _order(merchant_id: str, promise: date | None) -> commands.PlaceOrder:
    return commands.PlaceOrder(
        merchant_id=merchant_id, external_id=ref("ext-"), number=ref()[:10], email=None,
        phone=None, customer_name="Ana", locale="pt-BR", currency="BRL",
        lines=(OrderLineInput("SKU", "Thing", 1, Money(Decimal("80.00"), "BRL"), 900),),
        shipping_address=Address("BR", "69005", "AM", "Manaus", "Rua A 1"),
        shipping_fee=Money(Decimal("12.00"), "BRL"), placed_at=NOW - timedelta(hours=2),
        promise=Promise(promise) if promise else None,
    )  # fmt: skip


def test_intake_passes_the_orders_store_promise_to_a_model_trained_with_it(
    platform: Platform,
) -> None:
    created = handlers.create_merchant(platform.uow(), platform.clock, "Loja " + ref()[:8])
    merchant_id = created.merchant.id
    seed(platform.engine, merchant_id, RECORDS)
    outcome = mm.train_merchant(platform.engine, merchant_id, now=NOW, config=QUOTED)
    assert outcome.activated
    models = models_for(platform.engine)
    models.forget()
    active = models.engine_for(merchant_id)
    assert active is not None and active.engine.config.store_promise_feature
    # Trained on the orders' stored store promises: the quote columns are filled.
    cols = active.engine.space.quote_indices
    rows = [s.purchase_row for s in active.engine.orders.values() if s.purchase_row]
    assert rows and all(not math.isnan(r[cols[0]]) for r in rows)

    # Find a store promise the model reads differently from none at all.
    def p50(request: EstimateRequest) -> date:
        return active.engine.estimate(request).p50

    order_day = (NOW - timedelta(hours=2)).date()
    bare = p50(request_from(_row(_order(merchant_id, None)), None))
    quoted = next(
        (
            d
            for d in (order_day + timedelta(days=n) for n in (2, 60, 5, 40))
            if p50(request_from(_row(_order(merchant_id, d)), None)) != bare
        ),
        None,
    )
    assert quoted is not None, "the model ignores the store promise: the test proves nothing"

    cmd = _order(merchant_id, quoted)
    expected = active.engine.estimate(request_from(_row(cmd), None))
    order_id = platform.bus().handle(cmd).id
    o = t.orders.c
    with platform.engine.connect() as conn:
        store, ours = conn.execute(
            select(o.promise_latest, o.our_estimate).where(o.id == order_id)
        ).one()
    assert store == quoted
    assert ours["p50"] == expected.p50.isoformat() != bare.isoformat()
    assert ours["model_version"] == outcome.version
