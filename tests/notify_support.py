"""Test support for notifications: an in-memory store (the fake of NotificationStore), domain
builders, and real local servers (SMTP with STARTTLS + AUTH, an HTTP recorder standing in for
Twilio, webhook receivers and Apprise targets)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from postpurchase.domain.addresses import Address
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.ids import new_id, new_token
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.money import Money
from postpurchase.domain.notifications import Channel, Message, MessageRef, MessageStatus
from postpurchase.domain.orders import Order, OrderLine
from postpurchase.domain.shipments import Shipment
from postpurchase.domain.templates import Split, TemplateVersion
from postpurchase.service_layer.notification_ports import Alert, Delivery, Endpoint, Scheduled

# --------------------------------------------------------------------------- domain builders


def merchant(**kw: Any) -> Merchant:
    defaults: dict[str, Any] = {
        "id": new_id(),
        "name": "Acme Goods",
        "slug": new_token(6).lower(),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "timezone": "America/New_York",
    }
    defaults.update(kw)
    return Merchant(**defaults)


def order(merchant_id: str, **kw: Any) -> Order:
    currency = kw.pop("currency", "USD")
    defaults: dict[str, Any] = {
        "id": new_id(),
        "merchant_id": merchant_id,
        "external_id": new_token(6),
        "number": "#1001",
        "customer_id": new_id(),
        "email": "ada@example.com",
        "phone": "+15555550123",
        "locale": "en",
        "currency": currency,
        "lines": [OrderLine(new_id(), "MUG", "Mug", 2, Money(Decimal("12.50"), currency))],
        "shipping_address": Address("US", "10001", "NY", "New York", "1 Main St", name="Ada"),
        "shipping_fee": Money(Decimal("5.00"), currency),
        "placed_at": datetime(2026, 11, 20, 15, tzinfo=UTC),
        "tracking_token": new_token(),
        "timezone": "America/New_York",
    }
    defaults.update(kw)
    return Order(**defaults)


def shipment(o: Order, **kw: Any) -> Shipment:
    defaults: dict[str, Any] = {
        "id": new_id(),
        "merchant_id": o.merchant_id,
        "order_id": o.id,
        "tracking_number": "1Z999AA10123456784",
        "carrier": "ups",
        "tracking_valid": True,
        "created_at": o.placed_at + timedelta(hours=20),
    }
    defaults.update(kw)
    return Shipment(**defaults)


def status_changed(
    s: Shipment, to: str, at: datetime, *, frm: str = "in_transit", sub: str | None = None
) -> dict[str, Any]:
    return {
        "merchant_id": s.merchant_id,
        "shipment_id": s.id,
        "order_id": s.order_id,
        "from_status": frm,
        "to_status": to,
        "from_substatus": None,
        "substatus": sub,
        "occurred_at": at.isoformat(),
    }


# --------------------------------------------------------------------------- in-memory store


@dataclass
class State:
    merchants: dict[str, Merchant] = field(default_factory=dict)
    templates: list[TemplateVersion] = field(default_factory=list)
    splits: dict[tuple[str, str, str], Split] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    optouts: dict[tuple[str, str, str], str] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    deleted_endpoints: set[str] = field(default_factory=set)
    audit: list[AuditEntry] = field(default_factory=list)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    alerts: list[tuple[int, str, str, str, datetime, datetime | None]] = field(default_factory=list)
    scheduled: list[tuple[str, str, dict[str, Any], datetime]] = field(default_factory=list)
    event_times: dict[int, datetime] = field(default_factory=dict)


class InMemoryStore:
    def __init__(self, state: State) -> None:
        self.s = state

    def merchant(self, merchant_id: str) -> Merchant | None:
        return self.s.merchants.get(merchant_id)

    def order(self, merchant_id: str, order_id: str) -> Order | None:
        o = self.s.orders.get(order_id)
        return o if o and o.merchant_id == merchant_id else None

    def shipment(self, merchant_id: str, shipment_id: str) -> Shipment | None:
        x = self.s.shipments.get(shipment_id)
        return x if x and x.merchant_id == merchant_id else None

    def customer_name(self, merchant_id: str, customer_id: str) -> str | None:
        return None

    def orders_many(self, merchant_id: str, order_ids: Sequence[str]) -> dict[str, Order]:
        found = {i: self.order(merchant_id, i) for i in order_ids}
        return {i: o for i, o in found.items() if o is not None}

    def lock_shipments(self, merchant_id: str, shipment_ids: Sequence[str]) -> dict[str, Shipment]:
        found = {i: self.shipment(merchant_id, i) for i in shipment_ids}
        return {i: x for i, x in found.items() if x is not None}

    def messages_about_many(
        self, merchant_id: str, subject_ids: Sequence[str]
    ) -> dict[str, list[MessageRef]]:
        return {i: self.messages_about(merchant_id, i) for i in subject_ids}

    def lock_subject(self, merchant_id: str, shipment_id: str) -> None:
        return None

    def messages_about(self, merchant_id: str, subject_id: str) -> list[MessageRef]:
        return [
            m.ref()
            for m in sorted(self.s.messages.values(), key=lambda m: m.created_at)
            if m.merchant_id == merchant_id and m.subject_id == subject_id
        ]

    def add_messages(self, messages: Sequence[Message]) -> None:
        for message in messages:
            taken = any(
                m.merchant_id == message.merchant_id and m.dedupe_key == message.dedupe_key
                for m in self.s.messages.values()
            )
            if not taken:
                self.s.messages[message.id] = copy.copy(message)

    def supersede(self, merchant_id: str, ids: Sequence[str], reason: str, at: datetime) -> int:
        n = 0
        for i in ids:
            m = self.s.messages.get(i)
            if m and m.merchant_id == merchant_id and m.status is MessageStatus.QUEUED:
                m.suppress(reason, at)
                n += 1
        return n

    def supersede_many(self, merchant_id: str, rows: Sequence[tuple[str, str, datetime]]) -> None:
        for i, reason, at in rows:
            self.supersede(merchant_id, [i], reason, at)

    def suppress_queued_for_order(
        self, merchant_id: str, order_id: str, reason: str, at: datetime
    ) -> int:
        ids = [m.id for m in self.s.messages.values() if m.order_id == order_id]
        return self.supersede(merchant_id, ids, reason, at)

    def get_message(self, message_id: str) -> Message | None:
        m = self.s.messages.get(message_id)
        return copy.copy(m) if m else None

    def save_message(self, message: Message) -> None:
        self.s.messages[message.id] = copy.copy(message)

    def get_messages(self, message_ids: Sequence[str]) -> dict[str, Message]:
        return {i: m for i in message_ids if (m := self.get_message(i)) is not None}

    def save_messages(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self.save_message(message)

    def message_by_token(self, token: str) -> Message | None:
        return next((m for m in self.s.messages.values() if m.unsubscribe_token == token), None)

    def opted_out_any(
        self, merchant_id: str, wanted: Sequence[tuple[Channel, str]]
    ) -> set[tuple[Channel, str]]:
        return {(c, a) for c, a in wanted if self.opted_out(merchant_id, c, a)}

    def opted_out(self, merchant_id: str, channel: Channel, address: str) -> bool:
        return (merchant_id, channel.value, address) in self.s.optouts

    def set_opt_out(
        self, merchant_id: str, channel: Channel, address: str, source: str, at: datetime
    ) -> None:
        self.s.optouts.setdefault((merchant_id, channel.value, address), source)

    def clear_opt_out(self, merchant_id: str, channel: Channel, address: str) -> bool:
        return self.s.optouts.pop((merchant_id, channel.value, address), None) is not None

    def set_merchant_setting(self, merchant_id: str, key: str, value: Any) -> None:
        self.s.merchants[merchant_id].settings[key] = value

    def template_split(self, merchant_id: str, flow: str, channel: str) -> Split | None:
        return self.s.splits.get((merchant_id, flow, channel))

    def template_version(
        self, merchant_id: str, flow: str, channel: str, version: int | None
    ) -> TemplateVersion | None:
        found = [
            v
            for v in self.s.templates
            if (v.merchant_id, v.flow, v.channel) == (merchant_id, flow, channel)
            and (version is None or v.version == version)
        ]
        return max(found, key=lambda v: v.version) if found else None

    def endpoints_for(self, merchant_id: str, topic: str) -> list[Endpoint]:
        return [
            e
            for e in self.s.endpoints.values()
            if e.merchant_id == merchant_id
            and e.active
            and e.id not in self.s.deleted_endpoints
            and ("*" in e.topics or topic in e.topics)
        ]

    def active_endpoints(self, merchant_id: str) -> list[Endpoint]:
        return [
            e
            for e in self.s.endpoints.values()
            if e.merchant_id == merchant_id and e.active and e.id not in self.s.deleted_endpoints
        ]

    def get_endpoint(self, merchant_id: str, endpoint_id: str) -> Endpoint | None:
        e = self.s.endpoints.get(endpoint_id)
        ok = e and e.merchant_id == merchant_id and endpoint_id not in self.s.deleted_endpoints
        return e if ok else None

    def add_endpoint(self, endpoint: Endpoint) -> None:
        self.s.endpoints[endpoint.id] = endpoint

    def save_endpoint(self, endpoint: Endpoint) -> None:
        self.s.endpoints[endpoint.id] = endpoint

    def record_audit(self, entry: AuditEntry) -> None:
        self.s.audit.append(entry)

    def delete_endpoint(self, merchant_id: str, endpoint_id: str, at: datetime) -> bool:
        if self.get_endpoint(merchant_id, endpoint_id) is None:
            return False
        self.s.deleted_endpoints.add(endpoint_id)
        return True

    def add_delivery(self, delivery: Delivery) -> bool:
        if any(
            d.merchant_id == delivery.merchant_id and d.dedupe_key == delivery.dedupe_key
            for d in self.s.deliveries.values()
        ):
            return False
        self.s.deliveries[delivery.id] = replace(delivery)
        return True

    def get_delivery(self, delivery_id: str, merchant_id: str | None = None) -> Delivery | None:
        d = self.s.deliveries.get(delivery_id)
        if d is None or (merchant_id is not None and d.merchant_id != merchant_id):
            return None
        return replace(d)

    def save_delivery(self, delivery: Delivery) -> None:
        self.s.deliveries[delivery.id] = replace(delivery)

    def event_created_at(self, event_id: int) -> datetime | None:
        return self.s.event_times.get(event_id)

    def has_pending_alerts(self, merchant_id: str) -> bool:
        return any(a[1] == merchant_id and a[5] is None for a in self.s.alerts)

    def add_alert(
        self,
        merchant_id: str,
        dedupe_key: str,
        kind: str,
        order_id: str | None,
        shipment_id: str | None,
        summary: str,
        at: datetime,
    ) -> bool:
        if any(a[1] == merchant_id and a[2] == dedupe_key for a in self.s.alerts):
            return False
        self.s.alerts.append((len(self.s.alerts) + 1, merchant_id, dedupe_key, summary, at, None))
        return True

    def pending_alerts(self, merchant_id: str, limit: int) -> list[Alert]:
        rows = [a for a in self.s.alerts if a[1] == merchant_id and a[5] is None][:limit]
        return [Alert(a[0], a[2].split(":")[0], a[3], a[4]) for a in rows]

    def mark_alerts_sent(self, ids: Sequence[int], at: datetime) -> None:
        self.s.alerts = [(*a[:5], at) if a[0] in ids else a for a in self.s.alerts]

    def schedule(self, topic: str, merchant_id: str, payload: dict[str, Any], at: datetime) -> None:
        self.s.scheduled.append((topic, merchant_id, payload, at))

    def schedule_many(self, rows: Sequence[Scheduled]) -> None:
        for r in rows:
            self.schedule(r.topic, r.merchant_id, r.payload, r.at)


class InMemoryUoW:
    """Snapshot on enter, restore unless committed: the fake rolls back like the real one."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.store = InMemoryStore(state)
        self._snapshot: State | None = None

    def __enter__(self) -> InMemoryUoW:
        self._snapshot = copy.deepcopy(self.state)
        return self

    def commit(self) -> None:
        self._snapshot = None

    def __exit__(self, *exc: Any) -> None:
        if self._snapshot is not None:
            self.state.__dict__.update(self._snapshot.__dict__)
            self._snapshot = None


