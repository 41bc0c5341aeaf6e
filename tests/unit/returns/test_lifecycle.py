"""The return's state machine: only listed transitions, every step an event, units conserved."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.errors import Conflict, InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    TRANSITIONS,
    Grade,
    Resolution,
    Return,
    ReturnLine,
    ReturnStatus,
    returnable_quantities,
)
from postpurchase.domain.returns import events as ev
from postpurchase.domain.returns.lifecycle import held_quantities

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def make(resolution: Resolution = Resolution.REFUND, qty: int = 1, line_id: str = "L1") -> Return:
    usd = Money(Decimal("10"), "USD")
    return Return(
        id="r1", merchant_id="m1", order_id="o1", number="R-1", currency="USD",
        lines=[ReturnLine(line_id, "MUG", qty, "too_small", usd, "window")],
        resolution=resolution, refund=usd, bonus=Money.zero("USD"), fees=Money.zero("USD"),
        policy_version=1, created_at=T0,
    )  # fmt: skip


def test_the_happy_path_raises_one_event_per_step() -> None:
    r = make()
    r.approve(T0, automatic=True)
    r.issue_label(T0, "usps", "9400100000000000000000")
    r.ship(T0)
    r.receive(T0)
    r.inspect(T0, {"L1": Grade.RESELLABLE}, {"L1": "as new"})
    r.put_away(T0)
    r.resolve(T0, "ledger:1")
    assert r.status is ReturnStatus.REFUNDED
    kinds = [type(e) for e in r.events]
    assert kinds == [
        ev.ReturnApproved, ev.ReturnLabelIssued, ev.ReturnInTransit, ev.ReturnReceived,
        ev.ReturnInspected, ev.ReturnItemRestocked, ev.ReturnRefunded,
    ]  # fmt: skip
    assert [s for s, _ in r.history][-1] is ReturnStatus.REFUNDED


def test_damaged_goods_are_disposed_and_credit_is_credited() -> None:
    r = make(Resolution.STORE_CREDIT)
    r.approve(T0)
    r.receive(T0)  # at a counter: no label
    r.inspect(T0, {"L1": Grade.DAMAGED})
    r.put_away(T0)
    assert r.status is ReturnStatus.DISPOSED
    r.resolve(T0, "ledger:2")
    assert r.status is ReturnStatus.CREDITED
    assert isinstance(r.events[-1], ev.ReturnCredited)


def test_keep_it_skips_the_parcel() -> None:
    r = make(Resolution.KEEP_IT)
    r.approve(T0)
    with pytest.raises(Conflict):
        r.issue_label(T0, None, None)
    r.resolve(T0, "ledger:3")
    assert r.status is ReturnStatus.REFUNDED


def test_no_refund_before_the_goods_are_put_away() -> None:
    r = make()
    r.approve(T0)
    with pytest.raises(Conflict):
        r.resolve(T0, "x")
    r.receive(T0)
    with pytest.raises(InvalidInput):
        r.inspect(T0, {"L2": Grade.RESELLABLE})  # not a line of this return
    with pytest.raises(InvalidInput):
        r.inspect(T0, {})


def test_returnable_quantities_never_go_below_zero() -> None:
    assert returnable_quantities({"a": 2, "b": 1}, {"a": 3}) == {"a": 0, "b": 1}


STEPS = ["approve", "reject", "label", "ship", "receive", "inspect", "put_away", "resolve"]


def _apply(r: Return, step: str, at: datetime) -> None:
    match step:
        case "approve":
            r.approve(at)
        case "reject":
            r.reject(at, "not ours")
        case "label":
            r.issue_label(at, "ups", "1Z")
        case "ship":
            r.ship(at)
        case "receive":
            r.receive(at)
        case "inspect":
            r.inspect(at, {"L1": Grade.REFURBISH})
        case "put_away":
            r.put_away(at)
        case "resolve":
            r.resolve(at, "ref")


@given(
    steps=st.lists(st.sampled_from(STEPS), max_size=12),
    resolution=st.sampled_from(list(Resolution)),
    qty=st.integers(1, 5),
)
def test_any_sequence_of_steps_only_takes_listed_transitions(
    steps: list[str], resolution: Resolution, qty: int
) -> None:
    r = make(resolution, qty)
    for i, step in enumerate(steps):
        before, n_events = r.status, len(r.events)
        try:
            _apply(r, step, T0 + timedelta(minutes=i))
        except (Conflict, InvalidInput):
            assert r.status is before and len(r.events) == n_events  # nothing changed
            continue
        assert r.status in TRANSITIONS[before]
        assert len(r.events) > n_events  # every step is an event
        assert sum(line.quantity for line in r.lines) == qty  # units conserved
    path = [s for s, _ in r.history]
    assert all(b in TRANSITIONS[a] for a, b in itertools.pairwise(path))


@given(
    delivered=st.integers(1, 10),
    asks=st.lists(st.tuples(st.integers(1, 10), st.booleans()), max_size=8),
)
def test_several_returns_never_hold_more_than_was_delivered(
    delivered: int, asks: list[tuple[int, bool]]
) -> None:
    """Each new return is allowed only what is left; rejected returns give their units back."""
    existing: list[Return] = []
    for i, (want, rejected) in enumerate(asks):
        left = returnable_quantities({"L1": delivered}, held_quantities(existing))["L1"]
        if want > left:
            continue  # the service refuses it (decisions: rule "quantity")
        r = make(qty=want)
        r.id = f"r{i}"
        if rejected:
            r.reject(T0, "no")
        existing.append(r)
        assert held_quantities(existing).get("L1", 0) <= delivered


def test_restocked_units_carry_the_location_and_a_bad_code_is_refused() -> None:
    r = make()
    r.approve(T0)
    r.receive(T0)
    r.inspect(T0, {"L1": Grade.REFURBISH})
    with pytest.raises(InvalidInput) as bad:
        r.put_away(T0, location="shelf 4")
    assert bad.value.field == "location"
    assert r.status is ReturnStatus.INSPECTED  # nothing moved
    assert r.lines[0].location is None
    r.put_away(T0, location="WH-1")
    restocked = [e for e in r.events if isinstance(e, ev.ReturnItemRestocked)]
    assert [(e.line_id, e.location) for e in restocked] == [("L1", "WH-1")]
    assert r.lines[0].location == "WH-1"  # kept on the line, not only in the event


def test_a_disposed_line_keeps_no_location() -> None:
    r = make()
    r.approve(T0)
    r.receive(T0)
    r.inspect(T0, {"L1": Grade.DAMAGED})
    r.put_away(T0, location="WH-1")
    assert r.status is ReturnStatus.DISPOSED and r.lines[0].location is None
