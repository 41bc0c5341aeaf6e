"""Sending happens with no transaction open: claim (commit), send, record (commit). These
check the rule itself for every channel, and what the claim means for concurrent and
crashed senders. In-memory fakes; no I/O."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.domain.notifications import Channel, MessageStatus
from postpurchase.service_layer.notification_ports import (
    DeliveryError,
    OutgoingEmail,
    OutgoingSms,
    WebhookRequest,
)
from postpurchase.service_layer.notifications import (
    Channels,
    InFlight,
    NotificationService,
    ServiceConfig,
)
from tests.fakes import FakeClock
from tests.notify_support import InMemoryUoW, State, merchant, order, run_due, shipment

NOON_NY = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


class Crash(BaseException):
    """The process dies (kill -9) in the middle of a send."""


@dataclass
class Open:
    transactions: int = 0


class TrackedUoW(InMemoryUoW):
    def __init__(self, state: State, open_: Open) -> None:
        super().__init__(state)
        self.open = open_

    def __enter__(self) -> TrackedUoW:
        self.open.transactions += 1
        super().__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        self.open.transactions -= 1


@dataclass
class Remote:
    """Every channel at once; records whether a transaction was open while it was called,
    and runs ``during`` (another worker, a crash) in the middle of the call."""

    open_: Open
    name: str = "remote"
    calls: list[tuple[str, int]] = field(default_factory=list)
    during: Callable[[], None] | None = None
    failure: DeliveryError | None = None

    def _call(self, what: str) -> None:
        self.calls.append((what, self.open_.transactions))
        if self.during is not None:
            during, self.during = self.during, None
            during()
        if self.failure is not None:
            raise self.failure

    def send(self, message: OutgoingEmail | OutgoingSms) -> str | None:
        self._call("email" if isinstance(message, OutgoingEmail) else "sms")
        return "<id@remote>"

    def post(self, request: WebhookRequest) -> int:
        self._call("webhook")
        return 200

    def notify(self, urls: Sequence[str], title: str, body: str) -> None:
        self._call("ops")


class World:
    def __init__(self, **config: Any) -> None:
        self.state = State()
        self.open = Open()
        self.clock = FakeClock(NOON_NY)
        self.remote = Remote(self.open)
        self.merchant = merchant(settings={"notifications": {"quiet_hours": None}})
        self.state.merchants[self.merchant.id] = self.merchant
        self.order = order(self.merchant.id, placed_at=NOON_NY)
        self.state.orders[self.order.id] = self.order
        self.shipment = shipment(self.order, created_at=NOON_NY)
        self.state.shipments[self.shipment.id] = self.shipment
        r = self.remote
        self.svc = NotificationService(
            lambda: TrackedUoW(self.state, self.open),
            self.clock,
            JinjaRenderer(),
            Channels(email=r, sms=r, webhooks=r, ops=r),  # type: ignore[arg-type]
            ServiceConfig(base_url="https://shop.test", ops_urls=("json://ops",), **config),
        )

    def placed(self) -> None:
        self.state.event_times[1] = self.clock.now()
        payload = {"merchant_id": self.merchant.id, "order_id": self.order.id}
        self.svc.handle(1, "OrderPlaced", payload)

    def run(self) -> None:
        run_due(self.svc, self.state, self.clock.now())

    def email(self) -> Any:
        [m] = [m for m in self.state.messages.values() if m.channel is Channel.EMAIL]
        return m


def test_no_channel_is_called_inside_a_transaction() -> None:
    w = World()
    w.svc.create_endpoint(w.merchant.id, "https://hooks.example/pp", ["*"])
    w.placed()
    w.svc.handle(
        2,
        "ShipmentStatusChanged",
        {"merchant_id": w.merchant.id, "order_id": w.order.id, "shipment_id": w.shipment.id,
         "from_status": "in_transit", "to_status": "out_for_delivery",
         "occurred_at": NOON_NY.isoformat()},
    )  # fmt: skip
    w.svc.handle(
        3,
        "ShipmentException",
        {"merchant_id": w.merchant.id, "order_id": w.order.id, "shipment_id": w.shipment.id,
         "substatus": "lost", "occurred_at": NOON_NY.isoformat()},
    )  # fmt: skip
    w.clock.advance(minutes=30)
    w.run()
    kinds = {what for what, _ in w.remote.calls}
    assert kinds == {"email", "sms", "webhook", "ops"}
    assert [open_ for _, open_ in w.remote.calls] == [0] * len(w.remote.calls)


def test_a_second_worker_finds_the_message_being_sent_and_retries_later() -> None:
    w = World()
    seen: list[BaseException] = []

    def second_worker() -> None:
        assert w.email().status is MessageStatus.QUEUED
        assert w.email().reason.startswith("sending via remote")
        with pytest.raises(InFlight) as err:
            w.svc.deliver_message(w.email().id)
        seen.append(err.value)

    w.remote.during = second_worker
    w.placed()  # urgent: sent straight after planning
    assert len(seen) == 1 and len(w.remote.calls) == 1
    m = w.email()
    assert m.status is MessageStatus.SENT and m.attempts == 1
    w.run()  # its due row finds it sent
    assert len(w.remote.calls) == 1


def test_a_crash_mid_send_leaves_the_message_due_again_when_the_lease_ends() -> None:
    w = World()

    def crash() -> None:
        raise Crash()

    w.remote.during = crash
    with pytest.raises(Crash):
        w.placed()
    m = w.email()
    assert m.status is MessageStatus.QUEUED and m.reason.startswith("sending")
    due = [row for row in w.state.scheduled if row[2] == {"message_id": m.id}]
    assert due  # its due row is still there
    with pytest.raises(InFlight):  # within the lease: the outbox retries the row later
        w.svc.deliver_message(m.id)
    w.clock.advance(seconds=w.svc.config.send_lease.total_seconds() + 1)
    w.svc.deliver_message(m.id)
    m = w.email()
    assert m.status is MessageStatus.SENT and len(w.remote.calls) == 2


def test_a_message_superseded_while_on_the_wire_is_recorded_as_sent() -> None:
    w = World()

    def cancelled_meanwhile() -> None:
        w.svc.handle(9, "OrderCancelled", {"merchant_id": w.merchant.id, "order_id": w.order.id})
        assert w.email().status is MessageStatus.SUPPRESSED

    w.remote.during = cancelled_meanwhile
    w.placed()
    assert w.email().status is MessageStatus.SENT  # it did go out


def test_a_failed_send_is_recorded_only_if_the_claim_is_still_ours() -> None:
    w = World()
    w.remote.failure = DeliveryError("421 try later", permanent=False)

    def cancelled_meanwhile() -> None:
        w.svc.handle(9, "OrderCancelled", {"merchant_id": w.merchant.id, "order_id": w.order.id})

    w.remote.during = cancelled_meanwhile
    w.placed()
    m = w.email()
    assert m.status is MessageStatus.SUPPRESSED and m.reason == "order was cancelled"
    w.remote.during = None
    w2 = World()
    w2.remote.failure = DeliveryError("421 try later", permanent=False)
    w2.placed()
    m2 = w2.email()
    assert m2.status is MessageStatus.QUEUED and m2.reason.startswith("queued: attempt 2")
    assert m2.attempts == 1 and m2.last_error == "421 try later"


def test_a_webhook_being_posted_is_not_posted_twice() -> None:
    w = World()
    w.svc.create_endpoint(w.merchant.id, "https://hooks.example/pp", ["order.placed"])
    seen: list[InFlight] = []

    def second_worker() -> None:
        [d] = w.state.deliveries.values()
        with pytest.raises(InFlight) as err:
            w.svc.deliver_webhook(d.id)
        seen.append(err.value)

    w.placed()
    w.remote.during = second_worker
    w.run()
    [d] = w.state.deliveries.values()
    assert d.status is MessageStatus.SENT and d.attempts == 1 and len(seen) == 1
    assert [what for what, _ in w.remote.calls].count("webhook") == 1


def test_a_slow_send_keeps_its_claim_alive_and_a_dead_one_lets_go() -> None:
    """The claim is short (a dead sender's message is due again within ``send_lease``) and
    renewed every ``send_beat`` while the provider call lasts (a living one keeps it)."""
    w = World(send_lease=timedelta(seconds=15), send_beat=timedelta(milliseconds=10))
    seen: list[InFlight] = []

    def slow_provider() -> None:
        w.clock.advance(seconds=60)  # far past the first lease
        deadline = time.monotonic() + 5
        while w.email().next_attempt_at <= w.clock.now() and time.monotonic() < deadline:
            time.sleep(0.01)  # the beat renews it (in its own transaction)
        assert w.email().next_attempt_at == w.clock.now() + timedelta(seconds=15)
        with pytest.raises(InFlight) as err:  # so nobody else sends it meanwhile
            w.svc.deliver_message(w.email().id)
        seen.append(err.value)

    w.remote.during = slow_provider
    w.placed()
    m = w.email()
    assert m.status is MessageStatus.SENT and m.attempts == 1 and len(seen) == 1
    assert [what for what, _ in w.remote.calls] == ["email"]
