"""In-memory channels: tests and benchmarks assert on what was sent, not on calls made."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from postpurchase.service_layer.notification_ports import (
    AcceptanceWindow,
    DeliveryError,
    OutgoingEmail,
    OutgoingSms,
    SendOutcome,
    WebhookRequest,
)


@dataclass
class FakeEmailChannel:
    name: str = "fake-email"
    sent: list[OutgoingEmail] = field(default_factory=list)
    failure: DeliveryError | None = None  # raise this instead of sending, while set
    batches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, email: OutgoingEmail) -> str | None:
        if self.failure is not None:
            raise self.failure
        with self._lock:
            self.sent.append(email)
        return f"<{email.message_id}@fake>"

    def send_many(
        self, emails: Iterable[OutgoingEmail], window: AcceptanceWindow | None = None
    ) -> Iterator[SendOutcome]:
        """As the SMTP channel's: one outcome per e-mail, in order, entering the window
        before each acceptance, stopping after a connection-level failure (``batches``
        counts the calls, as the SMTP channel's connections would be)."""
        self.batches += 1
        for email in emails:
            try:
                if window is not None and self.failure is None:
                    window.enter()
                yield self.send(email), None
            except DeliveryError as exc:
                yield None, exc
                if exc.connection:
                    return


@dataclass
class FakeSmsChannel:
    name: str = "fake-sms"
    sent: list[OutgoingSms] = field(default_factory=list)
    failure: DeliveryError | None = None

    def send(self, sms: OutgoingSms) -> str | None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(sms)
        return f"SM{len(self.sent):032d}"


@dataclass
class FakeWebhookPoster:
    status: int = 200
    posted: list[WebhookRequest] = field(default_factory=list)
    failure: DeliveryError | None = None

    def post(self, request: WebhookRequest) -> int:
        if self.failure is not None:
            raise self.failure
        self.posted.append(request)
        return self.status


@dataclass
class FakeOpsNotifier:
    sent: list[tuple[tuple[str, ...], str, str]] = field(default_factory=list)
    failure: DeliveryError | None = None

    def notify(self, urls: Sequence[str], title: str, body: str) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append((tuple(urls), title, body))
