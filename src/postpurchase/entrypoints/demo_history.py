"""The demo store's past: months of delivered orders, so its delivery-date model can be
trained the way a real store's is, from its own deliveries.

A store that installs postpurchase brings its history (a Shopify backfill, a CSV import);
the demo brings one too. These orders were placed 31 to 240 days ago, before the 30 days
the simulated carrier plays live, and their scans (the simulated network's own plans,
trouble included) are recorded through the same tracking command a carrier webhook uses,
so the shipments reach ``delivered`` through the one status model. Their messages are
planned and suppressed as old news, as a real backfill's are.

Then the demo trains the store's model in the background (``train_merchant``, what
``postpurchase edd train`` and the weekly schedule run) and the running server serves it
from its next estimate on: no restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from postpurchase.adapters.tracking_sources.normalised import parse_batch
from postpurchase.domain import commands

log = logging.getLogger(__name__)

HISTORY_DAYS = (31.0, 240.0)  # placed this many days ago: after the live 30 days' start
BATCH = 500  # events per recorded batch (the webhook's own limit is larger)


def record_history(
    platform: Any,
    merchant_id: str,
    scans: list[dict[str, Any]],
    now: datetime,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Record ``scans`` (all in the past) as tracking batches; return the events refused.

    Each batch is parsed by our own webhook format's parser and handled by the command a
    tracking webhook sends, so a history scan is stored and folded like a live one.
    """
    refused = 0
    for start in range(0, len(scans), BATCH):
        chunk = scans[start : start + BATCH]
        batch = parse_batch({"events": chunk}, now=now)
        refused += len(batch.errors)
        for error in batch.errors:
            log.warning("demo history scan refused: %s", error)
        if batch.updates:
            platform.bus().handle(commands.RecordTracking(merchant_id, batch.updates))
        if advance is not None:
            advance(len(chunk))
    return refused


def train_in_background(platform: Any, merchant_id: str, announce: Callable[[str], None]) -> Any:
    """Train the demo store's model on its deliveries in a daemon thread; ``announce`` gets
    one line with the outcome (the back-test, or why the rules layer stays active)."""
    import threading

    def run() -> None:
        from postpurchase.adapters.edd.merchant_models import ModelRefused, train_merchant

        try:
            outcome = train_merchant(
                platform.engine, merchant_id, now=platform.clock.now(), source="demo history"
            )
        except ModelRefused as exc:
            announce(f"  Delivery model: not trained ({exc})")
            return
        except Exception:  # the demo keeps serving on the rules layer
            log.exception("demo: training the delivery-date model failed")
            announce("  Delivery model: training failed (see the log); the rules layer answers")
            return
        m = outcome.metrics
        announce(
            f"  Delivery model: v{outcome.version} trained on {outcome.shipments} deliveries "
            f"and {'active' if outcome.activated else 'not activated'}; back-test on "
            f"{m.get('orders', 0)} orders: promise kept "
            f"{100 * (m.get('promise_on_time_rate') or 0):.1f}%, "
            f"{m.get('mean_promise_slack_days') or 0:.1f} days of slack, P50 error "
            f"{m.get('p50_mae_days') or 0:.1f} days"
        )

    thread = threading.Thread(target=run, name="demo-edd-train", daemon=True)
    thread.start()
    return thread