def run_due(service: Any, state: State, now: datetime, *, rounds: int = 10) -> int:
    """What the outbox drain does for scheduled rows: deliver everything due by ``now``."""
    done = 0
    for _ in range(rounds):
        due = [row for row in state.scheduled if row[3] <= now]
        if not due:
            break
        state.scheduled = [row for row in state.scheduled if row[3] > now]
        for topic, _mid, payload, _at in due:
            service.handle(0, topic, payload)
            done += 1
    return done


# --------------------------------------------------------------------------- SMTP handlers


class RefusesNobody:
    """aiosmtpd handler part: a recipient at ``nobody@`` is refused (550, as an unknown
    mailbox), every other one accepted."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


# --------------------------------------------------------------------------- TLS material


def self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throw-away certificate for the STARTTLS test server. Uses ``cryptography`` when it is
    installed (it comes with the dev extras, through types-redis), else the openssl CLI."""
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    try:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        import subprocess

        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "1", "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
             "-keyout", str(key_path), "-out", str(cert_path)],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


# --------------------------------------------------------------------------- HTTP recorder


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Recorded], tuple[int, dict[str, str], bytes]]


class HttpRecorder:
    """A real HTTP server on loopback that records requests and answers via ``responder``."""

    def __init__(self, responder: Responder) -> None:
        self.requests: list[Recorded] = []
        self.responder = responder
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                rec = Recorded(
                    self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                recorder.requests.append(rec)
                status, headers, body = recorder.responder(rec)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HttpRecorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def http_recorder(responder: Responder) -> Iterator[HttpRecorder]:
    with HttpRecorder(responder) as rec:
        yield rec


def twilio_responder(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
    """Answers like Twilio's Messages resource: 201 with a SID, or Twilio-shaped errors for
    magic numbers (the ones Twilio's own test credentials use)."""
    from urllib.parse import parse_qs

    form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
    to = form.get("To", "")
    headers = {"Content-Type": "application/json"}
    if to == "+15005550001":  # Twilio's magic "invalid number"
        err = {
            "code": 21211,
            "message": f"The 'To' number {to} is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        }
        return 400, headers, json.dumps(err).encode()
    if to == "+15005550004":  # recipient replied STOP
        err = {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}
        return 400, headers, json.dumps(err).encode()
    if to == "+15005550009":
        return (
            503,
            headers,
            json.dumps({"code": 20503, "message": "Service unavailable", "status": 503}).encode(),
        )
    sid = "SM" + new_id()
    account = rec.path.split("/Accounts/")[1].split("/")[0]
    body = {
        "sid": sid,
        "account_sid": account,
        "to": to,
        "from": form.get("From"),
        "body": form.get("Body"),
        "status": "queued",
        "num_segments": "1",
        "date_created": dt.datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
    }
    return 201, headers, json.dumps(body).encode()
