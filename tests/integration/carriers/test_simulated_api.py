"""The simulated carrier's HTTP API through its gateway: the carrier port end to end over
HTTP (tracking in batches, rates with dimensional weight, labels bought once per
idempotency key, void, address checks, pickups) and its seeded faults."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest

from postpurchase.adapters.carriers.simulated import SimParcel, tracking_number
from postpurchase.adapters.carriers.simulated.api import Faults, SimulatorState
from postpurchase.adapters.carriers.simulated.client import SimulatedGateway
from postpurchase.adapters.carriers.simulated.server import start_in_thread
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    CarrierError,
    LabelFormat,
    LabelRequest,
    Parcel,
    PickupRequest,
    RateRequest,
)
from tests.integration.carriers.conftest import SIM_KEY

ORIGIN = Address("US", "43215", "OH", "Columbus", "500 Commerce Way")
DEST = Address("US", "94103", "CA", "San Francisco", "1 Market St")


@pytest.fixture
def ups(simulator) -> SimulatedGateway:
    return SimulatedGateway("ups", simulator.url, SIM_KEY)


def test_tracking_in_batches_lists_unknown_numbers(ups, sim_state, clock) -> None:
    known = tracking_number("ups", random.Random(1))
    sim_state.add_parcel(
        SimParcel(known, "ups", "ground", ORIGIN, DEST, clock.now() - timedelta(days=2))
    )
    batch = ups.track([known, "1Z999AA10123456784"])
    (result,) = batch.results
    assert result.tracking_number == known and result.scans
    times = [s.occurred_at for s in result.scans]
    assert times == sorted(times, reverse=True)  # newest first, as carriers list them
    assert all(s.event_id and s.kind for s in result.scans)
    assert [(p.tracking_number, p.code) for p in batch.problems] == [
        ("1Z999AA10123456784", "NOT_FOUND")
    ]
    with pytest.raises(ValueError):
        ups.track(["x"] * 51)


def test_rates_bill_dimensional_weight_in_whole_kilograms(ups) -> None:
    light_big = Parcel(500, Decimal(40), Decimal(30), Decimal(30))  # 36,000 cm3 / 5000 = 7.2 kg
    small = Parcel(500)
    big = {q.service: q for q in ups.rate(RateRequest(ORIGIN, DEST, (light_big,)))}
    little = {q.service: q for q in ups.rate(RateRequest(ORIGIN, DEST, (small,)))}
    assert set(big) == {"ground", "express", "same_day"}
    for service, quote in big.items():
        assert quote.price.currency == "USD" and quote.price.amount == quote.price.amount.quantize(
            Decimal("0.01")
        )
        assert quote.price.amount > little[service].price.amount  # billed as 8 kg, not 1 kg
        assert quote.delivery_date is not None
    assert big["express"].delivery_date <= big["ground"].delivery_date


def test_a_label_is_bought_once_per_idempotency_key_and_tracks(ups) -> None:
    request = LabelRequest(
        ORIGIN, DEST, (Parcel(900),), "ground", idempotency_key="order-1001-parcel-1"
    )
    first = ups.buy_label(request)
    again = ups.buy_label(request)
    assert again.tracking_number == first.tracking_number and again.label_id == first.label_id
    assert first.document.startswith(b"%PDF-") and first.price.amount > 0
    zpl = ups.buy_label(
        LabelRequest(ORIGIN, DEST, (Parcel(900),), "express", "order-1002",
                     label_format=LabelFormat.ZPL)
    )  # fmt: skip
    assert zpl.document.startswith(b"^XA") and zpl.tracking_number != first.tracking_number
    ups.void_label(first)
    with pytest.raises(CarrierError) as twice:
        ups.void_label(first)
    assert twice.value.failure.value == "rejected" and "404" in twice.value.message


def test_address_check_suggests_a_correction(simulator) -> None:
    canada_post = SimulatedGateway("canada_post", simulator.url, SIM_KEY)
    check = canada_post.validate_address(Address("CA", "k1a0b1", "ON", "Ottawa"))
    assert not check.valid and check.suggestion is not None
    assert check.suggestion.postal_code == "K1A 0B1"
    assert canada_post.validate_address(Address("CA", "K1A 0B1", "ON", "Ottawa")).valid


def test_pickup_is_confirmed(ups, clock) -> None:
    ready = clock.now() + timedelta(days=1)
    pickup = ups.schedule_pickup(PickupRequest(ORIGIN, ready, ready + timedelta(hours=4)))
    assert pickup.confirmation and pickup.pickup_date == ready.date()


def test_faults_are_seeded_and_named(clock) -> None:
    state = SimulatorState(
        seed=3, api_keys=frozenset({SIM_KEY}), clock=clock.now,
        faults=Faults(latency_ms=1, latency_sigma=0.1, throttle_rate=0.3, error_rate=0.2),
    )  # fmt: skip
    running = start_in_thread(state)
    try:
        gw = SimulatedGateway("dhl", running.url, SIM_KEY)
        outcomes = []
        for _ in range(40):
            try:
                gw.check()
                outcomes.append("ok")
            except CarrierError as exc:
                outcomes.append(exc.failure.value)
                if exc.failure.value == "rate_limited":
                    assert exc.retry_after == 1.0
        assert {"ok", "rate_limited", "unavailable"} <= set(outcomes)
    finally:
        running.stop()
    # the same seed draws the same faults
    replay = SimulatorState(seed=3, faults=state.faults)
    first = [replay.draw()[1] for _ in range(40)]
    again = SimulatorState(seed=3, faults=state.faults)
    assert [again.draw()[1] for _ in range(40)] == first
