"""The demo's carriers: the simulated carrier's HTTP API, with the demo's scan plans, and the
demo merchant's carrier accounts pointed at it (so the demo polls the way production does)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from postpurchase.adapters.carriers import simulated
from postpurchase.adapters.carriers.accounts import add_account
from postpurchase.adapters.carriers.simulated.api import (
    DEFAULT_API_KEY,
    SimulatorState,
    catch_up_clock,
)
from postpurchase.adapters.carriers.simulated.server import RunningSimulator, start_in_thread
from postpurchase.domain.carriers import AccountMode, Connector

ATTEMPTS = 3  # a label purchase is retried, as a merchant would, after a transient failure


def sim_clock(start: datetime, speed: float) -> Callable[[], datetime]:
    return catch_up_clock(start, speed)


def start_simulator(
    platform: Any,
    merchant_id: str,
    scans: list[dict[str, Any]],
    seed: int,
    clock: Callable[[], datetime],
) -> RunningSimulator:
    """Serve the plans on a free local port; one simulated account per US carrier."""
    state = SimulatorState(seed=seed, clock=clock)
    state.add_plans(scans)
    running = start_in_thread(state)
    for carrier in simulated.carriers_for("US"):
        add_account(
            platform.engine, platform.keyring, platform.clock.now(), merchant_id, carrier,
            connector=Connector.SIMULATED, mode=AccountMode.TEST,
            fields={"base_url": running.url, "api_key": DEFAULT_API_KEY},
        )  # fmt: skip
    return running


def buy_demo_labels(platform: Any, merchant_id: str, origin: Any, n: int = 3) -> list[Any]:
    """Labels for the newest unshipped orders, bought from the simulated carrier through the
    same gateway and ledger as a real carrier's (PDF and ZPL, one with a drop-off QR code):
    each becomes a shipment that the demo then polls."""
    import logging

    from sqlalchemy import select

    from postpurchase.adapters.carriers.accounts import AccountGateways, qr_png
    from postpurchase.adapters.db import tables as t
    from postpurchase.domain.carriers import LabelFormat, Parcel
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.labels import LabelPurchase
    from postpurchase.service_layer import labels as labels_service

    o = t.orders.c
    with platform.engine.connect() as conn:
        ids = conn.execute(
            select(o.id).where(o.merchant_id == merchant_id, o.status == "unfulfilled")
            .order_by(o.placed_at.desc()).limit(n)
        ).scalars().all()  # fmt: skip
    gateways = AccountGateways(platform.engine, platform.keyring, timeout=10)
    bought = []
    plans = [("usps", "ground", LabelFormat.PDF, True), ("ups", "express", LabelFormat.ZPL, False),
             ("fedex", "ground", LabelFormat.PDF, False)]  # fmt: skip
    for order_id, (carrier, service, fmt, drop_off) in zip(ids, plans, strict=False):
        purchase = LabelPurchase(
            order_id=order_id, carrier=carrier, service=service, origin=origin,
            parcels=(Parcel(1200),), idempotency_key=f"demo-label-{order_id}",
            label_format=fmt, drop_off=drop_off,
        )  # fmt: skip
        for attempt in range(1, ATTEMPTS + 1):
            try:
                outcome = labels_service.buy_label(
                    platform.uow(), platform.clock, gateways, qr_png, merchant_id, purchase
                )
            except DomainError as exc:  # the simulated carrier's occasional 429/503
                if attempt < ATTEMPTS:  # the same idempotency key: never two labels
                    time.sleep(0.2 * attempt)
                    continue
                logging.getLogger(__name__).warning("demo label not bought: %s", exc.message)
            else:
                bought.append(outcome.record)
            break
    return bought
