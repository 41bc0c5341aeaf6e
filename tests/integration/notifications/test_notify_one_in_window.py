"""At most one message per process between the SMTP server's acceptance and our record
(issue 17, ADR 0044): a kill -9 then re-sends at most one received message, so duplicates
never outnumber the kills that landed in the window -- with batched sends (ADR 0033) and two
sending threads, which without the window let one kill catch several.

A real SMTP server (aiosmtpd on loopback) checks, at the end of each message's data (before
it answers), that every message it accepted earlier is already recorded as sent in the
database; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.notifications.demo_smtp import free_port
from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.service_layer.acceptance_window import OneInWindow
from postpurchase.service_layer.notification_ports import OutgoingEmail
from tests.factories import place_order
from tests.integration.notifications.conftest import make_notify, quiet_settings
from tests.notify_support import RefusesNobody, message_id_in


class _Checker(RefusesNobody):
    """Accepts every message but ``nobody@``; at each end of data, notes which messages it
    accepted before are not recorded as sent yet (``engine`` set: the database is asked)."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.unrecorded_at_acceptance: list[int] = []
        self.engine: Engine | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mid = message_id_in(envelope.content)
        with self.lock:
            earlier = [m.strip("<>").split("@")[0] for m in self.accepted]
            if self.engine is not None:
                m = t.notification_messages.c
                with self.engine.connect() as conn:
                    sent = set(
                        conn.scalars(select(m.id).where(m.id.in_(earlier), m.status == "sent"))
                    )
                self.unrecorded_at_acceptance.append(len(set(earlier) - sent))
            self.accepted.append(mid)
        return "250 OK"


@pytest.fixture
def checker() -> tuple[_Checker, int]:
    return _Checker(), free_port()


def _serve(handler: _Checker, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


class _Entries:
    """A window that notes, at each entry, how many messages the server had accepted."""

    def __init__(self, handler: _Checker) -> None:
        self.handler = handler
        self.seen: list[int] = []

    def enter(self) -> None:
        self.seen.append(len(self.handler.accepted))


def _email(n: int, to: str) -> OutgoingEmail:
    return OutgoingEmail(f"m{n}", to, "Acme", None, None, "Hi", ".dot\nline", None, None, {})


def test_the_window_is_entered_after_the_content_and_before_each_acceptance(
    checker: tuple[_Checker, int],
) -> None:
    handler, port = checker
    controller = _serve(handler, port)
    try:
        channel = SmtpEmailChannel(f"smtp://127.0.0.1:{port}?timeout=5", "shop@acme.example")
        tos = ["a@example.com", "nobody@example.com", "b@example.com", "c@example.com"]
        window = _Entries(handler)
        outcomes = list(channel.send_many([_email(i, to) for i, to in enumerate(tos)], window))
    finally:
        controller.stop()
    assert [error is None for _, error in outcomes] == [True, False, True, True]
    # one entry per message the server was asked to accept (not the refused recipient),
    # each before that message was accepted
    assert window.seen == [0, 1, 2]
    assert handler.accepted == ["<m0@acme.example>", "<m2@acme.example>", "<m3@acme.example>"]


def test_two_sending_threads_never_have_two_accepted_messages_unrecorded(
    engine: Engine, checker: tuple[_Checker, int]
) -> None:
    handler, port = checker
    # the server is down while the orders come in: their confirmations stay queued
    notify = make_notify(engine, quiet_settings(smtp_url=f"smtp://127.0.0.1:{port}?timeout=5"))
    for _ in range(24):
        notify.platform.bus().handle(place_order(notify.merchant.id))
    notify.drain()
    rows = notify.messages(flow="order_confirmed", channel="email")
    assert len(rows) == 24 and all(r["status"] == "queued" for r in rows)
    ids = [r["id"] for r in rows]

    handler.engine = engine
    controller = _serve(handler, port)
    try:
        notify.clock.advance(hours=2)  # past the breaker and the retry backoff
        halves = [ids[0::2], ids[1::2]]
        errors: list[BaseException] = []

        def send(half: list[str]) -> None:
            try:
                notify.service.deliver_messages(half)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(h,)) for h in halves]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        controller.stop()
    assert not errors
    rows = notify.messages(flow="order_confirmed", channel="email")
    assert all(r["status"] == "sent" for r in rows)
    assert sorted(m.strip("<>").split("@")[0] for m in handler.accepted) == sorted(ids)
    # at every acceptance, everything accepted before it was already recorded
    assert handler.unrecorded_at_acceptance == [0] * len(ids)


def test_a_window_left_by_the_recorder_lets_the_next_sender_in() -> None:
    first, second = OneInWindow(), OneInWindow()
    first.enter()
    first.enter()  # the same message again (over a new connection): no second entry
    assert first.entered == 1
    got_in = threading.Event()
    waiter = threading.Thread(target=lambda: (second.enter(), got_in.set()))
    waiter.start()
    assert not got_in.wait(0.2)  # another message of this process is in the window
    assert first.take() and not first.take()  # the outcome that holds it, once
    threading.Thread(target=first.leave).start()  # the recording thread leaves it
    assert got_in.wait(5)
    waiter.join()
    second.leave()
    first.leave()  # nothing held: a no-op
