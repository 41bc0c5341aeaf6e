"""A client for a WooCommerce store's REST API v3 (``/wp-json/wc/v3``).

* Authentication: the merchant's REST API key (``ck_…``) and secret (``cs_…``) as HTTP
  Basic auth, which WooCommerce accepts over HTTPS only. Plain ``http://`` is refused,
  except for a store on a network the operator listed in ``POSTPURCHASE_OUTBOUND_ALLOW``
  (a staging store inside the network; the tests' local server).
* The store URL is the merchant's: every connection goes through the outbound guard
  (``adapters/net_guard``), so it cannot point us at our own network, a cloud metadata
  service or the database. Redirects are not followed (they could lead there).
* Collections are paged with ``page`` and ``per_page`` (at most 100); WooCommerce states
  ``X-WP-Total`` and ``X-WP-TotalPages`` on every page.
* 429 and 5xx answers, and network failures, are retried with backoff (``Retry-After``
  honoured, at most ``MAX_WAIT`` seconds); 401 and 403 raise :class:`AccessRefused` at
  once (a revoked or read-only key does not get better by asking again).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from postpurchase import __version__
from postpurchase.adapters.net_guard import AddressNotAllowed, HostNotFound, OutboundPolicy
from postpurchase.adapters.notifications.webhooks import GuardedTransport
from postpurchase.domain.errors import InvalidInput

API_PREFIX = "/wp-json/wc/v3"
MAX_PER_PAGE = 100
MAX_ATTEMPTS = 5
FIRST_WAIT = 1.0  # seconds, doubling
MAX_WAIT = 60.0


class WooError(RuntimeError):
    """The store did not answer with what was asked. ``status`` is its HTTP status (None
    when nothing came back), ``code`` WooCommerce's error code when it gave one."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code


class AccessRefused(WooError):
    """401/403: the key or secret is wrong, revoked, or lacks the permission asked for."""


class StoreUnreachable(WooError):
    """The store's address is not one we connect to, does not resolve, or did not answer."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    page: int
    total: int | None  # X-WP-Total
    total_pages: int | None  # X-WP-TotalPages

    @property
    def has_next(self) -> bool:
        if self.total_pages is not None:
            return self.page < self.total_pages
        return bool(self.items)


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def check_store_url(url: str, policy: OutboundPolicy) -> None:
    """Refuse a store URL we would not send credentials to (before anything is stored)."""
    parts = urlsplit(url)
    if parts.scheme == "http" and not _allowed_inside(parts.hostname or "", policy):
        raise InvalidInput(
            "the store must be reached over https:// (WooCommerce accepts REST keys over "
            "HTTPS only)",
            field="url",
        )
    try:
        policy.check_url(url)
    except AddressNotAllowed:
        raise InvalidInput(
            "the store's address is inside this server's network (loopback, private, "
            "link-local); a self-hosted server can allow it with POSTPURCHASE_OUTBOUND_ALLOW",
            field="url",
        ) from None


def _allowed_inside(host: str, policy: OutboundPolicy) -> bool:
    """Plain http goes only to a host the operator listed: by name, or every address it
    resolves to inside a listed network."""
    if policy.name_allowed(host):
        return True
    try:
        found = [ipaddress.ip_address(a) for a in policy.resolve(host, 80)]
    except (AddressNotAllowed, HostNotFound, ValueError):
        return False
    return all(any(ip in n for n in policy.networks if n.version == ip.version) for ip in found)


class WooClient:
    """One store, one key. ``transport`` replaces the guarded transport (tests of the
    protocol only); ``sleep`` is how backoff waits (tests pass a recorder)."""

    def __init__(
        self,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        policy: OutboundPolicy,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        check_store_url(store_url, policy)
        self.base = store_url.rstrip("/") + API_PREFIX
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.http = httpx.Client(
            auth=httpx.BasicAuth(consumer_key, consumer_secret),
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": f"postpurchase/{__version__}", "Accept": "application/json"},
            transport=transport or GuardedTransport(policy),
            trust_env=False,
        )

    def __enter__(self) -> WooClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        once: bool = False,
    ) -> httpx.Response:
        """One call, retried on 429, 5xx and network failures; raises on anything else
        that is not a 2xx. ``once``: a call that must not run twice (a refund): retried only
        on 429, which WooCommerce answers before doing anything; a 5xx or a lost answer is
        raised, since the store may have acted."""
        url = f"{self.base}/{path.lstrip('/')}"
        wait = FIRST_WAIT
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                response = self.http.request(method, url, params=params, json=json)
            except AddressNotAllowed:
                raise StoreUnreachable("the store's address is not one we connect to") from None
            except httpx.HTTPError as exc:
                if last or (once and not isinstance(exc, httpx.ConnectError)):
                    raise StoreUnreachable(f"the store did not answer: {exc}") from exc
                self.sleep(wait)
                wait = min(wait * 2, MAX_WAIT)
                continue
            status = response.status_code
            if status < 300:
                return response
            if (status == 429 or (status >= 500 and not once)) and not last:
                self.sleep(_retry_after(response, wait))
                wait = min(wait * 2, MAX_WAIT)
                continue
            raise _error(response)
        raise AssertionError("unreachable")  # the loop returns or raises

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.request("POST", path, json=body).json()

    def page(self, path: str, page: int, per_page: int = MAX_PER_PAGE, **params: Any) -> Page:
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        response = self.request("GET", path, params={**params, "page": page,
                                                     "per_page": per_page})  # fmt: skip
        items = response.json()
        if not isinstance(items, list):
            raise WooError(f"{path} did not answer with a list", status=response.status_code)
        return Page(
            items=items,
            page=page,
            total=_header_int(response.headers, "X-WP-Total"),
            total_pages=_header_int(response.headers, "X-WP-TotalPages"),
        )

    def all(self, path: str, per_page: int = MAX_PER_PAGE, **params: Any) -> list[Any]:
        """Every item of a (small) collection, page after page."""
        found: list[Any] = []
        number = 1
        while True:
            page = self.page(path, number, per_page, **params)
            found.extend(page.items)
            if not page.has_next:
                return found
            number += 1


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return min(float(value), MAX_WAIT)
    return default


def _error(response: httpx.Response) -> WooError:
    """WooCommerce errors are ``{"code": "...", "message": "...", "data": {"status": N}}``."""
    code: str | None = None
    message = response.reason_phrase or "error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        if isinstance(body.get("message"), str):
            message = body["message"]
    status = response.status_code
    text = f"HTTP {status}" + (f" {code}" if code else "") + f": {message}"
    if status in (401, 403):
        return AccessRefused(text, status=status, code=code)
    return WooError(text, status=status, code=code)
