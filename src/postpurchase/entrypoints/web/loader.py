"""Loading a tracking page for a request: token, merchant, host, language, clock, estimate.

Shared by the HTML page and its JSON twin so both answer the same question the same way.
Merchant profiles and the custom-domain map are cached in the process for a few seconds:
they change rarely, and the tracking page is the most visited page a merchant has, so it
should cost the database the order and nothing else.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import Connection

from postpurchase.adapters.db import read_models, tracking_views
from postpurchase.adapters.db.tracking_views import MerchantProfile
from postpurchase.bootstrap import Platform
from postpurchase.domain.status import ShipmentStatus
from postpurchase.entrypoints.web.branding import Branding, branding_from, request_host
from postpurchase.entrypoints.web.estimates import Estimator, engine_estimator
from postpurchase.entrypoints.web.i18n import (
    Translator,
    choose_language,
    normalise_language,
    shopper_zone,
    translator,
)
from postpurchase.entrypoints.web.page import TrackingPage, build_page
from postpurchase.entrypoints.web.ratelimit import LookupLimiter

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LANG_COOKIE = "pp_lang"
PROFILE_TTL = 30.0
DOMAINS_TTL = 60.0


def valid_token(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


@dataclass
class _Cached:
    at: float
    value: Any


@dataclass
class PageState:
    """Per-app caches and the lookup limiter, created on first use (see :func:`state_of`)."""

    clock: Callable[[], float] = time.monotonic
    limiter: LookupLimiter = field(default_factory=LookupLimiter)
    estimator: Estimator | None = engine_estimator
    _profiles: dict[str, _Cached] = field(default_factory=dict)
    _domains: _Cached | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def profile(self, conn: Connection, merchant_id: str) -> MerchantProfile | None:
        now = self.clock()
        hit = self._profiles.get(merchant_id)
        if hit is not None and now - hit.at < PROFILE_TTL:
            value: MerchantProfile | None = hit.value
            return value
        profile = tracking_views.merchant_profile(conn, merchant_id)
        if len(self._profiles) > 10_000:
            self._profiles.clear()
        self._profiles[merchant_id] = _Cached(now, profile)
        return profile

    def domains(self, conn: Connection) -> dict[str, str]:
        """Custom host name -> merchant id, from every merchant's tracking-page settings."""
        now = self.clock()
        cached = self._domains
        if cached is not None and now - cached.at < DOMAINS_TTL:
            mapping: dict[str, str] = cached.value
            return mapping
        mapping = {}
        for merchant_id, settings in tracking_views.merchant_settings(conn):
            for host in branding_from("", settings).custom_domains:
                mapping.setdefault(host, merchant_id)
        self._domains = _Cached(now, mapping)
        return mapping

    def forget(self) -> None:
        """Drop cached profiles and domains (tests, and after a merchant edits settings)."""
        with self._lock:
            self._profiles.clear()
            self._domains = None


_STATE_LOCK = threading.Lock()


def state_of(request: Request) -> PageState:
    """The app's :class:`PageState`; an app may pre-set one (or a delivery estimator)."""
    app_state = request.app.state
    found = getattr(app_state, "tracking_page", None)
    if found is None:
        with _STATE_LOCK:
            found = getattr(app_state, "tracking_page", None)
            if found is None:
                found = PageState()
                custom = getattr(app_state, "delivery_estimator", None)
                if custom is not None:
                    found.estimator = custom
                app_state.tracking_page = found
    state: PageState = found
    return state


def host_merchant(request: Request, conn: Connection, state: PageState) -> str | None:
    """The merchant whose custom domain this request came in on, if any."""
    host = request_host(request.headers.get("host"))
    if host is None:
        return None
    return state.domains(conn).get(host)


def explicit_language(request: Request) -> str | None:
    """The shopper's own choice: a valid ``?lang=`` now, else the one remembered in a cookie."""
    return normalise_language(request.query_params.get("lang")) or normalise_language(
        request.cookies.get(LANG_COOKIE)
    )


@dataclass(frozen=True, slots=True)
class Loaded:
    page: TrackingPage
    t: Translator
    merchant: MerchantProfile
    order: dict[str, Any]


def load_page(
    request: Request,
    platform: Platform,
    token: str,
    *,
    prefer_explicit: str | None,
    check_host: bool,
) -> Loaded | None:
    """The page for ``token``, or None when it must look like it does not exist.

    On a merchant's custom domain only that merchant's orders exist: a token of another
    merchant opened on it is a 404, so one shop's domain never shows another's orders.
    """
    if not valid_token(token):
        return None
    state = state_of(request)
    with platform.engine.connect() as conn:
        order = read_models.get_order_by_token(conn, token)
        if order is None:
            return None
        if check_host:
            owner = host_merchant(request, conn, state)
            if owner is not None and owner != order["merchant_id"]:
                return None
        merchant = state.profile(conn, order["merchant_id"])
        if merchant is None:
            return None
        delivered = any(s["status"] == ShipmentStatus.DELIVERED for s in order["shipments"])
        score = tracking_views.get_rating(conn, order["id"]) if delivered else None
    lang = choose_language(
        prefer_explicit,
        order.get("locale"),
        merchant.locale,
        accept_language=request.headers.get("accept-language"),
    )
    t = translator(lang)
    address = order.get("shipping_address") or {}
    tz = shopper_zone(
        order.get("timezone"), merchant.timezone, address.get("country"), address.get("region")
    )
    now: datetime = platform.clock.now()
    branding: Branding = branding_from(merchant.name, merchant.settings)
    page = build_page(
        order=order,
        token=token,
        branding=branding,
        t=t,
        tz=tz,
        now=now,
        rating_score=score,
        estimator=state.estimator,
    )
    return Loaded(page, t, merchant, order)
