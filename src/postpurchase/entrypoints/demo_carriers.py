"""The demo's carriers: the simulated carrier's HTTP API, with the demo's scan plans, and the
demo merchant's carrier accounts pointed at it (so the demo polls the way production does)."""

from __future__ import annotations

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
