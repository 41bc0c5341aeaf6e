"""Who is asking for a checkout estimate, and from which storefront.

A publishable key (``pk_…``, in ``Authorization: Bearer`` or the ``key`` query parameter)
or a secret API key names the merchant. Lookups are cached for :data:`TTL_SECONDS`, with
the merchant's zone and checkout settings, so the hot path never waits on the database: a
revoked key, a changed cut-off or origin list takes effect within twice that time (an
expired entry is still served while its one reload runs).

A CORS preflight carries no credentials, so when its URL has no ``key`` it is answered for
an origin that some merchant lists (:class:`OriginIndex`); the estimate itself is readable
cross-origin only by the origins of the key's own merchant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import Platform
from postpurchase.domain.checkout.settings import normalise_origin, settings_of
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.merchants import hash_api_key
from postpurchase.service_layer.checkout import keys
from postpurchase.service_layer.checkout.estimates import Merchant as CheckoutMerchant

TTL_SECONDS = 5.0  # a change shows within 2 x this (see CallerCache.last)
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    merchant: CheckoutMerchant
    locale: str  # the merchant's default locale
    publishable: bool


class CallerCache:
    """Key -> caller, for :data:`TTL_SECONDS` (unknown keys too, so a bad key costs one
    read per TTL, not one per request)."""

    def __init__(self, ttl: float = TTL_SECONDS, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.now = now  # the platform's clock in the app, so tests can move it
        self._entries: dict[str, tuple[float, Caller | None]] = {}

    def cached(self, key: str) -> tuple[bool, Caller | None]:
        hit = self._entries.get(hash_api_key(key))
        if hit is not None and self.now() - hit[0] < self.ttl:
            return True, hit[1]
        return False, None

    def last(self, key: str) -> tuple[bool, Caller | None]:
        """The last answer for ``key`` if it expired within the last TTL: served while a
        fresh one loads (so a revoked key works at most 2 x TTL; with a TTL of 0, never)."""
        hit = self._entries.get(hash_api_key(key))
        if hit is None or self.now() - hit[0] >= 2 * self.ttl:
            return False, None
        return True, hit[1]

    def load(self, platform: Platform, key: str) -> Caller | None:
        """Read the key's merchant (blocking: call it off the event loop)."""
        digest = hash_api_key(key)
        if keys.is_publishable(key):
            merchant_id = keys.merchant_of(platform.uow(), key)
            with platform.uow() as uow:
                merchant = uow.merchants.get(merchant_id) if merchant_id else None
        else:
            with platform.uow() as uow:
                merchant = uow.merchants.get_by_api_key_hash(digest)
        caller = None
        if merchant is not None:
            caller = Caller(
                CheckoutMerchant(merchant.id, merchant.timezone, settings_of(merchant.settings)),
                merchant.locale,
                keys.is_publishable(key),
            )
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = (self.now(), caller)
        return caller


class OriginIndex:
    """Every origin some merchant lists, refreshed every :data:`TTL_SECONDS`."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._at = -1e9
        self._origins: frozenset[str] = frozenset()

    def fresh(self) -> bool:
        return time.monotonic() - self._at < self.ttl

    def contains(self, origin: str) -> bool:
        return origin in self._origins

    def load(self, platform: Platform) -> None:
        found: set[str] = set()
        with platform.engine.connect() as conn:
            for (raw,) in conn.execute(select(t.merchants.c.settings)):
                found.update(settings_of(raw or {}).storefront_origins)
        self._origins = frozenset(found)
        self._at = time.monotonic()


@lru_cache(maxsize=1024)
def request_origin(raw: str | None) -> str | None:
    """The ``Origin`` header as we store origins, or None (absent, ``null``, malformed)."""
    if not raw or raw == "null":
        return None
    try:
        return normalise_origin(raw)
    except InvalidInput:
        return None
