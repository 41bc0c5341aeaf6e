"""Seeding a merchant's database with delivered history, for the model registry's tests.

Rows are inserted straight into the tables (thousands of orders through the bus would take
minutes); they have the shape intake and the tracking fold give them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, insert

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.edd.engine import EngineConfig
from postpurchase.adapters.edd.learned import GbmParams
from postpurchase.adapters.edd.records import DeliveredShipmentRecord
from postpurchase.adapters.edd.synthetic import SyntheticConfig, make_records

# The EDD integration tests' fast configuration: same behaviour, seconds instead of a minute.
FAST = EngineConfig(
    min_history=150,
    min_calibration_scores=40,
    refit_every_days=14,
    train_refit_every_days=30,
    fit_window_days=60,
    mature_days=30,
    calibration_window_days=60,
    gbm=GbmParams(n_estimators=40, learning_rate=0.15),
)


def history(days: int = 160, seed: int = 11) -> list[DeliveredShipmentRecord]:
    return make_records(SyntheticConfig(days=days, seed=seed))


def new_merchant(engine: Engine, slug: str | None = None) -> tuple[str, str]:
    mid = secrets.token_hex(16)
    slug = slug or f"edd-{secrets.token_hex(4)}"
    with engine.begin() as conn:
        conn.execute(
            insert(t.merchants).values(
                id=mid, name=slug, slug=slug, timezone="America/Sao_Paulo", locale="pt-BR",
                settings={}, created_at=datetime(2016, 1, 1, tzinfo=UTC),
            )
        )  # fmt: skip
    return mid, slug


def seed(engine: Engine, merchant_id: str, records: Sequence[DeliveredShipmentRecord]) -> None:
    """One order with one delivered shipment per record (only ``merchant_id``'s rows)."""
    orders, lines, shipments = [], [], []
    for r in records:
        oid, sid = secrets.token_hex(16), secrets.token_hex(16)
        at = r.ordered_at.astimezone(UTC)
        orders.append(
            {
                "id": oid, "merchant_id": merchant_id, "external_id": r.record_id,
                "number": r.record_id[:60], "locale": "pt-BR", "currency": "BRL",
                "shipping_address": {"country": r.destination_country,
                                     "postal_code": r.destination_postal_code,
                                     "region": r.destination_region},
                "shipping_fee": Decimal("10.00"), "placed_at": at,
                "promise_latest": r.quoted_promise, "source": "import", "status": "delivered",
                "tracking_token": secrets.token_urlsafe(24), "created_at": at, "updated_at": at,
            }
        )  # fmt: skip
        lines.append(
            {
                "id": secrets.token_hex(16), "order_id": oid, "position": 0, "sku": "SKU",
                "name": "Thing", "quantity": 1, "unit_price": Decimal("50.00"),
                "weight_grams": int(r.weight_grams) if r.weight_grams else None,
            }
        )  # fmt: skip
        origin = (
            {"country": r.origin_country, "postal_code": r.origin_postal_code,
             "region": r.origin_region, "name": r.origin_id}
            if r.origin_country else None
        )  # fmt: skip
        shipments.append(
            {
                "id": sid, "merchant_id": merchant_id, "order_id": oid,
                "tracking_number": "BR" + secrets.token_hex(6).upper(), "carrier": r.carrier,
                "service": r.service, "tracking_valid": True, "origin": origin, "lines": [],
                "created_at": at, "status": "delivered", "status_at": r.delivered_at,
                "handed_over_at": r.handed_over_at, "delivered_at": r.delivered_at,
                "event_count": 2,
            }
        )  # fmt: skip
    with engine.begin() as conn:
        for i in range(0, len(orders), 500):
            conn.execute(insert(t.orders), orders[i : i + 500])
            conn.execute(insert(t.order_lines), lines[i : i + 500])
            conn.execute(insert(t.shipments), shipments[i : i + 500])
