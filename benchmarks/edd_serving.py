"""Serving a merchant's own delivery-date model: what a page view, a switch and a training cost.

One SQLite database, one merchant with a simulated history (``--days`` of ~12 orders a day,
delivered) stored as orders and shipments, then in the same run:

  rules estimate     ServedEstimator with no active model (the rules layer): the baseline
  learned estimate   the same call with a model active: purchase estimate + live re-estimate
  version check      EngineCache.engine_for with the version read (one primary-key query)
  stamped check      EngineCache.engine_for with the page's stamp (no query)
  model load         an artefact from the registry's bytes to an engine (a switch, per process)
  train              `edd train SLUG`'s work: read, train, back-test, register (default config)

Run:  .venv/bin/python benchmarks/edd_serving.py [--days 200] [--calls 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.edd_support seeds the history

from tests.edd_support import new_merchant, seed  # noqa: E402

from postpurchase.adapters.db.engine import make_engine  # noqa: E402
from postpurchase.adapters.db.migrate import upgrade  # noqa: E402
from postpurchase.adapters.edd.merchant_models import train_merchant  # noqa: E402
from postpurchase.adapters.edd.synthetic import SyntheticConfig, make_records  # noqa: E402
from postpurchase.adapters.model_serving import RegistrySource, engine_from_bytes  # noqa: E402
from postpurchase.entrypoints.web.served_estimates import ServedEstimator  # noqa: E402
from postpurchase.service_layer.edd_serving import EngineCache  # noqa: E402


def _per_call(fn: Any, calls: int) -> tuple[float, float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    out = Console()
    tmp = Path(tempfile.mkdtemp(prefix="edd-serving-"))
    db = make_engine(f"sqlite:///{tmp / 'bench.sqlite3'}")
    upgrade(db)
    merchant_id, _ = new_merchant(db)
    records = make_records(SyntheticConfig(days=args.days))
    seed(db, merchant_id, records)
    now = max(r.delivered_at for r in records).astimezone(UTC) + timedelta(days=1)
    last = records[-1]
    order = {
        "merchant_id": merchant_id,
        "shipping_address": {"country": "BR", "postal_code": last.destination_postal_code,
                             "region": last.destination_region},
        "placed_at": now - timedelta(days=2), "details": {}, "status": "shipped",
        "lines": [{"weight_grams": 900, "quantity": 1, "unit_price": Decimal("80")}],
    }  # fmt: skip
    shipment = {
        "status": "in_transit", "carrier": "correios", "service": "pac",
        "origin": {"country": "BR", "postal_code": "01310", "region": "SP"},
        "status_at": now - timedelta(days=1), "handed_over_at": now - timedelta(days=1),
        "last_event_at": now - timedelta(days=1), "event_count": 1,
    }  # fmt: skip
    cache = EngineCache(RegistrySource(db))
    served = ServedEstimator(cache, wait=True)
    rows: list[tuple[str, float, float]] = []
    rows.append(
        ("rules estimate (baseline)", *_per_call(lambda: served(order, shipment, now), args.calls))
    )
    started = time.perf_counter()
    outcome = train_merchant(db, merchant_id, now=now)
    train_s = time.perf_counter() - started
    cache.forget()
    served(order, shipment, now)  # loads the model
    rows.append(("learned estimate", *_per_call(lambda: served(order, shipment, now), args.calls)))
    cache.ttl = 0.0
    rows.append(
        ("version check (query)", *_per_call(lambda: cache.engine_for(merchant_id), args.calls))
    )
    stamp = outcome.version if outcome.activated else None
    rows.append(("stamped check (no query)", *_per_call(
        lambda: cache.engine_for(merchant_id, stamp=stamp), args.calls)))  # fmt: skip
    with db.connect() as conn:
        data = conn.exec_driver_sql(
            "select artefact from edd_models where merchant_id = ? and version = ?",
            (merchant_id, outcome.version),
        ).scalar()
    rows.append(("model load (a switch)", *_per_call(lambda: engine_from_bytes(data), 5)))
    base = rows[0][1]
    table = Table(title=f"edd serving: {len(records)} delivered shipments, {args.calls} calls")
    for col in ("what", "p50 ms", "p99 ms", "p50 vs rules"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for what, p50, p99 in rows:
        table.add_row(what, f"{p50:.3f}", f"{p99:.3f}", f"{p50 / base:.2f}x")
    out.print(table)
    out.print(
        f"train + back-test + register: {train_s:.1f} s (model v{outcome.version}, "
        f"{'active' if outcome.activated else 'not activated'}; artefact {len(data) / 1e6:.1f} MB; "
        f"back-test on time {outcome.metrics.get('promise_on_time_rate')})"
    )


if __name__ == "__main__":
    main()
