"""The status machine: the state is a function of the *set* of events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.domain.shipments import Shipment
from postpurchase.domain.status import ShipmentStatus, Substatus
from postpurchase.domain.tracking import TrackingEvent, fold

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)


def ev(hours: float, status: ShipmentStatus, **kw: object) -> TrackingEvent:
    return TrackingEvent(occurred_at=T0 + timedelta(hours=hours), status=status, **kw)  # type: ignore[arg-type]


events_st = st.lists(
    st.builds(
        TrackingEvent,
        occurred_at=st.integers(0, 400).map(lambda h: T0 + timedelta(hours=h)),
        status=st.sampled_from(list(ShipmentStatus)),
        substatus=st.sampled_from([None, Substatus.DELAYED, Substatus.HUB_ARRIVAL]),
        carrier_code=st.sampled_from([None, "AR", "DP", "X9"]),
        recognised=st.booleans(),
        correction=st.booleans().map(lambda b: b and False),
    ),
    max_size=25,
)
with_corrections = st.lists(
    st.builds(
        TrackingEvent,
        occurred_at=st.integers(0, 400).map(lambda h: T0 + timedelta(hours=h)),
        status=st.sampled_from(list(ShipmentStatus)),
        recognised=st.booleans(),
        correction=st.booleans(),
    ),
    max_size=25,
)


@given(with_corrections, st.randoms())
@settings(max_examples=300)
def test_any_permutation_or_duplication_gives_the_same_state(events, rnd) -> None:
    shuffled = list(events) + [e for e in events if rnd.random() < 0.5]
    rnd.shuffle(shuffled)
    assert fold(shuffled) == fold(events)


@given(with_corrections, st.randoms(), st.integers(1, 6))
@settings(max_examples=300)
def test_incremental_batches_agree_with_the_full_fold(events, rnd, n_batches) -> None:
    """Feeding events in arbitrary batches (as webhooks do) ends where fold() ends."""
    order = list(events) + [e for e in events if rnd.random() < 0.3]
    rnd.shuffle(order)
    s = Shipment("s", "m", "o", "1Z", "ups", True, T0)
    stored: dict[str, TrackingEvent] = {}
    cuts = sorted(rnd.randint(0, len(order)) for _ in range(n_batches))
    for batch in [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]:
        fresh = []
        for e in batch:
            if e.fingerprint not in stored:
                stored[e.fingerprint] = e
                fresh.append(e)
        s.record(fresh, lambda: list(stored.values()))
    assert s.state.status == fold(events).status
    assert s.state.substatus == fold(events).substatus
    assert s.state.delivered_at == fold(events).delivered_at


@given(events_st)
def test_delivered_never_regresses_without_a_correction(events) -> None:
    delivered = ev(100, ShipmentStatus.DELIVERED)
    later = [
        TrackingEvent(
            occurred_at=e.occurred_at + timedelta(hours=200),
            status=e.status,
            recognised=e.recognised,
        )
        for e in events
    ]
    assert fold([delivered, *later]).status is ShipmentStatus.DELIVERED


def test_correction_moves_a_delivered_parcel_back() -> None:
    state = fold(
        [
            ev(1, ShipmentStatus.IN_TRANSIT),
            ev(5, ShipmentStatus.DELIVERED),
            ev(6, ShipmentStatus.IN_TRANSIT, correction=True, description="misdelivered"),
        ]
    )
    assert state.status is ShipmentStatus.IN_TRANSIT
    assert state.delivered_at is None


def test_late_scan_with_earlier_time_does_not_override_newer_state() -> None:
    state = fold([ev(10, ShipmentStatus.OUT_FOR_DELIVERY), ev(2, ShipmentStatus.IN_TRANSIT)])
    assert state.status is ShipmentStatus.OUT_FOR_DELIVERY


def test_late_delivered_scan_wins_over_a_later_in_transit() -> None:
    s = Shipment("s", "m", "o", "1Z", "ups", True, T0)
    a, b = ev(10, ShipmentStatus.IN_TRANSIT), ev(5, ShipmentStatus.DELIVERED)
    s.record([a], lambda: [a])
    s.record([b], lambda: [a, b])
    assert s.status is ShipmentStatus.DELIVERED


def test_unknown_code_maps_to_a_safe_status_and_is_counted() -> None:
    s = Shipment("s", "m", "o", "1Z", "ups", True, T0)
    odd = ev(1, ShipmentStatus.IN_TRANSIT, recognised=False, carrier_code="ZZ")
    s.record([odd], lambda: [odd])
    assert s.status is ShipmentStatus.IN_TRANSIT
    assert s.substatus == Substatus.UNRECOGNISED
    kinds = [type(e).__name__ for e in s.events]
    assert "UnrecognisedCarrierCode" in kinds
    # ... and never overrides a more advanced status
    ofd = ev(2, ShipmentStatus.OUT_FOR_DELIVERY)
    odd2 = ev(3, ShipmentStatus.IN_TRANSIT, recognised=False, carrier_code="ZY")
    s.record([ofd, odd2], lambda: [odd, ofd, odd2])
    assert s.status is ShipmentStatus.OUT_FOR_DELIVERY


def test_late_label_created_does_not_drag_a_moving_parcel_back() -> None:
    state = fold([ev(1, ShipmentStatus.IN_TRANSIT), ev(3, ShipmentStatus.INFO_RECEIVED)])
    assert state.status is ShipmentStatus.IN_TRANSIT


def test_status_change_events_carry_from_and_to() -> None:
    s = Shipment("s", "m", "o", "1Z", "ups", True, T0)
    e1, e2 = ev(1, ShipmentStatus.IN_TRANSIT), ev(9, ShipmentStatus.DELIVERED)
    s.record([e1, e2], lambda: [e1, e2])
    changed = [e for e in s.events if type(e).__name__ == "ShipmentStatusChanged"]
    assert len(changed) == 1  # a burst collapses into one transition
    assert (changed[0].from_status, changed[0].to_status) == ("pending", "delivered")
    assert any(type(e).__name__ == "ShipmentDelivered" for e in s.events)


def test_naive_timestamps_are_refused() -> None:
    import pytest

    from postpurchase.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        TrackingEvent(occurred_at=datetime(2026, 1, 1), status=ShipmentStatus.IN_TRANSIT)
    assert err.value.field == "occurred_at"


def test_stale_shipment_is_flagged_then_expires() -> None:
    s = Shipment("s", "m", "o", "1Z", "ups", True, T0)
    e = ev(1, ShipmentStatus.IN_TRANSIT)
    s.record([e], lambda: [e])
    now = T0 + timedelta(days=6)
    flag = s.stale_event(now, no_scan_after=timedelta(days=5), expire_after=timedelta(days=30))
    assert flag is not None and flag.substatus == Substatus.DELAYED
    s.record([flag], lambda: [e, flag])
    assert s.status is ShipmentStatus.EXCEPTION
    assert any(type(x).__name__ == "ShipmentDelayed" for x in s.events)
    again = s.stale_event(
        now + timedelta(hours=1), no_scan_after=timedelta(days=5), expire_after=timedelta(days=30)
    )
    assert again is None  # flagged once, not every sweep
    late = T0 + timedelta(days=31)
    gone = s.stale_event(late, no_scan_after=timedelta(days=5), expire_after=timedelta(days=30))
    assert gone is not None and gone.status is ShipmentStatus.EXPIRED


@given(with_corrections, st.randoms(), st.lists(st.sampled_from("aif"), max_size=12))
@settings(max_examples=300)
def test_deferred_folds_mixed_with_inline_count_every_event_once(events, rnd, plan) -> None:
    """ADR 0005: scans accepted now and folded later in arbitrary claims, interleaved with
    inline ingestion (which may re-fold history that still holds unfolded scans), end in
    exactly ``fold(all)``: no scan is stepped twice, none is lost."""
    feed = list(events) + [e for e in events if rnd.random() < 0.3]
    rnd.shuffle(feed)
    s = Shipment("s", "m", "o", "1Z", "ups", True, T0)
    stored: dict[str, TrackingEvent] = {}
    pending: list[TrackingEvent] = []

    def store(batch: list[TrackingEvent]) -> list[TrackingEvent]:
        return [stored.setdefault(e.fingerprint, e) for e in batch if e.fingerprint not in stored]

    for step in plan:
        if step == "f":  # a folder claims the oldest few queued scans
            k = rnd.randint(1, 4)
            claimed, pending[:] = pending[:k], pending[k:]
            s.record(claimed, lambda: list(stored.values()))
            continue
        n = rnd.randint(0, 4)
        batch, feed[:] = feed[:n], feed[n:]
        fresh = store(batch)
        if step == "a":  # deferred: stored and queued
            pending.extend(fresh)
        else:  # inline: stored and folded at once
            s.record(fresh, lambda: list(stored.values()))
    pending.extend(store(feed))
    s.record(pending, lambda: list(stored.values()))
    assert s.state == fold(stored.values())


def test_a_queued_scan_already_counted_by_an_inline_refold_is_not_stepped_again() -> None:
    s = Shipment("s", "m", "o", "1Z", "ups", True, T0)
    first, queued, late = (
        ev(1, ShipmentStatus.IN_TRANSIT),
        ev(10, ShipmentStatus.OUT_FOR_DELIVERY),
        ev(0, ShipmentStatus.INFO_RECEIVED),
    )
    s.record([first], lambda: [first])
    # ``queued`` is stored and waits for a folder; an inline batch brings a late scan, whose
    # re-fold reads every stored scan, ``queued`` included.
    s.record([late], lambda: [first, queued, late])
    assert s.state == fold([first, queued, late])
    s.record([queued], lambda: [first, queued, late])  # the folder's claim comes later
    assert s.state == fold([first, queued, late])
    assert s.state.event_count == 3
