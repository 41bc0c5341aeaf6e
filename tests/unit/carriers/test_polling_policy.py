"""The polling cadence and back-off (pure domain), as properties, and the per-account rate
limiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from postpurchase.adapters.carriers.limits import TokenBuckets
from postpurchase.domain.carriers import FINAL, PollPolicy, backoff, next_poll
from postpurchase.domain.status import ShipmentStatus as S

T = datetime(2026, 11, 20, 12, tzinfo=UTC)
POLICY = PollPolicy()
statuses = st.sampled_from(list(S))
ages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))


@given(statuses, ages)
def test_polls_stop_only_when_final_or_idle(status: S, age: timedelta) -> None:
    at = next_poll(POLICY, status, T - age, T)
    idle = age >= timedelta(days=POLICY.idle_days)
    assert (at is None) == (status in FINAL or idle)
    if at is not None:
        assert T < at <= T + max(POLICY.pre_transit, POLICY.in_transit, POLICY.trouble)


def test_the_cadence_follows_the_stage() -> None:
    moved = T - timedelta(hours=2)
    assert next_poll(POLICY, S.IN_TRANSIT, moved, T) == T + timedelta(hours=1)
    assert next_poll(POLICY, S.OUT_FOR_DELIVERY, moved, T) == T + timedelta(minutes=15)
    assert next_poll(POLICY, S.INFO_RECEIVED, moved, T) == T + timedelta(hours=4)
    assert next_poll(POLICY, S.ATTEMPT_FAILED, moved, T) == T + timedelta(hours=1)
    assert next_poll(POLICY, S.DELIVERED, moved, T) is None
    assert next_poll(POLICY, S.IN_TRANSIT, T - timedelta(days=14), T) is None


@given(st.integers(min_value=1, max_value=200), st.none() | st.floats(0, 100_000))
def test_backoff_grows_is_capped_and_honours_retry_after(failures: int, retry: float | None):
    wait = backoff(POLICY, failures, retry)
    assert POLICY.backoff_base <= wait <= POLICY.backoff_max
    assert wait >= backoff(POLICY, max(1, failures - 1), retry)
    if retry is not None:
        assert wait >= min(timedelta(seconds=retry), POLICY.backoff_max)


def test_backoff_doubles() -> None:
    assert [backoff(POLICY, n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


def test_a_throttled_account_never_waits_for_another() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    buckets = TokenBuckets(burst=1, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        buckets.acquire("ups:a", rate=2.0)  # 2 per second: the 2nd and 3rd wait 0.5 s each
    assert slept == [0.5, 0.5]
    buckets.acquire("fedex:b", rate=2.0)  # another account: its first call waits for nothing
    assert slept == [0.5, 0.5]
