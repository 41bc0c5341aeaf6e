"""A small simulated marketplace with Olist's shape, for tests, benchmarks and demos.

Real data cannot ship with the package (Olist's licence is non-commercial share-alike), and
tests must not depend on a data directory, so this module makes records with the structure
that matters: lanes whose transit grows with distance, sellers with their own handling
time, weekly rhythm, heavy right tails, and an optional slowdown on a given day (a drift
shock, to check that the calibration catches up).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from postpurchase.adapters.edd.records import SAO_PAULO, DeliveredShipmentRecord
from postpurchase.domain.edd.geo import BR_STATE_CAPITALS, Point, Precision, haversine_km

# (state, first CEP prefix of the state, share of shoppers)
STATES: tuple[tuple[str, int, float], ...] = (
    ("SP", 1000, 0.42),
    ("RJ", 20000, 0.13),
    ("MG", 30000, 0.12),
    ("PR", 80000, 0.05),
    ("RS", 90000, 0.06),
    ("BA", 40000, 0.05),
    ("PE", 50000, 0.04),
    ("CE", 60000, 0.04),
    ("DF", 70000, 0.05),
    ("AM", 69000, 0.04),
)


@dataclass(frozen=True, slots=True)
class Seller:
    seller_id: str
    state: str
    zip_prefix: str
    handling_days: float


@dataclass(frozen=True, slots=True)
class SyntheticConfig:
    start: datetime = datetime(2017, 1, 2, tzinfo=SAO_PAULO)
    days: int = 240
    orders_per_day: float = 12.0
    sellers: int = 30
    shock_day: int | None = None  # day index from which transit slows down
    shock_factor: float = 1.5
    seed: int = 11


def _zip(rng: random.Random, first: int) -> str:
    return str(first + rng.randrange(0, 900)).zfill(5)


def make_records(config: SyntheticConfig | None = None) -> list[DeliveredShipmentRecord]:
    """Delivered orders of the simulated marketplace, sorted by purchase time."""
    cfg = config or SyntheticConfig()
    rng = random.Random(cfg.seed)
    sellers = []
    for i in range(cfg.sellers):
        state, first, _ = STATES[0] if rng.random() < 0.7 else rng.choice(STATES[1:5])
        sellers.append(Seller(f"s{i:03d}", state, _zip(rng, first), rng.uniform(0.8, 4.0)))
    weights = [w for _, _, w in STATES]
    records = []
    n = 0
    for day in range(cfg.days):
        base = cfg.start + timedelta(days=day)
        weekday_rate = 0.6 if base.weekday() >= 5 else 1.1
        count = _poisson(rng, cfg.orders_per_day * weekday_rate)
        slow = cfg.shock_factor if cfg.shock_day is not None and day >= cfg.shock_day else 1.0
        for _ in range(count):
            n += 1
            seller = rng.choice(sellers)
            state, first, _ = rng.choices(STATES, weights)[0]
            ordered = base + timedelta(seconds=rng.randrange(6 * 3600, 23 * 3600))
            a = Point(*BR_STATE_CAPITALS[seller.state], Precision.REGION)
            b = Point(*BR_STATE_CAPITALS[state], Precision.REGION)
            km = haversine_km(a, b)
            handling = seller.handling_days * math.exp(rng.gauss(0, 0.35))
            transit = (2.0 + km / 260.0) * slow * math.exp(rng.gauss(0, 0.35))
            if rng.random() < 0.05:  # the heavy tail: a parcel stuck somewhere
                transit += rng.uniform(5, 25)
            handed = ordered + timedelta(days=handling)
            delivered = handed + timedelta(days=transit)
            weight = rng.choice([200.0, 500.0, 1200.0, 3000.0, 9000.0])
            quoted = (ordered + timedelta(days=18 + km / 180.0)).date()
            records.append(
                DeliveredShipmentRecord(
                    record_id=f"o{n:06d}",
                    ordered_at=ordered,
                    delivered_at=delivered,
                    destination_country="BR",
                    destination_postal_code=_zip(rng, first),
                    destination_region=state,
                    origin_country="BR",
                    origin_postal_code=seller.zip_prefix,
                    origin_region=seller.state,
                    origin_id=seller.seller_id,
                    weight_grams=weight,
                    volume_cm3=weight * 2.5,
                    handed_over_at=handed,
                    extras={
                        "order_value": round(rng.uniform(20, 400), 2),
                        "freight_value": round(8 + km / 150 + weight / 1000, 2),
                        "items": 1.0,
                        "sellers": 1.0,
                        "handling_deadline_days": 5.0,
                    },
                    quoted_promise=quoted,
                )
            )
    records.sort(key=lambda r: (r.ordered_at, r.record_id))
    return records


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _fmt(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(SAO_PAULO).strftime("%Y-%m-%d %H:%M:%S")


def write_olist(
    records: Sequence[DeliveredShipmentRecord], directory: Path | str, *, compress: bool = True
) -> Path:
    """Write records as Olist-format CSVs (orders, customers, items, sellers, products)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    orders, customers, items, sellers, products = [], [], [], {}, []
    for r in records:
        cid = f"c{r.record_id}"
        pid = f"p{r.record_id}"
        orders.append(
            [
                r.record_id,
                cid,
                "delivered",
                _fmt(r.ordered_at),
                _fmt(r.ordered_at + timedelta(minutes=15)),
                _fmt(r.handed_over_at),
                _fmt(r.delivered_at),
                f"{r.quoted_promise.isoformat()} 00:00:00" if r.quoted_promise else "",
            ]
        )
        customers.append(
            [
                cid,
                f"u{r.record_id}",
                r.destination_postal_code or "",
                "city",
                r.destination_region or "",
            ]
        )
        deadline = r.ordered_at + timedelta(days=r.extras.get("handling_deadline_days", 5.0))
        items.append(
            [
                r.record_id,
                "1",
                pid,
                r.origin_id or "",
                _fmt(deadline),
                f"{r.extras.get('order_value', 50.0):.2f}",
                f"{r.extras.get('freight_value', 15.0):.2f}",
            ]
        )
        if r.origin_id:
            sellers[r.origin_id] = [
                r.origin_id,
                r.origin_postal_code or "",
                "city",
                r.origin_region or "",
            ]
        weight = r.weight_grams or 500.0
        products.append([pid, "cat", "40", "300", "1", f"{weight:.0f}", "20", "10", "15"])
    tables = {
        "olist_orders_dataset": (
            [
                "order_id",
                "customer_id",
                "order_status",
                "order_purchase_timestamp",
                "order_approved_at",
                "order_delivered_carrier_date",
                "order_delivered_customer_date",
                "order_estimated_delivery_date",
            ],
            orders,
        ),
        "olist_customers_dataset": (
            [
                "customer_id",
                "customer_unique_id",
                "customer_zip_code_prefix",
                "customer_city",
                "customer_state",
            ],
            customers,
        ),
        "olist_order_items_dataset": (
            [
                "order_id",
                "order_item_id",
                "product_id",
                "seller_id",
                "shipping_limit_date",
                "price",
                "freight_value",
            ],
            items,
        ),
        "olist_sellers_dataset": (
            ["seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"],
            list(sellers.values()),
        ),
        "olist_products_dataset": (
            [
                "product_id",
                "product_category_name",
                "product_name_lenght",
                "product_description_lenght",
                "product_photos_qty",
                "product_weight_g",
                "product_length_cm",
                "product_height_cm",
                "product_width_cm",
            ],
            products,
        ),
    }
    for stem, (header, rows) in tables.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        data = buffer.getvalue().encode()
        if compress:
            (out / f"{stem}.csv.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (out / f"{stem}.csv").write_bytes(data)
    return out
