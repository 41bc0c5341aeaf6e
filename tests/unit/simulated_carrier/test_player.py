"""Replaying plans: the player backfills history then follows simulated time, keeps what its
sink failed to take, and the HTTP sink signs, retries and gives up."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest

from postpurchase.adapters.carriers.simulated import Player, RejectedBatch, http_sink


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scan(at: datetime, i: int) -> dict[str, Any]:
    return {"id": f"e{i}", "occurred_at": at.isoformat()}


START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_player_backfills_history_then_follows_simulated_time() -> None:
    sent: list[list[dict[str, Any]]] = []
    clock = FakeClock()
    player = Player(sent.append, speed=3600, start=START, clock=clock, batch_size=2)
    offsets = [-50, -3, -1, 0.5, 1.5, 30, 2.5]  # hours from START, out of order
    player.add(scan(START + timedelta(hours=h), i) for i, h in enumerate(offsets))

    assert player.run_once() == 3  # the past, at once, in batches of 2
    assert [len(b) for b in sent] == [2, 1]
    clock.now += 1.0  # one wall second = one simulated hour
    assert player.run_once() == 1
    clock.now += 1.0
    assert player.run_once() == 1
    clock.now += 1.0
    assert player.run_once() == 1
    flat = [e["id"] for batch in sent for e in batch]
    assert flat == ["e0", "e1", "e2", "e3", "e4", "e6"]
    assert len(player) == 1
    clock.now += 100
    assert player.run_once() == 1 and len(player) == 0


def test_player_due_is_in_time_order_across_time_zones() -> None:
    player = Player(lambda _: None, speed=1, start=START, clock=FakeClock())
    tokyo, la = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
    player.add(
        [
            scan((START - timedelta(minutes=1)).astimezone(tokyo), 1),
            scan((START - timedelta(minutes=3)).astimezone(la), 2),
            scan(START - timedelta(minutes=2), 3),
        ]
    )
    assert [e["id"] for e in player.due(START)] == ["e2", "e3", "e1"]


def test_player_keeps_what_the_sink_failed_to_take() -> None:
    calls = 0

    def flaky(batch: list[dict[str, Any]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("down")

    player = Player(flaky, speed=1, start=START, clock=FakeClock(), batch_size=1)
    player.add(scan(START - timedelta(minutes=m), m) for m in (3, 2, 1))
    with pytest.raises(ConnectionError):
        player.run_once()
    assert player.sent == 1
    assert [e["id"] for e in player.due(START)] == ["e2", "e1"]


def test_player_drops_a_batch_the_sink_rejects_for_good() -> None:
    sent: list[str] = []

    def picky(batch: list[dict[str, Any]]) -> None:
        if batch[0]["id"] == "e2":
            raise RejectedBatch("413 too large", status_code=413)
        sent.extend(e["id"] for e in batch)

    player = Player(picky, speed=1, start=START, clock=FakeClock(), batch_size=1)
    player.add(scan(START - timedelta(minutes=m), m) for m in (3, 2, 1))
    assert player.run_once() == 2
    assert (sent, player.rejected, len(player)) == (["e3", "e1"], 1, 0)


def test_player_run_stops_when_asked() -> None:
    sent: list[dict[str, Any]] = []
    player = Player(sent.extend, speed=1, start=START)
    player.add([scan(START - timedelta(days=1), 1)])
    stop = threading.Event()
    worker = threading.Thread(target=player.run, args=(stop, 0.01))
    worker.start()
    stop.set()
    worker.join(timeout=2)
    assert not worker.is_alive()
    assert [e["id"] for e in sent] == ["e1"]


def test_http_sink_signs_and_retries_transient_errors() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503 if len(seen) == 1 else 200, json={"results": []})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sink = http_sink(
        "http://pp.test/webhooks/tracking/simulated", "s3cret", "key1", client=client, backoff=0
    )
    sink([{"id": "e1"}])
    assert len(seen) == 2
    request = seen[-1]
    assert orjson.loads(request.content) == {"events": [{"id": "e1"}]}
    assert request.headers["authorization"] == "Bearer key1"
    parts = dict(p.split("=", 1) for p in request.headers["x-postpurchase-signature"].split(","))
    expected = hmac.new(
        b"s3cret", f"{parts['t']}.".encode() + request.content, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)


def test_http_sink_gives_up_after_its_attempts() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sink = http_sink("http://pp.test/x", client=client, attempts=3, backoff=0)
    with pytest.raises(httpx.ConnectError):
        sink([{"id": "e1"}])
    assert calls == 3


def test_http_sink_does_not_retry_a_rejected_batch() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"title": "bad signature"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sink = http_sink("http://pp.test/webhooks/tracking/simulated", client=client, backoff=0)
    with pytest.raises(RejectedBatch) as raised:
        sink([{"id": "e1"}])
    assert raised.value.status_code == 401
    assert len(seen) == 1
    assert "x-postpurchase-signature" not in seen[0].headers
    assert "authorization" not in seen[0].headers
