"""The store's own promise as an order-time feature: built only from what the order carried
at purchase, NaN when there is none (a checkout estimate), hidden from a stable share of
training rows, off for models saved before it existed, and passed by production paths."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np

from postpurchase.adapters.edd.engine_parts import EngineConfig, hide_columns, masked
from postpurchase.adapters.edd.features import QUOTE_NAMES, FeatureSpace, facts_of
from postpurchase.adapters.edd.history import History
from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.adapters.promising import _row
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.edd.types import EstimateRequest
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput, Promise
from postpurchase.service_layer.edd_serving import request_from

# 23:30 in São Paulo is already the next day in UTC: days count from the local order date.
T0 = datetime(2018, 1, 8, 23, 30, tzinfo=SAO_PAULO)
WITH_QUOTE = FeatureSpace(store_promise=True)


def request(**kw: object) -> EstimateRequest:
    base: dict[str, object] = {
        "destination": Address("BR", "20231", "RJ"),
        "origin": Address("BR", "13023", "SP"),
        "ordered_at": T0,
    }
    base.update(kw)
    return EstimateRequest(**base)  # type: ignore[arg-type]


def record(delivered_days: float, quoted: date | None) -> DeliveredShipmentRecord:
    return DeliveredShipmentRecord(
        record_id="o1",
        ordered_at=T0,
        delivered_at=T0 + timedelta(days=delivered_days),
        destination_country="BR",
        destination_postal_code="20231",
        destination_region="RJ",
        origin_country="BR",
        origin_postal_code="13023",
        origin_region="SP",
        quoted_promise=quoted,
    )


def test_quote_columns_are_days_from_the_local_order_date_and_the_quoted_weekday() -> None:
    f = facts_of(request(store_promise=date(2018, 1, 26)))  # a Friday, 18 days later
    assert f.quote_days == 18.0
    row = WITH_QUOTE.purchase_row(f, History(), 0.0)
    assert WITH_QUOTE.purchase_names[-2:] == QUOTE_NAMES
    assert row[-2:] == [18.0, 4.0]
    assert [WITH_QUOTE.purchase_names[i] for i in WITH_QUOTE.quote_indices] == list(QUOTE_NAMES)


def test_the_layout_has_no_quote_columns_unless_asked() -> None:
    space = FeatureSpace()
    assert not set(QUOTE_NAMES) & set(space.purchase_names)
    assert space.quote_indices == []
    f = facts_of(request(store_promise=date(2018, 1, 26)))
    assert len(space.purchase_row(f, History(), 0.0)) == len(space.purchase_names)


def test_no_store_promise_is_nan_never_a_guess() -> None:
    for quoted in (None, date(2018, 1, 1)):  # none (a checkout), or one before the order
        f = facts_of(request(store_promise=quoted))
        assert math.isnan(f.quote_days)
        assert all(math.isnan(v) for v in WITH_QUOTE.purchase_row(f, History(), 0.0)[-2:])


def test_the_feature_comes_from_the_order_row_not_from_the_outcome() -> None:
    quoted = date(2018, 1, 26)
    early, late = record(3.0, quoted), record(40.0, quoted)
    assert early.request().store_promise == quoted
    rows = [WITH_QUOTE.purchase_row(facts_of(r.request()), History(), 0.0) for r in (early, late)]
    assert rows[0][-2:] == rows[1][-2:] == [18.0, 4.0]  # delivery day changes nothing


def test_a_stable_share_of_training_rows_hides_the_quote() -> None:
    ids = [f"order-{i}" for i in range(4000)]
    hidden = [masked(i, 0.3) for i in ids]
    assert 0.27 < sum(hidden) / len(ids) < 0.33
    assert hidden == [masked(i, 0.3) for i in ids]  # the same rows at every refit
    assert not any(masked(i, 0.0) for i in ids)
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    out = hide_columns(x.copy(), [2, 3], [False, True, False])
    assert np.isnan(out[1, 2:]).all() and not np.isnan(out[[0, 2]]).any()
    assert not np.isnan(out[1, :2]).any()


def test_models_saved_before_the_feature_keep_their_layout() -> None:
    old = EngineConfig().to_dict()
    del old["store_promise_feature"], old["store_promise_mask"]
    assert EngineConfig.from_dict(old).store_promise_feature is False
    on = dataclasses.replace(EngineConfig(), store_promise_feature=True, store_promise_mask=0.3)
    assert EngineConfig.from_dict(on.to_dict()) == on


def test_production_requests_carry_the_orders_store_promise() -> None:
    cmd = commands.PlaceOrder(
        merchant_id="m", external_id="x", number="1001", email=None, phone=None,
        customer_name="Ana", locale="pt-BR", currency="BRL",
        lines=(OrderLineInput("SKU", "Thing", 1, Money(Decimal("80.00"), "BRL"), 900),),
        shipping_address=Address("BR", "20031", "RJ", "Rio de Janeiro", "Rua A 1"),
        shipping_fee=Money(Decimal("12.00"), "BRL"), placed_at=T0,
        promise=Promise(date(2018, 1, 26)),
    )  # fmt: skip
    assert request_from(_row(cmd), None).store_promise == date(2018, 1, 26)
    assert request_from(_row(dataclasses.replace(cmd, promise=None)), None).store_promise is None
    row = {"shipping_address": {"country": "BR", "postal_code": "20031"}, "placed_at": T0}
    for stored in (date(2018, 1, 26), "2018-01-26", datetime(2018, 1, 26, tzinfo=SAO_PAULO)):
        assert request_from({**row, "promise_latest": stored}, None).store_promise == date(
            2018, 1, 26
        )
