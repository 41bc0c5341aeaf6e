"""A send whose outcome is unknown -- claimed (committed before the provider call), never
recorded, because the sender died between the call and the commit -- is the one case in
which a message goes out again: as the same message (same Message-ID, same webhook
delivery id), and counted. In-memory fakes; the real thing under kill -9 is tests/faults."""

from __future__ import annotations

from typing import Any

import pytest

from postpurchase.domain.notifications import MessageStatus
from postpurchase.service_layer.notification_ports import (
    DeliveryError,
    OutgoingEmail,
    OutgoingSms,
    WebhookRequest,
)
from tests.unit.notifications.test_notify_send_claims import Crash, World


def _recording(w: World) -> list[Any]:
    """Every email, SMS and webhook request the provider was handed, in order."""
    seen: list[Any] = []
    send, post = w.remote.send, w.remote.post

    def sending(message: OutgoingEmail | OutgoingSms) -> str | None:
        seen.append(message)
        return send(message)

    def posting(request: WebhookRequest) -> int:
        seen.append(request)
        return post(request)

    w.remote.send = sending  # type: ignore[method-assign]
    w.remote.post = posting  # type: ignore[method-assign]
    return seen


def _crash() -> None:
    raise Crash()  # kill -9 after the provider took it, before our commit


def _lease_ends(w: World) -> None:
    w.clock.advance(seconds=w.svc.config.send_lease.total_seconds() + 1)


def test_an_unknown_outcome_is_re_sent_once_as_the_same_message_and_counted() -> None:
    w = World()
    seen = _recording(w)
    w.remote.during = _crash
    with pytest.raises(Crash):
        w.placed()
    m = w.email()
    assert m.status is MessageStatus.QUEUED and m.reason == "sending via remote (attempt 1)"
    assert m.attempts == 0 and m.unknown_outcomes == 0  # the claim is the send record

    _lease_ends(w)
    claimed: list[str] = []
    w.remote.during = lambda: claimed.append(w.email().reason)
    w.svc.deliver_message(m.id)
    assert claimed == [
        "sending via remote (attempt 2, re-sent: the outcome of attempt 1 is unknown)"
    ]
    m = w.email()
    assert m.status is MessageStatus.SENT
    assert m.attempts == 2 and m.unknown_outcomes == 1
    assert m.reason == (
        "sent via remote (attempt 2); outcome unknown for 1 earlier attempt: possibly "
        "received twice (same Message-ID)"
    )
    first, again = [e for e in seen if isinstance(e, OutgoingEmail)]
    assert first == again  # same message id (so the same Message-ID header), same content

    w.run()  # its due row finds it sent: nothing more
    assert len([e for e in seen if isinstance(e, OutgoingEmail)]) == 2


def test_a_recorded_outcome_is_never_re_sent_as_unknown() -> None:
    w = World()
    w.remote.failure = DeliveryError("421 try later", permanent=False)
    w.placed()  # failed, and recorded: a plain retry, not an unknown outcome
    m = w.email()
    assert m.status is MessageStatus.QUEUED and m.reason.startswith("queued: attempt 2")
    w.remote.failure = None
    w.clock.advance(hours=1)
    w.run()
    m = w.email()
    assert m.status is MessageStatus.SENT and m.attempts == 2 and m.unknown_outcomes == 0
    assert m.reason == "sent via remote (attempt 2)"


def test_every_crash_counts_once() -> None:
    w = World()
    w.remote.during = _crash
    with pytest.raises(Crash):
        w.placed()
    for _ in range(2):  # the re-send dies the same way, twice
        _lease_ends(w)
        w.remote.during = _crash
        with pytest.raises(Crash):
            w.svc.deliver_message(w.email().id)
    _lease_ends(w)
    w.svc.deliver_message(w.email().id)
    m = w.email()
    assert m.status is MessageStatus.SENT and m.attempts == 4 and m.unknown_outcomes == 3
    assert "outcome unknown for 3 earlier attempts" in m.reason


def test_an_unknown_outcome_still_counts_when_the_message_is_no_longer_sent() -> None:
    w = World()
    w.remote.during = _crash
    with pytest.raises(Crash):
        w.placed()
    w.svc.set_opt_out(w.merchant.id, w.email().channel, w.email().recipient or "", True)
    _lease_ends(w)
    w.svc.deliver_message(w.email().id)
    m = w.email()
    assert m.status is MessageStatus.SUPPRESSED and m.unknown_outcomes == 1


def test_a_webhook_whose_outcome_is_unknown_goes_again_with_the_same_delivery_id() -> None:
    w = World()
    seen = _recording(w)
    w.svc.create_endpoint(w.merchant.id, "https://hooks.example/pp", ["order.placed"])
    w.placed()
    [d] = w.state.deliveries.values()
    w.remote.during = _crash
    with pytest.raises(Crash):
        w.run()
    _lease_ends(w)
    w.svc.deliver_webhook(d.id)
    [d] = w.state.deliveries.values()
    assert d.status is MessageStatus.SENT and d.attempts == 2 and d.unknown_outcomes == 1
    assert d.reason.endswith("possibly received twice (same Idempotency-Key)")
    first, again = [r for r in seen if isinstance(r, WebhookRequest)]
    assert first.delivery_id == again.delivery_id == d.id and first.body == again.body
