"""Test support for notifications: an in-memory store (the fake of NotificationStore), domain
builders, and real local servers (SMTP with STARTTLS + AUTH, an HTTP recorder standing in for
Twilio, webhook receivers and Apprise targets).

One module per part; importers keep ``from tests.notify_support import ...``."""

from tests.notify_support.builders import merchant, order, shipment, status_changed
from tests.notify_support.http_server import (
    HttpRecorder,
    Recorded,
    Responder,
    http_recorder,
    twilio_responder,
)
from tests.notify_support.smtp_server import (
    RefusesNobody,
    message_id_in,
    self_signed_cert,
    server_tls_context,
)
from tests.notify_support.store import InMemoryStore, InMemoryUoW, State, run_due

__all__ = [
    "HttpRecorder",
    "InMemoryStore",
    "InMemoryUoW",
    "Recorded",
    "RefusesNobody",
    "Responder",
    "State",
    "http_recorder",
    "merchant",
    "message_id_in",
    "order",
    "run_due",
    "self_signed_cert",
    "server_tls_context",
    "shipment",
    "status_changed",
    "twilio_responder",
]
