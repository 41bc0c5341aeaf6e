"""Sending in batches (ADR 0033): the messages due after one planning run go out over one
SMTP connection, with one claim transaction for all and their outcomes recorded as they come
in. What must not change: one recipient's refusal fails that message alone, and a crash
anywhere in the batch loses nothing -- every claimed message whose outcome was not recorded
is re-sent once, with the same Message-ID, and counted.

A real SMTP server (aiosmtpd on loopback) records each accepted Message-ID with the
connection (client port) it came over; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import chain
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from postpurchase.adapters.db.leases import LEASE
from postpurchase.adapters.notifications.demo_smtp import free_port
from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.adapters.notifications.wiring import channels_from
from postpurchase.service_layer.notification_ports import (
    DeliveryError,
    OutgoingEmail,
    SendOutcome,
)
from postpurchase.service_layer.notifications import Channels
from tests.factories import place_order
from tests.integration.notifications.conftest import Notify, make_notify, quiet_settings
from tests.notify_support import RefusesNobody, message_id_in


class _Recorder(RefusesNobody):
    """Accepts every message except for ``nobody@``; notes (connection, Message-ID)."""

    def __init__(self) -> None:
        self.accepted: list[tuple[Any, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mid = message_id_in(envelope.content)
        with self.lock:
            self.accepted.append((session.peer, mid))
        return "250 OK"

    def connections(self) -> int:
        return len({peer for peer, _ in self.accepted})

    def counts(self) -> Counter[str]:
        return Counter(mid for _, mid in self.accepted)


@pytest.fixture
def server() -> Iterator[tuple[_Recorder, str]]:
    recorder, port = _Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, f"smtp://127.0.0.1:{port}?timeout=5"
    controller.stop()


def _email(n: int, to: str) -> OutgoingEmail:
    return OutgoingEmail(f"m{n}", to, "Acme", None, None, "Hi", "text", None, None, {})


def test_many_messages_go_over_one_connection_and_a_refused_recipient_fails_alone(
    server: tuple[_Recorder, str],
) -> None:
    recorder, url = server
    channel = SmtpEmailChannel(url, "shop@acme.example")
    tos = [f"a{i}@example.com" for i in range(6)]
    tos[2] = "nobody@example.com"
    outcomes = list(channel.send_many([_email(i, to) for i, to in enumerate(tos)]))
    assert [err is None for _, err in outcomes] == [True, True, False, True, True, True]
    error = outcomes[2][1]
    assert error is not None and error.permanent and error.status_code == 550
    assert [pid for pid, _ in outcomes if pid] == [f"<m{i}@acme.example>" for i in (0, 1, 3, 4, 5)]
    assert recorder.connections() == 1 and len(recorder.accepted) == 5


def test_the_next_batch_goes_over_the_connection_the_last_one_left_open(
    server: tuple[_Recorder, str],
) -> None:
    recorder, url = server
    channel = SmtpEmailChannel(url, "shop@acme.example")
    for batch in range(3):
        outcomes = list(channel.send_many([_email(batch, f"a{batch}@example.com")]))
        assert outcomes == [(f"<m{batch}@acme.example>", None)]
    assert recorder.connections() == 1 and len(recorder.accepted) == 3
    once = SmtpEmailChannel(url + "&keep=0", "shop@acme.example")  # keep nothing
    for batch in range(2):
        list(once.send_many([_email(10 + batch, "b@example.com")]))
    assert recorder.connections() == 3


def test_a_kept_connection_the_server_dropped_is_replaced_and_nothing_goes_twice() -> None:
    recorder, port = _Recorder(), free_port()
    url = f"smtp://127.0.0.1:{port}?timeout=5&keep=60"
    channel = SmtpEmailChannel(url, "shop@acme.example")
    for batch in range(2):
        # a server restart drops every connection, the kept one included
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            outcomes = list(channel.send_many([_email(batch, "a@example.com")]))
        finally:
            controller.stop()
        assert outcomes == [(f"<m{batch}@acme.example>", None)]
    assert recorder.counts() == {"<m0@acme.example>": 1, "<m1@acme.example>": 1}
    assert recorder.connections() == 2


def test_an_unreachable_server_fails_the_first_and_the_rest_are_not_pulled() -> None:
    channel = SmtpEmailChannel(f"smtp://127.0.0.1:{free_port()}?timeout=2", "shop@acme.example")
    pulled: list[int] = []

    def emails() -> Iterator[OutgoingEmail]:
        for i in range(3):
            pulled.append(i)
            yield _email(i, f"a{i}@example.com")

    [(provider_id, error)] = list(channel.send_many(emails()))
    assert provider_id is None and error is not None and error.connection
    assert not error.permanent and pulled == [0]


def _notify(engine: Engine, url: str, channels: Channels | None = None) -> Notify:
    return make_notify(engine, quiet_settings(smtp_url=url), channels)


def test_a_planning_runs_urgent_mails_share_one_connection_and_one_refusal_fails_alone(
    engine: Engine, server: tuple[_Recorder, str]
) -> None:
    recorder, url = server
    notify = _notify(engine, url)
    notify.service.config = replace(notify.service.config, send_chunk=2)  # 3 claims, 1 link
    bus = notify.platform.bus()
    for i in range(6):
        extra = {"email": "nobody@example.com"} if i == 3 else {}
        bus.handle(place_order(notify.merchant.id, **extra))
    notify.drain()
    rows = notify.messages(flow="order_confirmed", channel="email")
    assert Counter(r["status"] for r in rows) == {"sent": 5, "failed": 1}
    [failed] = [r for r in rows if r["status"] == "failed"]
    assert failed["recipient"] == "nobody@example.com" and "550" in failed["reason"]
    sent = {r["provider_id"] for r in rows if r["status"] == "sent"}
    assert set(recorder.counts()) == sent and set(recorder.counts().values()) == {1}
    assert recorder.connections() == 1


class _Killed(BaseException):
    """kill -9 of the worker in the middle of a batch."""


class _DiesMidBatch:
    """The real SMTP channel; the process dies once, after ``after`` of a batch's messages
    were accepted by the server (0: between the batch's claim commit and the first send)."""

    def __init__(self, real: Any, after: int) -> None:
        self.real, self.name, self.after, self.deaths = real, real.name, after, 1

    def send(self, email: OutgoingEmail) -> str | None:
        return self.real.send(email)  # type: ignore[no-any-return]

    def send_many(
        self, emails: Sequence[OutgoingEmail], window: Any = None
    ) -> Iterator[SendOutcome]:
        if not self.deaths:
            yield from self.real.send_many(emails, window)
            return
        self.deaths -= 1
        source = iter(emails)
        first = next(source)  # pulling the first e-mail claims the first chunk
        outcomes = self.real.send_many(chain([first], source), window)
        for _ in range(self.after):
            yield next(outcomes)
        outcomes.close()
        raise _Killed()


@pytest.mark.parametrize(("after", "chunk"), [(0, 20), (3, 20), (0, 2)])
def test_a_crash_inside_a_batch_re_sends_the_unrecorded_ones_once_with_the_same_message_id(
    engine: Engine, server: tuple[_Recorder, str], after: int, chunk: int
) -> None:
    recorder, url = server
    real = channels_from(quiet_settings(smtp_url=url))
    dying = _DiesMidBatch(real.email, after)
    notify = _notify(engine, url, Channels(email=dying, webhooks=real.webhooks))
    notify.service.config = replace(notify.service.config, send_chunk=chunk)
    for _ in range(5):
        notify.platform.bus().handle(place_order(notify.merchant.id))
    with pytest.raises(_Killed):
        notify.drain()  # the confirmations claimed (a chunk at a time), then the crash
    rows = notify.messages(flow="order_confirmed", channel="email")
    assert len(rows) == 5 and len(recorder.accepted) == after
    # claims committed before the first send, never recorded: the first chunk, less those
    # accepted and recorded before the crash -- all but the last accepted one at most, since
    # a message is accepted only once the one before it is recorded (ADR 0044)
    caught = {r["id"] for r in rows if r["reason"].startswith("sending via smtp")}
    claimed = min(5, chunk)
    assert claimed - after <= len(caught) <= claimed - after + min(after, 1)

    notify.clock.advance(seconds=max(LEASE, notify.service.config.send_lease).seconds + 1)
    for _ in range(6):  # the outbox retries the due rows until the claims have run out
        notify.advance(seconds=20)
    rows = notify.messages(flow="order_confirmed", channel="email")
    assert all(r["status"] == "sent" for r in rows)
    counts = recorder.counts()
    assert set(counts) == {r["provider_id"] for r in rows}  # nothing lost, same Message-IDs
    # a duplicate only for those accepted and not recorded: no more than the crash caught
    assert sum(n - 1 for n in counts.values()) == len(caught) - (claimed - after)
    # every claim left unrecorded is counted where ops look, whether or not it went out
    for r in rows:
        unknown = r["id"] in caught
        assert (r["unknown_outcomes"], r["attempts"]) == ((1, 2) if unknown else (0, 1))
        assert ("outcome unknown for 1 earlier attempt" in r["reason"]) is unknown


def test_a_batch_stopped_by_a_down_server_retries_without_counting_untried_attempts(
    engine: Engine,
) -> None:
    notify = _notify(engine, f"smtp://127.0.0.1:{free_port()}?timeout=2")
    for _ in range(3):
        notify.platform.bus().handle(place_order(notify.merchant.id))
    notify.drain()
    rows = notify.messages(flow="order_confirmed", channel="email")
    assert all(r["status"] == "queued" for r in rows)
    assert sorted(r["attempts"] for r in rows) == [0, 0, 1]  # only the first was tried
    assert all(r["reason"].startswith("queued: attempt") for r in rows)


def test_a_delivery_error_says_whether_it_was_tried() -> None:
    assert DeliveryError("x", permanent=False).attempted
    assert not DeliveryError("x", permanent=False, attempted=False).attempted
