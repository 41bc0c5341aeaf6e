"""Email over SMTP (stdlib ``smtplib``): STARTTLS or implicit TLS, AUTH, HTML + text.

``POSTPURCHASE_SMTP_URL`` forms::

    smtp://localhost:1025                      plain (local relay, demo server)
    smtp+starttls://user:pass@mail.example:587 upgrade with STARTTLS, then AUTH
    smtps://user:pass@mail.example:465         implicit TLS
    ...?verify=false&timeout=10                skip certificate checks (tests only), timeout
    ...?keep=5                                 keep a batch's connection 5 s for the next (0: never)

Every message carries ``List-Unsubscribe`` (+ ``List-Unsubscribe-Post`` for RFC 8058
one-click), and a ``Message-ID`` derived from our message id and the domain of
``POSTPURCHASE_SMTP_FROM`` (``<{message id}@{sender domain}>``, whatever the merchant's From):
the same on every attempt, so a re-send after a crash or a lost reply is recognisable as the
same message by the receiving side. SMTP has no idempotency key; ``send`` returns as soon
as the server has accepted the data (QUIT follows off the sending thread), so the caller
can record the outcome at once; ``send_many`` asks the caller's acceptance window
before each message's end of data, the envelope and content having gone over already, so
one process has at most one accepted, unrecorded message. Both ``List-Unsubscribe`` headers
go out as plain ASCII, folded only at whitespace if at all: the stdlib's default policy
turns a line over 78 characters into RFC 2047 encoded-words, which mailbox providers do not
decode in these headers, so their one-click unsubscribe silently stopped working.

Errors are classified for the retry policy: a 5xx reply for the recipient or the content is
permanent; 4xx replies, refused connections and timeouts are transient, and connection-level
ones open the channel's circuit breaker.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, formatdate
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from postpurchase.service_layer.notification_ports import (
    AcceptanceWindow,
    DeliveryError,
    OutgoingEmail,
    SendOutcome,
)

# RFC 2369 / RFC 8058 headers that receivers parse as URLs: never encoded-words.
_VERBATIM = frozenset({"list-unsubscribe", "list-unsubscribe-post"})


def _fold_at_spaces(name: str, value: str, limit: int) -> list[str]:
    """``name: value`` as lines of at most ``limit`` characters where whitespace allows
    (a single long URL stays one line: RFC 5322 allows up to 998)."""
    lines = [f"{name}:"]
    for word in value.split(" "):
        if len(lines[-1]) + 1 + len(word) > limit and lines[-1] != f"{name}:":
            lines.append("")  # the fold: the next line starts with the space
        lines[-1] += " " + word
    return lines


class MailPolicy(EmailPolicy):
    """``email.policy.default``, except that the ``List-Unsubscribe`` headers are written
    as they are (ASCII, folded only at whitespace) instead of as RFC 2047 encoded-words."""

    def _verbatim(self, name: str, value: Any) -> str | None:
        text = str(value)
        if name.lower() not in _VERBATIM or not text.isascii():
            return None
        if any(c in text for c in "\r\n\0"):
            return None  # never ours; let the stdlib refuse or encode it
        limit = self.max_line_length or 998
        return self.linesep.join(_fold_at_spaces(name, text, limit)) + self.linesep

    def fold(self, name: str, value: Any) -> str:
        verbatim = self._verbatim(name, value)
        return verbatim if verbatim is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        verbatim = self._verbatim(name, value)
        return (
            verbatim.encode("ascii") if verbatim is not None else super().fold_binary(name, value)
        )


MAIL_POLICY = MailPolicy()


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    mode: str  # "plain" | "starttls" | "tls"
    username: str | None
    password: str | None
    verify: bool
    timeout: float
    keep: float = 5.0  # seconds an idle connection is kept for the next batch (0: never)

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        mode = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
        if mode is None:
            raise ValueError(f"unsupported SMTP URL scheme {parts.scheme!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if mode == "plain" and query.get("starttls", "").lower() in ("1", "true", "yes"):
            mode = "starttls"
        default_port = {"plain": 25, "starttls": 587, "tls": 465}[mode]
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or default_port,
            mode=mode,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            verify=query.get("verify", "true").lower() not in ("0", "false", "no"),
            timeout=float(query.get("timeout", "10")),
            keep=max(0.0, float(query.get("keep", "5"))),
        )


class SmtpEmailChannel:
    """``send``: one message over a connection of its own. ``send_many``: a batch over one
    connection, left open a few seconds for the next batch (``_IdleConnections``); a
    connection that broke is never reused."""

    name = "smtp"

    def __init__(self, url: str, sender: str, *, ca_file: str | None = None) -> None:
        self.config = SmtpConfig.from_url(url)
        self.sender = sender
        self.domain = sender.rpartition("@")[2] or "localhost"
        self.ca_file = ca_file
        self._idle = _IdleConnections(self.config.keep)

    def _tls(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        if not self.config.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def build(self, email: OutgoingEmail) -> EmailMessage:
        """The MIME message exactly as it will be sent (also used by previews)."""
        msg = EmailMessage(policy=MAIL_POLICY)
        from_addr = email.from_email or self.sender
        msg["From"] = formataddr((email.from_name, from_addr))
        if from_addr != self.sender:
            msg["Sender"] = self.sender
        msg["To"] = email.to
        if email.reply_to:
            msg["Reply-To"] = email.reply_to
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = f"<{email.message_id}@{self.domain}>"
        msg["Auto-Submitted"] = "auto-generated"
        if email.unsubscribe_url:
            msg["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        for key, value in email.headers.items():
            msg[key] = value
        msg.set_content(email.text, subtype="plain", charset="utf-8")
        if email.html:
            msg.add_alternative(email.html, subtype="html", charset="utf-8")
        return msg

    def send(self, email: OutgoingEmail) -> str | None:
        _check_recipient(email.to)
        msg = self.build(email)
        try:
            refused = self._hand_over(msg, email.to)
        except Exception as exc:
            raise _classify(exc) from exc
        if refused:
            code, reply = next(iter(refused.values()))
            raise _reply_error("recipient refused", code, reply)
        return str(msg["Message-ID"])

    def send_many(
        self, emails: Iterable[OutgoingEmail], window: AcceptanceWindow | None = None
    ) -> Iterator[SendOutcome]:
        """Many messages over one connection (a new one every ``PER_CONNECTION`` messages,
        or after the server dropped one that had already carried a message): connecting,
        TLS and AUTH once instead of per message. ``emails`` is pulled one at a time, and
        each outcome yielded as soon as the server has answered that message's data, so
        the caller can record it (and claim more) while the connection waits; a refused
        recipient or message fails that message alone (smtplib resets the session and the
        next one goes on). When the server cannot be reached, or refuses our sender or
        session, that message's error is the last outcome: the rest are not pulled.
        ``window.enter()`` runs before each message's end of data (``_EndOfDataHook``)."""
        client, carried = self._idle.take()  # carried: messages the connection has carried
        hook = window.enter if window else None
        finished = False
        try:
            for email in emails:
                try:
                    _check_recipient(email.to)
                except DeliveryError as exc:
                    yield None, exc
                    continue
                msg = self.build(email)
                for fresh in (client is None or carried >= PER_CONNECTION, True):
                    if fresh:
                        if client is not None:
                            _FAREWELLS.say_goodbye(client)
                        client, carried = None, 0
                    try:
                        if client is None:
                            client = self._open()
                        client.before_end_of_data = hook
                        refused = client.send_message(
                            msg, from_addr=self.sender, to_addrs=[email.to]
                        )
                    except Exception as exc:
                        error = _classify(exc)
                        if not error.connection:
                            yield None, error
                            break
                        if client is not None:
                            client.close()
                            client = None
                        if carried and not fresh:
                            continue  # a reused connection dropped: try once on a new one
                        yield None, error
                        return
                    carried += 1
                    if refused:
                        code, reply = next(iter(refused.values()))
                        yield None, _reply_error("recipient refused", code, reply)
                    else:
                        yield str(msg["Message-ID"]), None
                    break
            finished = True
        finally:
            if client is not None:
                client.before_end_of_data = None
                if not (finished and carried < PER_CONNECTION and self._idle.keep(client, carried)):
                    _FAREWELLS.say_goodbye(client)

    def _open(self) -> _Smtp | _SmtpSsl:
        c = self.config
        client: _Smtp | _SmtpSsl
        if c.mode == "tls":
            client = _SmtpSsl(c.host, c.port, timeout=c.timeout, context=self._tls())
        else:
            client = _Smtp(c.host, c.port, timeout=c.timeout)
        try:
            # The end of data is a write of its own after the content (``_data_then_end``):
            # with Nagle's algorithm it would wait for the server's delayed ACK (~40 ms).
            if client.sock is not None:
                client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.ehlo()
            if c.mode == "starttls":
                client.starttls(context=self._tls())
                client.ehlo()
            if c.username:
                client.login(c.username, c.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def _hand_over(self, msg: EmailMessage, to: str) -> dict[str, tuple[int, bytes]]:
        """Connect, transfer, and return as soon as the server has answered the end of the
        data: from that reply on the outcome is known, and every millisecond until the
        caller records it is a window in which a crash re-sends an accepted message. So
        the QUIT exchange happens afterwards, off this thread, and whatever it says (a
        timeout, a 421, a dropped connection) changes nothing: the message was accepted."""
        client = self._open()
        try:
            refused = client.send_message(msg, from_addr=self.sender, to_addrs=[to])
        except BaseException:
            client.close()
            raise
        _FAREWELLS.say_goodbye(client)
        return refused


PER_CONNECTION = 100  # messages per SMTP connection (servers cap it, e.g. Exim at 1,000)


class _IdleConnections:
    """Connections a finished batch left open, for the next one (``?keep=`` seconds, 5 by
    default): a message due a second after the last one skips the TCP, TLS and AUTH
    hand-shakes, which cost a remote provider's round trips on every urgent e-mail. At most
    ``limit`` are kept (one per sending thread); one idle longer than ``seconds`` is closed
    when found. A connection the server has dropped meanwhile fails at ``MAIL``, before any
    content went over, and ``send_many`` goes on over a new one (its ``carried`` is not
    zero), so keeping one never re-sends a message."""

    def __init__(self, seconds: float, limit: int = 2) -> None:
        self.seconds, self.limit = seconds, limit
        self._lock = threading.Lock()
        self._kept: list[tuple[float, _Smtp | _SmtpSsl, int]] = []

    def take(self) -> tuple[_Smtp | _SmtpSsl | None, int]:
        now, found = time.monotonic(), None
        with self._lock:
            stale = [c for since, c, _ in self._kept if now - since > self.seconds]
            fresh = [k for k in self._kept if now - k[0] <= self.seconds]
            if fresh:
                found = fresh.pop()
            self._kept = fresh
        for client in stale:
            _FAREWELLS.say_goodbye(client)
        return (found[1], found[2]) if found else (None, 0)

    def keep(self, client: _Smtp | _SmtpSsl, carried: int) -> bool:
        if self.seconds <= 0:
            return False
        with self._lock:
            if len(self._kept) >= self.limit:
                return False
            self._kept.append((time.monotonic(), client, carried))
        return True


_LEADING_PERIOD = re.compile(rb"(?m)^\.")


def _data_then_end(
    client: smtplib.SMTP, msg: bytes | str, before_end: Callable[[], None]
) -> tuple[int, bytes]:
    """``SMTP.data`` in two steps: ``DATA`` and the content (dot-stuffed, RFC 5321
    4.5.2), then ``before_end``, then the final ``.`` and the server's verdict. Until the
    ``.`` the server has accepted nothing, so waiting there keeps the envelope and the
    content off the wait."""
    client.putcmd("data")
    code, reply = client.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    data = msg.encode("ascii") if isinstance(msg, str) else msg
    data = _LEADING_PERIOD.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    client.send(data)
    before_end()
    client.send(b".\r\n")
    return client.getreply()


class _EndOfDataHook:
    """Mixed into smtplib's clients: ``data`` whose end can wait for the caller
    (``_data_then_end``) while ``before_end_of_data`` is set."""

    before_end_of_data: Callable[[], None] | None = None

    def data(self, msg: Any) -> tuple[int, bytes]:
        if self.before_end_of_data is None:
            return super().data(msg)  # type: ignore[misc, no-any-return]
        return _data_then_end(cast("smtplib.SMTP", self), msg, self.before_end_of_data)


class _Smtp(_EndOfDataHook, smtplib.SMTP):
    pass


class _SmtpSsl(_EndOfDataHook, smtplib.SMTP_SSL):
    pass


def _check_recipient(to: str) -> None:
    try:
        Address(addr_spec=to)
    except (ValueError, IndexError) as exc:
        raise DeliveryError(f"invalid recipient {to!r}: {exc}", permanent=True) from exc


def _classify(exc: BaseException) -> DeliveryError:
    """A failed hand-over as the retry policy sees it; anything else is raised as it is."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        return _reply_error("recipient refused", code, reply)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # our sender or session is refused (e.g. 530 STARTTLS/AUTH required): our
        # configuration, not this message -- retry, and hold the rest of the channel
        return DeliveryError(
            f"sender refused: {exc.smtp_code} {exc.smtp_error!r}",
            permanent=False, connection=True, status_code=exc.smtp_code,
        )  # fmt: skip
    if isinstance(exc, smtplib.SMTPDataError):
        return _reply_error("message refused", exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # our configuration is wrong, not the message: retry (and let ops see it)
        return DeliveryError(
            f"SMTP authentication failed ({exc.smtp_code})", permanent=False, connection=True
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"SMTP server lacks a feature: {exc}", permanent=False)
    if isinstance(exc, (smtplib.SMTPException, OSError, ssl.SSLError)):  # incl. timeouts
        return DeliveryError(
            f"SMTP unavailable: {type(exc).__name__}: {exc}", permanent=False, connection=True
        )
    raise exc


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass  # after the message was accepted: nothing left to lose
    finally:
        client.close()


class _Farewells:
    """QUIT for sessions whose message is already accepted, on a small pool of threads. A
    server that is slow to answer QUIT ties up at most ``limit`` connections; beyond that
    a session is closed without the courtesy."""

    def __init__(self, threads: int = 2, limit: int = 64) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="smtp-quit")
        self._slots = threading.BoundedSemaphore(limit)

    def say_goodbye(self, client: smtplib.SMTP) -> None:
        if not self._slots.acquire(blocking=False):
            client.close()
            return

        def run() -> None:
            try:
                _quit(client)
            finally:
                self._slots.release()

        try:
            self._pool.submit(run)
        except RuntimeError:  # the interpreter is shutting down: say it here
            run()


_FAREWELLS = _Farewells()


def _reply_error(what: str, code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryError(
        f"{what}: {code} {text}".strip(), permanent=500 <= code < 600, status_code=code
    )
