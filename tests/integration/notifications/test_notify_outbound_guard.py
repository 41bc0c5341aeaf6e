"""Server-side request forgery: webhook endpoints and Apprise targets are chosen by merchants,
so nothing may reach loopback, private, link-local or other internal addresses (unless the
operator allows them), not through DNS answers that change (rebinding), not through
redirects, and a refusal must not tell whether anything listens there.

Names are resolved by a resolver each test injects (never the network). Connections to
anything but loopback never happen: sockets go through a tripwire that fails the test on
any other address, and addresses that are allowed but not loopback are "connected" by a
recording backend that opens no socket. The only real servers are on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpcore
import pytest
from sqlalchemy import Engine

from postpurchase.adapters import net_guard
from postpurchase.adapters.net_guard import REFUSED, OutboundPolicy
from postpurchase.adapters.notifications import queries
from postpurchase.adapters.notifications.ops import AppriseOpsNotifier
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.adapters.notifications.webhooks import HttpWebhookPoster
from postpurchase.adapters.signatures import POSTPURCHASE_HEADER, verify_postpurchase
from postpurchase.domain.errors import InvalidInput
from postpurchase.service_layer.notification_ports import DeliveryError, WebhookRequest
from postpurchase.service_layer.notifications import Channels
from tests.factories import place_order
from tests.integration.notifications.conftest import make_notify, quiet_settings
from tests.notify_support import HttpRecorder, Recorded

INTERNAL = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.5.4", "192.168.0.10", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "198.18.0.1", "::1", "::", "fe80::1", "fc00::5", "fd12:3456::1", "ff02::1", "fec0::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::10.0.0.1",
    "64:ff9b::a00:1", "2002:a00:1::1", "2001:db8::1",
]  # fmt: skip
PUBLIC = "93.184.216.34"


class Names:
    """The DNS this test sees: a table, and a log of what was asked. Anything not in the
    table does not exist."""

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self.table = dict(table)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"{host}: no such name (test resolver)")
        return list(self.table[host])


class _Stream(httpcore.NetworkStream):
    def __init__(self, log: list[tuple[str, Any]]) -> None:
        self.log = log

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: Any = None
    ) -> httpcore.NetworkStream:
        self.log.append(("tls", server_hostname))
        raise httpcore.ConnectError("recorded only")

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        raise httpcore.ReadError("recorded only")

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        raise httpcore.WriteError("recorded only")

    def close(self) -> None:
        return None


class Recording(httpcore.NetworkBackend):
    """Records where a connection would go; opens no socket."""

    def __init__(self, *, tls: bool = False) -> None:
        self.log: list[tuple[str, Any]] = []
        self.tls = tls

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.log.append(("connect", host))
        if self.tls:
            return _Stream(self.log)
        raise httpcore.ConnectError("recorded only")

    @property
    def connected(self) -> list[str]:
        return [what for kind, what in self.log if kind == "connect"]


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tripwire: any real connection attempt to a non-loopback address fails the test
    (it sits under the guard, where the operating system's connect would be)."""
    net_guard._install()
    tried: list[str] = []
    raw = {name: net_guard._RAW[name] for name in ("connect", "connect_ex", "sendto")}

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            tried.append(str(address[0]))
            assert ipaddress.ip_address(str(address[0]).partition("%")[0]).is_loopback, address

    def connect(sock: socket.socket, address: Any) -> Any:
        check(sock, address)
        return raw["connect"](sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        check(sock, address)
        return raw["connect_ex"](sock, address)

    def sendto(sock: socket.socket, data: Any, *args: Any) -> Any:
        if args:
            check(sock, args[-1])
        return raw["sendto"](sock, data, *args)

    monkeypatch.setitem(net_guard._RAW, "connect", connect)
    monkeypatch.setitem(net_guard._RAW, "connect_ex", connect_ex)
    monkeypatch.setitem(net_guard._RAW, "sendto", sendto)
    return tried


def _request(url: str, secret: str = "whsec_test") -> WebhookRequest:
    return WebhookRequest("d1", url, secret, b'{"id":"evt_1"}', "evt_1", "order.placed")


def _poster(names: Names, allow: str = "", **kw: Any) -> HttpWebhookPoster:
    return HttpWebhookPoster(policy=OutboundPolicy.parse(allow, resolver=names), **kw)


# --------------------------------------------------------------------------- webhooks


@pytest.mark.parametrize("address", INTERNAL)
def test_webhooks_to_internal_addresses_are_refused_before_connecting(address: str) -> None:
    names = Names({"hooks.shop.test": [address]})
    backend = Recording()
    poster = _poster(names, network_backend=backend)
    literal = f"[{address}]" if ":" in address else address
    for url in ("https://hooks.shop.test/h", f"http://{literal}:8080/h"):
        with pytest.raises(DeliveryError) as refused:
            poster.post(_request(url))
        assert str(refused.value) == REFUSED and refused.value.permanent
        with pytest.raises(InvalidInput) as at_registration:
            poster.check_url(url)
        assert at_registration.value.field == "url"
    assert backend.connected == []


def test_a_name_with_one_public_and_one_private_address_is_refused() -> None:
    backend = Recording()
    poster = _poster(Names({"mixed.shop.test": [PUBLIC, "10.0.0.7"]}), network_backend=backend)
    with pytest.raises(DeliveryError, match=REFUSED):
        poster.post(_request("https://mixed.shop.test/h"))
    assert backend.connected == []


def test_the_connection_goes_to_the_checked_address_with_the_name_kept_for_tls() -> None:
    """Resolve once, connect to exactly that address, and keep the name for SNI and the
    certificate check (and the Host header)."""
    names = Names({"hooks.shop.test": [PUBLIC]})
    backend = Recording(tls=True)
    poster = _poster(names, network_backend=backend)
    with pytest.raises(DeliveryError):  # the recording stream ends the attempt
        poster.post(_request("https://hooks.shop.test/h"))
    assert backend.log == [("connect", PUBLIC), ("tls", "hooks.shop.test")]
    assert names.asked == ["hooks.shop.test"]


def test_dns_rebinding_is_refused_at_delivery() -> None:
    """Public when the endpoint was registered, loopback when it is delivered to."""
    names = Names({"rebind.shop.test": [PUBLIC]})
    backend = Recording()
    poster = _poster(names, network_backend=backend)
    poster.check_url("https://rebind.shop.test/h")  # accepted at registration
    names.table["rebind.shop.test"] = ["127.0.0.1"]
    with pytest.raises(DeliveryError, match=REFUSED):
        poster.post(_request("https://rebind.shop.test/h"))
    assert backend.connected == []


def test_a_real_delivery_reaches_the_resolved_address_under_its_own_host_name(
    loopback_only: list[str],
) -> None:
    received: list[Recorded] = []

    def ok(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        received.append(rec)
        return 204, {}, b""

    with HttpRecorder(ok) as server:
        port = server.server.server_address[1]
        names = Names({"hooks.internal": ["127.0.0.1"]})
        poster = _poster(names, allow="hooks.internal")  # allowed by name
        assert poster.post(_request(f"http://hooks.internal:{port}/h", "whsec_x")) == 204
        [rec] = received
        assert rec.headers["Host"] == f"hooks.internal:{port}"
        assert verify_postpurchase(
            rec.body, rec.headers[POSTPURCHASE_HEADER], "whsec_x", datetime.now(UTC)
        )
        assert loopback_only == ["127.0.0.1"]
        # the same server under another name, not allowed: refused, nothing connects
        names.table["other.shop.test"] = ["127.0.0.1"]
        with pytest.raises(DeliveryError, match=REFUSED):
            _poster(names).post(_request(f"http://other.shop.test:{port}/h"))
        assert len(received) == 1 and loopback_only == ["127.0.0.1"]


def test_redirects_are_not_followed() -> None:
    def bounce(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        return 307, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""

    with HttpRecorder(bounce) as server:
        names = Names({})
        poster = _poster(names, allow="127.0.0.1")
        assert poster.post(_request(f"{server.url}/h")) == 307  # a failure: retried later
        assert len(server.requests) == 1 and names.asked == []


def test_the_allow_list_takes_networks_and_names() -> None:
    names = Names({
        "hooks.internal": ["192.168.1.5"], "a.corp.example": ["172.20.0.9"],
        "db.shop.test": ["192.168.1.6"], "v6.shop.test": ["fd00::9"],
    })  # fmt: skip
    backend = Recording()
    poster = _poster(
        names, allow="10.0.0.0/8, hooks.internal,*.corp.example fd00::/8", network_backend=backend
    )
    for url in ("http://10.2.3.4/h", "http://hooks.internal/h", "https://a.corp.example/h",
                "http://v6.shop.test/h"):  # fmt: skip
        with pytest.raises(DeliveryError) as err:  # "connected" by the recorder: not refused
            poster.post(_request(url))
        assert str(err.value) != REFUSED and not err.value.permanent
    with pytest.raises(DeliveryError, match=REFUSED):
        poster.post(_request("http://db.shop.test/h"))
    assert backend.connected == ["10.2.3.4", "192.168.1.5", "172.20.0.9", "fd00::9"]


def test_the_allow_list_setting_is_validated() -> None:
    assert NotifySettings(outbound_allow="10.0.0.0/8,hooks.internal").outbound_policy.networks
    with pytest.raises(ValueError, match="outbound_allow"):
        NotifySettings(outbound_allow="10.0.0.0/8,http://nope/")


def test_the_delivery_record_does_not_tell_open_ports_from_closed_ones(engine: Engine) -> None:
    """Two endpoints on loopback: one port with a server behind it, one without. Both were
    registered under names that looked public then (rebinding); both records say the same."""
    with HttpRecorder(lambda rec: (200, {}, b"ok")) as server:
        open_port = server.server.server_address[1]
        closed_port = net_guard_free_port()
        names = Names({"open.shop.test": [PUBLIC], "closed.shop.test": [PUBLIC]})
        poster = _poster(names)
        notify = make_notify(engine, quiet_settings(), Channels(webhooks=poster))
        for name, port in (("open", open_port), ("closed", closed_port)):
            notify.service.create_endpoint(
                notify.merchant.id, f"http://{name}.shop.test:{port}/h", ["order.placed"]
            )
        names.table = {"open.shop.test": ["127.0.0.1"], "closed.shop.test": ["127.0.0.1"]}
        notify.platform.bus().handle(place_order(notify.merchant.id))
        notify.drain()
        with engine.connect() as conn:
            rows = [
                queries.list_deliveries(conn, notify.merchant.id, ep["id"])[0][0]
                for ep in queries.list_endpoints(conn, notify.merchant.id)
            ]
        seen = {
            (r["status"], r["reason"], r["last_error"], r["last_status_code"], r["attempts"])
            for r in rows
        }
        assert seen == {("failed", f"failed: {REFUSED}", REFUSED, None, 1)}
        assert server.requests == []


def net_guard_free_port() -> int:
    from postpurchase.adapters.notifications.demo_smtp import free_port

    return free_port()


# --------------------------------------------------------------------------- Apprise


def _json_target() -> tuple[list[dict[str, Any]], Any]:
    got: list[dict[str, Any]] = []

    def target(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        got.append(json.loads(rec.body))
        return 200, {}, b"{}"

    return got, target


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fd00::1"])
def test_apprise_targets_inside_our_network_are_refused(
    address: str, loopback_only: list[str]
) -> None:
    got, target = _json_target()
    with HttpRecorder(target) as server:
        port = server.server.server_address[1]
        names = Names({"ops.shop.test": [address]})
        ops = AppriseOpsNotifier(OutboundPolicy.parse("", resolver=names))
        literal = f"[{address}]" if ":" in address else address
        for url in (f"json://ops.shop.test:{port}/ops", f"json://{literal}:{port}/ops"):
            with pytest.raises(DeliveryError) as refused:
                ops.notify([url], "title", "body")
            assert str(refused.value) == REFUSED and refused.value.permanent
    assert got == [] and loopback_only == []


def test_apprise_redirects_are_checked_hop_by_hop(loopback_only: list[str]) -> None:
    def bounce(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""

    with HttpRecorder(bounce) as server:
        ops = AppriseOpsNotifier(OutboundPolicy.parse("127.0.0.1", resolver=Names({})))
        url = server.url.replace("http://", "json://") + "/ops"
        with pytest.raises(DeliveryError) as refused:
            ops.notify([url], "title", "body")
        assert str(refused.value) == REFUSED
        assert len(server.requests) == 1 and set(loopback_only) == {"127.0.0.1"}


def test_one_refused_apprise_target_does_not_stop_the_others(loopback_only: list[str]) -> None:
    got, target = _json_target()
    with HttpRecorder(target) as server:
        names = Names({"ops.internal": ["127.0.0.1"], "evil.shop.test": ["10.9.9.9"]})
        ops = AppriseOpsNotifier(OutboundPolicy.parse("ops.internal", resolver=names))
        port = server.server.server_address[1]
        ops.notify([f"json://evil.shop.test:{port}/x", f"json://ops.internal:{port}/ops"], "t", "b")
        assert [g["title"] for g in got] == ["t"]
        assert set(loopback_only) == {"127.0.0.1"}


def test_outside_the_guard_nothing_changes() -> None:
    """The socket wrappers only act inside ``guarded``: the rest of the process (the
    database driver, Redis, the SMTP channel) resolves and connects as before."""
    infos = socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
    assert infos and infos[0][4][0] == "127.0.0.1"
    with net_guard.guarded(OutboundPolicy()) as guard, pytest.raises(OSError, match=REFUSED):
        socket.getaddrinfo("127.0.0.1", 80)
    assert guard.refused == 1
    assert socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM) == infos
