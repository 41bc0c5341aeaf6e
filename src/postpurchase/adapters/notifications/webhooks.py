"""Outbound webhooks: JSON POSTs signed with HMAC-SHA256 (``X-Postpurchase-Signature``).

The signature scheme is the one :mod:`postpurchase.adapters.signatures` verifies:
``t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}." + body)>``. The timestamp is the real wall
clock at sending time (receivers compare it with theirs), so every retry and every replay is
signed afresh while the body -- and the event id inside it -- stays byte-identical, and so
does ``Idempotency-Key`` (the delivery id): a receiver that keeps the keys it has processed
recognises a POST re-sent because we crashed after it was answered and before we recorded
the answer. A replay is a new delivery with a new key (same event id).

Merchants choose the URL, so every connection goes through :mod:`postpurchase.adapters.
net_guard`: the transport resolves the host once, refuses loopback, private, link-local and
other internal addresses (unless ``POSTPURCHASE_OUTBOUND_ALLOW`` lists them), and connects
to exactly the address it checked, while the request keeps its host name (``Host`` header,
TLS SNI and certificate check). Redirects are not followed, and environment proxies are not
used (the connection must go where it was checked). A refused address is recorded as
:data:`~postpurchase.adapters.net_guard.REFUSED`, nothing more.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import httpcore
import httpx

from postpurchase import __version__
from postpurchase.adapters.net_guard import (
    REFUSED,
    AddressNotAllowed,
    HostNotFound,
    OutboundPolicy,
)
from postpurchase.adapters.signatures import POSTPURCHASE_HEADER, sign_postpurchase
from postpurchase.domain.errors import InvalidInput
from postpurchase.service_layer.notification_ports import DeliveryError, WebhookRequest

MAX_RESPONSE_BYTES = 4096


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, resolving and checking every host before connecting to
    one of the addresses that passed (``inner`` does the connecting; tests pass a fake)."""

    def __init__(self, policy: OutboundPolicy, inner: httpcore.NetworkBackend | None = None):
        self.policy = policy
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.policy.resolve(host, port)
        except HostNotFound as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise AddressNotAllowed()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport with the connection pool on a :class:`GuardedBackend`."""

    def __init__(
        self, policy: OutboundPolicy, *, network_backend: httpcore.NetworkBackend | None = None
    ) -> None:
        ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("this httpx version keeps its pool elsewhere: cannot guard it")
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy, network_backend),
        )


class HttpWebhookPoster:
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        policy: OutboundPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        network_backend: httpcore.NetworkBackend | None = None,
    ) -> None:
        """``policy``: which destinations are allowed (default: public addresses only).
        ``transport`` replaces the guarded transport entirely (tests of the signing only);
        ``network_backend`` keeps the guard and replaces the sockets under it (tests)."""
        self.wall_clock = wall_clock
        self.policy = policy or OutboundPolicy()
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,  # a redirect would re-send the body somewhere unsigned-for
            headers={"User-Agent": f"postpurchase-webhooks/{__version__}"},
            transport=transport or GuardedTransport(self.policy, network_backend=network_backend),
            trust_env=False,  # no proxy from the environment: we connect where we checked
        )

    def check_url(self, url: str) -> None:
        """At registration: refuse a URL whose host is (or resolves to) an address we do not
        connect to. The delivery checks again (DNS answers change)."""
        try:
            self.policy.check_url(url)
        except AddressNotAllowed:
            raise InvalidInput(
                "url points at an address webhooks are not sent to (loopback, private, "
                "link-local or another internal range); a self-hosted server can allow it "
                "with POSTPURCHASE_OUTBOUND_ALLOW",
                field="url",
            ) from None

    def post(self, request: WebhookRequest) -> int:
        headers = {
            "Content-Type": "application/json",
            POSTPURCHASE_HEADER: sign_postpurchase(request.body, request.secret, self.wall_clock()),
            "X-Postpurchase-Event-Id": request.event_id,
            "X-Postpurchase-Event-Type": request.event_type,
            "X-Postpurchase-Delivery-Id": request.delivery_id,
            # the same on every attempt of this delivery, a re-send after our crash included
            # (draft-ietf-httpapi-idempotency-key-header); a replay is a new delivery
            "Idempotency-Key": request.delivery_id,
        }
        try:
            response = self.client.post(request.url, content=request.body, headers=headers)
        except AddressNotAllowed:
            raise DeliveryError(REFUSED, permanent=True) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise DeliveryError(f"invalid endpoint URL: {exc}", permanent=True) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
        return response.status_code

    def close(self) -> None:
        self.client.close()
