"""The window between a provider accepting a message and our commit, against real servers:
the Message-ID is the same on every attempt, the SMTP session ends (QUIT) after the outcome
is known and outside the window, webhooks carry a stable ``Idempotency-Key``, and a send
whose outcome was lost to a crash is re-sent once, as the same message, and counted where
ops look (the backlog view and ``/metrics``). On SQLite and PostgreSQL.

The same rule under kill -9 of a real worker process is tests/faults."""

from __future__ import annotations

import socketserver
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import Engine

from postpurchase.adapters.db.leases import LEASE
from postpurchase.adapters.db.ops_views import backlog
from postpurchase.adapters.notifications.demo_smtp import DemoSmtp
from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.adapters.notifications.wiring import channels_from
from postpurchase.entrypoints import metrics
from postpurchase.service_layer.notification_ports import OutgoingEmail
from postpurchase.service_layer.notifications import Channels
from tests.factories import place_order
from tests.integration.notifications.conftest import make_notify, quiet_settings
from tests.notify_support import HttpRecorder, Recorded


def _email(message_id: str = "01JMSGSTABLE") -> OutgoingEmail:
    return OutgoingEmail(
        message_id=message_id, to="ada@example.com", from_name="Acme",
        from_email="orders@acme.example", reply_to=None, subject="Your order",
        text="Thanks!", html=None, unsubscribe_url=None, headers={},
    )  # fmt: skip


def test_the_message_id_is_the_same_on_every_attempt(smtp: DemoSmtp) -> None:
    channel = SmtpEmailChannel(smtp.url, "postpurchase@mail.shop.example")
    first = channel.send(_email())
    again = channel.send(_email())
    assert first == again == "<01JMSGSTABLE@mail.shop.example>"  # not the merchant's domain
    assert [m["Message-ID"] for m in smtp.messages()] == [first, again]


class _Fumbler(socketserver.StreamRequestHandler):
    """Just enough SMTP: accepts the message, then answers QUIT slowly, or with a 421."""

    accepted: list[bytes]
    quit_reply: bytes | None  # None: never answers QUIT

    def handle(self) -> None:
        self.wfile.write(b"220 fumbler ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 fumbler\r\n")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b"".join(iter(self.rfile.readline, b".\r\n"))
                type(self).accepted.append(data)
                self.wfile.write(b"250 accepted\r\n")
            elif verb == b"QUIT":
                if self.quit_reply is None:
                    self.rfile.readline()  # until the client gives up and closes
                else:
                    self.wfile.write(self.quit_reply)
                return
            else:
                self.wfile.write(b"502 no\r\n")


@pytest.mark.parametrize("quit_reply", [None, b"421 going away\r\n"])
def test_whatever_quit_brings_after_the_message_was_accepted_it_counts_as_sent(
    quit_reply: bytes | None,
) -> None:
    """Before, QUIT ran inside the send: a server slow to answer it held the outcome back
    by up to the timeout (a wider crash window), and a 421 or a timeout there turned an
    accepted message into a transient failure -- so it was sent again."""
    handler = type("Fumbler", (_Fumbler,), {"accepted": [], "quit_reply": quit_reply})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        channel = SmtpEmailChannel(f"smtp://127.0.0.1:{port}?timeout=3", "pp@shop.example")
        started = time.monotonic()
        assert channel.send(_email()) == "<01JMSGSTABLE@shop.example>"
        assert time.monotonic() - started < 1.5  # not the 3 s QUIT timeout
        assert len(handler.accepted) == 1
        parsed = message_from_bytes(handler.accepted[0], policy=policy.default)
        assert parsed["Message-ID"] == "<01JMSGSTABLE@shop.example>"
    finally:
        server.shutdown()
        server.server_close()


def test_webhooks_carry_the_delivery_id_as_a_stable_idempotency_key(engine: Engine) -> None:
    answers = iter([503, 200])

    def receiver(_rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        return next(answers, 200), {}, b""

    with HttpRecorder(receiver) as server:
        notify = make_notify(engine, quiet_settings(outbound_allow="127.0.0.1"))
        notify.service.create_endpoint(notify.merchant.id, f"{server.url}/h", ["order.placed"])
        notify.platform.bus().handle(place_order(notify.merchant.id))
        notify.drain()
        notify.advance(minutes=2)
        keys = [r.headers.get("Idempotency-Key") for r in server.requests]
        delivery_ids = [r.headers.get("X-Postpurchase-Delivery-Id") for r in server.requests]
    assert len(keys) == 2 and keys[0] is not None
    assert keys == delivery_ids and keys[0] == keys[1]


class _Killed(BaseException):
    """kill -9 of the worker, right after the provider took the message."""


class _DiesAfterSending:
    """The real SMTP channel; the process dies once between the 250 and our commit."""

    def __init__(self, real: Any) -> None:
        self.real, self.name, self.deaths = real, real.name, 1

    def send(self, email: OutgoingEmail) -> str | None:
        out = self.real.send(email)
        if self.deaths:
            self.deaths -= 1
            raise _Killed()
        return out  # type: ignore[no-any-return]


def test_a_send_lost_to_a_crash_is_re_sent_once_and_counted_where_ops_look(
    engine: Engine, smtp: DemoSmtp
) -> None:
    settings = quiet_settings(smtp_url=smtp.url)
    real = channels_from(settings)
    notify = make_notify(
        engine, settings, Channels(email=_DiesAfterSending(real.email), webhooks=real.webhooks)
    )
    cmd = place_order(notify.merchant.id)
    notify.platform.bus().handle(cmd)
    with pytest.raises(_Killed):
        notify.drain()  # urgent: sent straight after planning, and the process dies
    [row] = notify.messages()
    assert row["status"] == "queued" and row["reason"].startswith("sending via smtp")

    notify.clock.advance(seconds=max(LEASE, notify.service.config.send_lease).seconds + 1)
    for _ in range(6):  # the outbox retries the due row until the claim has run out
        notify.advance(seconds=20)
    [row] = notify.messages()
    assert row["status"] == "sent" and row["attempts"] == 2 and row["unknown_outcomes"] == 1
    assert "outcome unknown for 1 earlier attempt" in row["reason"]
    mails = [m for m in smtp.messages() if m["To"] == cmd.email]
    assert len(mails) == 2 and mails[0]["Message-ID"] == mails[1]["Message-ID"]

    with engine.connect() as conn:
        seen = backlog(conn, notify.clock.now()).unknown_outcomes
    assert seen.get("email", 0) >= 1  # other tests' rows may share this database
    text = metrics.render(notify.platform).decode()
    line = next(
        x
        for x in text.splitlines()
        if x.startswith('postpurchase_notifications_unknown_outcomes_24h{channel="email"}')
    )
    assert float(line.rsplit(" ", 1)[1]) == seen["email"]
    assert notify.clock.now() - row["updated_at"] < timedelta(days=1)
