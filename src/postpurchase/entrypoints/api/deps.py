"""Typed dependencies: routes receive these, they never build them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from postpurchase.bootstrap import Platform
from postpurchase.domain.merchants import Merchant, hash_api_key
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.service_layer.messagebus import MessageBus

_KEY_CACHE_SECONDS = 30.0


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_bus(platform: PlatformDep) -> MessageBus:
    return platform.bus()


BusDep = Annotated[MessageBus, Depends(get_bus)]


def get_read_conn(platform: PlatformDep) -> Iterator[Connection]:
    with platform.engine.connect() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(get_read_conn)]


class KeyCache:
    """API keys resolved in the last few seconds; keeps auth off the hot path's DB budget.
    A revoked key stops working within ``_KEY_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Merchant | None]] = {}

    def lookup(self, platform: Platform, key: str) -> Merchant | None:
        digest = hash_api_key(key)
        hit = self._entries.get(digest)
        now = time.monotonic()
        if hit and now - hit[0] < _KEY_CACHE_SECONDS:
            return hit[1]
        with platform.uow() as uow:
            merchant = uow.merchants.get_by_api_key_hash(digest)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[digest] = (now, merchant)
        return merchant


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_merchant(request: Request, platform: PlatformDep) -> Merchant:
    key = bearer_key(request)
    challenge = {"WWW-Authenticate": 'Bearer realm="postpurchase"'}
    if key is None:
        raise Problem(
            401,
            "Unauthorized",
            "send your API key as 'Authorization: Bearer <key>'",
            field="Authorization",
            headers=challenge,
        )
    if key.startswith("pk_"):  # service_layer.checkout.keys.PUBLISHABLE_PREFIX
        raise Problem(
            403,
            "Forbidden",
            "a publishable key can only read checkout estimates; use your secret API key",
            field="Authorization",
        )
    cache: KeyCache = request.app.state.key_cache
    merchant = cache.lookup(platform, key)
    if merchant is None:
        raise Problem(
            401,
            "Unauthorized",
            "the API key is not valid",
            field="Authorization",
            headers=challenge,
        )
    return merchant


MerchantDep = Annotated[Merchant, Depends(current_merchant)]


def api_actor(request: Request) -> str:
    """Who is acting, for the audit log: the API key's fingerprint (the first characters of
    its hash), which names one key without revealing it. Used after :func:`current_merchant`
    has accepted the key."""
    key = bearer_key(request)
    return f"api:{hash_api_key(key)[:12]}" if key else "api:unknown"


ApiActorDep = Annotated[str, Depends(api_actor)]
