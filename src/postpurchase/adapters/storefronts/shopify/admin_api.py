"""A small client for Shopify's Admin GraphQL API that respects its cost-based rate limit.

Shopify gives each app and shop a bucket of query-cost points that refills at a restore
rate; every answer reports ``extensions.cost.throttleStatus`` (``currentlyAvailable``,
``maximumAvailable``, ``restoreRate``). The client remembers the last status and, before
the next call, waits until the bucket holds what the previous query cost; a ``THROTTLED``
error (HTTP 200 with ``errors[].extensions.code``) or an HTTP 429 is waited out and retried.

Errors it raises instead of answering:

* :class:`AccessRevoked`: 401 or 403 (the shop uninstalled the app, or the token was
  rotated); retrying does not help.
* :class:`AdminApiError`: anything else that is not data: GraphQL errors, a server error
  that persisted over the retries, a network failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

MAX_ATTEMPTS = 6
SERVER_RETRY = 1.0  # seconds, doubling, for 5xx and network errors
MAX_WAIT = 60.0


class AdminApiError(RuntimeError):
    """The Admin API did not answer with data."""


class AccessRevoked(AdminApiError):
    """The access token is no longer accepted (401/403)."""


@dataclass(frozen=True, slots=True)
class Throttle:
    currently_available: float
    maximum_available: float
    restore_rate: float

    def wait_for(self, cost: float) -> float:
        """Seconds until the bucket holds ``cost`` points."""
        missing = cost - self.currently_available
        if missing <= 0 or self.restore_rate <= 0:
            return 0.0
        return min(missing / self.restore_rate, MAX_WAIT)


def graphql_url(shop: str, version: str, base: str = "") -> str:
    return f"{base or f'https://{shop}'}/admin/api/{version}/graphql.json"


def gid_number(value: object) -> str | None:
    """``gid://shopify/Order/450789469`` -> ``450789469`` (a number given as is)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value.rsplit("/", 1)[-1].split("?", 1)[0]
    return None


class AdminApi:
    """One shop's Admin GraphQL endpoint with its access token."""

    def __init__(
        self,
        client: httpx.Client,
        shop: str,
        token: str,
        *,
        version: str,
        base: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.shop = shop
        self.version = version
        self.url = graphql_url(shop, version, base)
        self._token = token
        self.sleep = sleep
        self.throttle: Throttle | None = None
        self.last_cost: float = 0.0
        self.waited: float = 0.0  # seconds spent waiting for the bucket, for progress

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self.sleep(seconds)

    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """The ``data`` of a query or mutation (user errors are the caller's to read).

        ``idempotent=False`` (a refund, a fulfilment): a request that may have reached
        Shopify is never sent again (a network error after sending, a 5xx); only answers
        that say it was not run (throttled, 429) are retried. The caller settles the unknown.
        """
        if self.throttle is not None:
            self._pause(self.throttle.wait_for(self.last_cost))
        delay = SERVER_RETRY
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self.client.post(
                    self.url,
                    json={"query": document, "variables": dict(variables or {})},
                    headers={"X-Shopify-Access-Token": self._token, "Accept": "application/json"},
                )
            except httpx.HTTPError as exc:
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt == MAX_ATTEMPTS or not (idempotent or unsent):
                    raise AdminApiError(f"{self.shop}: {type(exc).__name__}: {exc}") from None
                self._pause(delay)
                delay *= 2
                continue
            status = response.status_code
            if status in (401, 403):
                raise AccessRevoked(
                    f"{self.shop} refused the access token ({status}): the app was "
                    "uninstalled or its access revoked; install it again"
                )
            if status == 429 or status >= 500:
                if attempt == MAX_ATTEMPTS or (status != 429 and not idempotent):
                    raise AdminApiError(f"{self.shop} answered {status} {attempt} times")
                retry_after = response.headers.get("Retry-After", "")
                wait = float(retry_after) if _number(retry_after) else delay
                self._pause(min(wait, MAX_WAIT))
                delay *= 2
                continue
            if status != 200:
                raise AdminApiError(f"{self.shop} answered {status}: {response.text[:200]}")
            try:
                body = response.json()
            except ValueError:
                raise AdminApiError(f"{self.shop} answered with something not JSON") from None
            if not isinstance(body, dict):
                raise AdminApiError(f"{self.shop} answered with something not an object")
            cost = _cost(body)
            if cost is not None:
                self.throttle, self.last_cost = cost
            errors = body.get("errors")
            if errors:
                if _throttled(errors) and attempt < MAX_ATTEMPTS:
                    requested = _requested(body) or self.last_cost
                    waiting = self.throttle.wait_for(requested) if self.throttle else delay
                    self._pause(max(waiting, 0.5))
                    continue
                raise AdminApiError(f"{self.shop}: {_messages(errors)}")
            data = body.get("data")
            if not isinstance(data, dict):
                raise AdminApiError(f"{self.shop} answered without data")
            return data
        raise AdminApiError(f"{self.shop}: still throttled after {MAX_ATTEMPTS} attempts")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cost(body: Mapping[str, Any]) -> tuple[Throttle, float] | None:
    cost = (body.get("extensions") or {}).get("cost")
    if not isinstance(cost, Mapping):
        return None
    status = cost.get("throttleStatus")
    if not isinstance(status, Mapping):
        return None
    try:
        throttle = Throttle(
            float(status["currentlyAvailable"]),
            float(status["maximumAvailable"]),
            float(status["restoreRate"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    spent = cost.get("actualQueryCost") or cost.get("requestedQueryCost") or 0
    return throttle, float(spent)


def _requested(body: Mapping[str, Any]) -> float | None:
    cost = (body.get("extensions") or {}).get("cost")
    value = cost.get("requestedQueryCost") if isinstance(cost, Mapping) else None
    return float(value) if isinstance(value, int | float) else None


def _throttled(errors: object) -> bool:
    if isinstance(errors, str):
        return errors.lower() == "throttled"
    if not isinstance(errors, list):
        return False
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        code = (error.get("extensions") or {}).get("code")
        if code == "THROTTLED" or str(error.get("message", "")).lower() == "throttled":
            return True
    return False


def _messages(errors: object) -> str:
    if isinstance(errors, list):
        texts = [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors]
        return "; ".join(texts)[:500]
    return str(errors)[:500]


def user_errors(payload: Mapping[str, Any] | None) -> list[tuple[str | None, str]]:
    """A mutation's ``userErrors`` as (field path, message)."""
    found: list[tuple[str | None, str]] = []
    for error in (payload or {}).get("userErrors") or ():
        field = error.get("field")
        path = ".".join(str(p) for p in field) if isinstance(field, list) else None
        found.append((path, str(error.get("message", ""))))
    return found
