"""A simulated carrier served over HTTP for the carrier tests, and a merchant to use it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer

from postpurchase.adapters.carriers.accounts import add_account
from postpurchase.adapters.carriers.simulated.api import Faults, SimulatorState
from postpurchase.adapters.carriers.simulated.server import RunningSimulator, start_in_thread
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.carriers import AccountMode, Connector
from postpurchase.service_layer import handlers
from tests.factories import T0, ref
from tests.fakes import FakeClock

NOW = T0 + timedelta(days=3)
SIM_KEY = "sim_key_for_tests"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim_state(clock: FakeClock) -> SimulatorState:
    # No random faults and little latency: tests that want trouble ask for it.
    return SimulatorState(
        seed=7,
        api_keys=frozenset({SIM_KEY}),
        faults=Faults(latency_ms=2, latency_sigma=0.1, throttle_rate=0, error_rate=0),
        clock=clock.now,
    )


@pytest.fixture
def simulator(sim_state: SimulatorState) -> Iterator[RunningSimulator]:
    running = start_in_thread(sim_state)
    yield running
    running.stop()


@pytest.fixture
def platform(engine, clock):
    return bootstrap(Settings(), engine=engine, clock=clock)


def new_merchant(platform):
    m, _, *_ = handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref())
    return m


@pytest.fixture
def merchant(platform):
    return new_merchant(platform)


def simulated_account(platform, merchant_id: str, carrier: str, url: str, key: str = SIM_KEY):
    view, _ = add_account(
        platform.engine,
        platform.keyring,
        platform.clock.now(),
        merchant_id,
        carrier,
        connector=Connector.SIMULATED,
        mode=AccountMode.TEST,
        fields={"base_url": url, "api_key": key},
    )
    return view


@pytest.fixture
def forget_label_polls(platform):
    """Labels make open shipments at the merchant's carrier accounts, which every poll round
    of the shared test database would then enrol and call; the simulator they were bought
    from stops with the test. Afterwards, remove those merchants' accounts (and polls)."""
    yield
    from sqlalchemy import delete, select

    from postpurchase.adapters.db import tables as t
    from postpurchase.adapters.db.labels.tables import shipping_labels

    merchants = select(shipping_labels.c.merchant_id).distinct()
    with platform.engine.begin() as conn:
        conn.execute(delete(t.shipment_polls).where(t.shipment_polls.c.merchant_id.in_(merchants)))
        conn.execute(
            delete(t.carrier_accounts).where(t.carrier_accounts.c.merchant_id.in_(merchants))
        )


@pytest.fixture
def stalling_carrier() -> Iterator[tuple[HTTPServer, threading.Event]]:
    """A carrier that answers too late, on a server of its own: the shared ``httpserver``
    would still be inside the stalled handler (and log its request) during the next test.
    Setting the event releases the handler; teardown sets it, then stops the server."""
    release = threading.Event()
    server = HTTPServer(threaded=True)
    server.start()
    yield server, release
    release.set()
    server.clear()
    server.stop()
