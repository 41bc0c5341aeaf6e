"""Tracking by polling, end to end over HTTP: the simulated carrier's API, the gateway, the
claim, ingestion through the webhook's command, the cadence and the back-off."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from postpurchase.adapters.carriers.simulated import SimParcel, tracking_number
from postpurchase.adapters.carriers.simulated.plans import TROUBLE_RATE, plan
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.carrier_store import SqlPollStore
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.status import ShipmentStatus
from postpurchase.entrypoints.carrier_tasks import make_poller
from postpurchase.service_layer.carriers.polling import poll_round
from tests.factories import T0, place_order
from tests.integration.carriers.conftest import new_merchant, simulated_account

ORIGIN = Address("US", "43215", "OH", "Columbus", "500 Commerce Way")
DEST = Address("US", "10001", "NY", "New York", "1 Main St")


def ship(
    platform, merchant_id: str, carrier: str, sim_state, *, days_ago: float = 2.5, seed=1,
    trouble: bool = True,
):  # fmt: skip
    number = tracking_number(carrier, random.Random(f"{merchant_id}{seed}"))
    order = platform.bus().handle(place_order(merchant_id, placed_at=T0))
    shipped = platform.clock.now() - timedelta(days=days_ago)
    platform.bus().handle(
        commands.CreateShipment(
            merchant_id=merchant_id, order_id=order.id, tracking_number=number,
            carrier=carrier, service="ground", lines=(), origin=ORIGIN, created_at=shipped,
        )
    )  # fmt: skip
    parcel = SimParcel(number, carrier, "ground", ORIGIN, DEST, shipped)
    # The number (so the journey) depends on the merchant's random id: a test that needs a
    # plain journey asks for one without the simulator's random trouble.
    sim_state.add_plans(plan(parcel, sim_state.seed, trouble_rate=TROUBLE_RATE if trouble else 0))
    return number


def shipment(platform, number: str):
    with platform.engine.connect() as conn:
        return conn.execute(
            select(t.shipments).where(t.shipments.c.tracking_number == number)
        ).first()


def polls_of(platform, number: str):
    with platform.engine.connect() as conn:
        return conn.execute(
            select(t.shipment_polls)
            .join(t.shipments, t.shipments.c.id == t.shipment_polls.c.id)
            .where(t.shipments.c.tracking_number == number)
        ).first()


def test_a_poll_moves_the_shipment_through_the_webhook_path(
    platform, merchant, simulator, sim_state
) -> None:
    simulated_account(platform, merchant.id, "ups", simulator.url)
    number = ship(platform, merchant.id, "ups", sim_state)
    poller = make_poller(platform)

    report = poll_round(poller)

    assert report.polled == 1 and not report.failed_accounts
    row = shipment(platform, number)
    assert row.status != ShipmentStatus.PENDING.value and row.event_count > 0
    with platform.engine.connect() as conn:
        sources = set(
            conn.execute(
                select(t.tracking_events.c.source).where(t.tracking_events.c.shipment_id == row.id)
            ).scalars()
        )
    assert sources == {"simulated"}
    poll = polls_of(platform, number)
    assert poll.polls == 1 and poll.next_attempt_at > platform.clock.now()
    # not due again yet: a second round claims nothing and stores nothing twice
    assert poll_round(poller).polled == 0
    platform.clock.advance(hours=4)
    again = poll_round(poller)
    assert again.polled == 1
    assert shipment(platform, number).event_count >= row.event_count


def test_cadence_follows_the_stage_and_stops_when_delivered(
    platform, merchant, simulator, sim_state
) -> None:
    simulated_account(platform, merchant.id, "usps", simulator.url)
    moving = ship(platform, merchant.id, "usps", sim_state, days_ago=0.6, seed=1, trouble=False)
    done = ship(platform, merchant.id, "usps", sim_state, days_ago=12, seed=2, trouble=False)
    poll_round(make_poller(platform))

    now = platform.clock.now()
    moving_row, moving_poll = shipment(platform, moving), polls_of(platform, moving)
    if moving_row.status == ShipmentStatus.IN_TRANSIT.value:
        assert moving_poll.next_attempt_at == now + timedelta(hours=1)
    elif moving_row.status == ShipmentStatus.OUT_FOR_DELIVERY.value:
        assert moving_poll.next_attempt_at == now + timedelta(minutes=15)
    assert shipment(platform, done).status == ShipmentStatus.DELIVERED.value
    stopped = polls_of(platform, done)
    assert stopped.processed_at is not None and stopped.stop_reason == "delivered"


def test_tenants_poll_only_with_their_own_accounts(
    platform, merchant, simulator, sim_state
) -> None:
    other = new_merchant(platform)
    simulated_account(platform, merchant.id, "ups", simulator.url)
    theirs = ship(platform, other.id, "ups", sim_state)  # the other merchant has no account
    mine = ship(platform, merchant.id, "ups", sim_state)
    poll_round(make_poller(platform))
    assert polls_of(platform, theirs) is None
    assert shipment(platform, theirs).event_count == 0
    assert polls_of(platform, mine).account_id is not None


def test_one_failing_carrier_never_slows_another(
    platform, merchant, simulator, sim_state, httpserver: HTTPServer
) -> None:
    def slow_failure(_: Request) -> Response:
        time.sleep(1.5)
        return Response('{"errors":[{"message":"down for maintenance"}]}', status=503)

    httpserver.expect_request("/ups/track/v1/shipments").respond_with_handler(slow_failure)
    simulated_account(platform, merchant.id, "ups", httpserver.url_for("/").rstrip("/"))
    simulated_account(platform, merchant.id, "fedex", simulator.url)
    broken = ship(platform, merchant.id, "ups", sim_state, seed=1)
    healthy = ship(platform, merchant.id, "fedex", sim_state, seed=2)

    poller = make_poller(platform)
    ingested_at: dict[str, float] = {}
    ingest = poller.ingest

    def timed(merchant_id, updates):
        ingested_at[updates[0].carrier] = time.monotonic()
        return ingest(merchant_id, updates)

    poller.ingest = timed
    start = time.monotonic()
    report = poll_round(poller)

    assert ingested_at["fedex"] - start < 1.0  # did not wait for UPS's 1.5 s failure
    assert shipment(platform, healthy).event_count > 0
    assert shipment(platform, broken).event_count == 0
    (error,) = report.failed_accounts.values()
    assert "ups" in error and "503" in error and "down for maintenance" in error
    with platform.engine.connect() as conn:
        accounts = {
            r.carrier: r
            for r in conn.execute(
                select(t.carrier_accounts).where(t.carrier_accounts.c.merchant_id == merchant.id)
            )
        }
    assert accounts["ups"].paused_until > platform.clock.now()
    assert accounts["ups"].failures == 1 and "503" in accounts["ups"].last_error
    assert accounts["fedex"].paused_until is None
    # the broken account's shipment waits for the back-off, the healthy one its cadence
    assert polls_of(platform, broken).next_attempt_at == accounts["ups"].paused_until
    assert poll_round(poller).polled == 0  # nothing due: UPS is backing off


def test_a_rate_limited_account_honours_retry_after(
    platform, merchant, sim_state, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/dhl/track/v1/shipments").respond_with_response(
        Response('{"errors":[{"message":"slow down"}]}', status=429, headers={"Retry-After": "600"})
    )
    simulated_account(platform, merchant.id, "dhl", httpserver.url_for("/").rstrip("/"))
    number = ship(platform, merchant.id, "dhl", sim_state)
    report = poll_round(make_poller(platform))
    assert "rate_limited" in next(iter(report.failed_accounts.values()))
    assert polls_of(platform, number).next_attempt_at == platform.clock.now() + timedelta(
        minutes=10
    )


def test_wrong_credentials_name_the_cause(platform, merchant, simulator, sim_state) -> None:
    simulated_account(platform, merchant.id, "ups", simulator.url, key="not-the-key")
    ship(platform, merchant.id, "ups", sim_state)
    report = poll_round(make_poller(platform))
    (error,) = report.failed_accounts.values()
    assert error.startswith("ups: auth:") and "401" in error


def test_two_workers_never_claim_the_same_shipment(platform, merchant, simulator, sim_state):
    simulated_account(platform, merchant.id, "ups", simulator.url)
    for i in range(30):
        ship(platform, merchant.id, "ups", sim_state, seed=100 + i)
    stores = [SqlPollStore(platform.engine, platform.keyring, platform.clock.now) for _ in range(4)]
    claims: list[list[str]] = [[] for _ in stores]

    def claim(i: int) -> None:
        claims[i] = [
            c.shipment_id for c in stores[i].claim(platform.clock.now(), timedelta(minutes=1), 10)
        ]

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(stores))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    every = [sid for c in claims for sid in c]
    assert len(every) == len(set(every)) and len(every) == 30


def test_no_carrier_call_is_made_inside_a_transaction(
    platform, merchant, simulator, sim_state
) -> None:
    from sqlalchemy import event

    open_tx: set[int] = set()
    lock = threading.Lock()

    def began(conn) -> None:
        with lock:
            open_tx.add(id(conn))

    def ended(conn) -> None:
        with lock:
            open_tx.discard(id(conn))

    engine = platform.engine
    event.listen(engine, "begin", began)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    try:
        simulated_account(platform, merchant.id, "ups", simulator.url)
        for i in range(3):
            ship(platform, merchant.id, "ups", sim_state, seed=500 + i)
        poller = make_poller(platform)
        make_gateway = poller.gateway_for
        seen: list[int] = []

        def watched(account):
            gateway = make_gateway(account)
            track = gateway.track

            def checked(numbers):
                with lock:
                    seen.append(len(open_tx))
                return track(numbers)

            gateway.track = checked
            return gateway

        poller.gateway_for = watched
        assert poll_round(poller).polled == 3
    finally:
        event.remove(engine, "begin", began)
        event.remove(engine, "commit", ended)
        event.remove(engine, "rollback", ended)
    assert seen and all(n == 0 for n in seen), seen
