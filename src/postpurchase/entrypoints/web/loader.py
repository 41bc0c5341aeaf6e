"""Serving a tracking page for a request: token, merchant, host, language, clock, estimate.

Shared by the HTML page and its JSON twin so both answer the same question the same way.

The tracking page is the most visited page a merchant has, and shoppers reload it, so it is
cached in the process at two levels:

- finished responses (:mod:`.fastpath`), replayed by :class:`TrackingPageFastPath` before
  routing for at most ``max_stale`` seconds after the database was last read for them (a
  sweep re-reads the versions of the pages being viewed and extends the ones that have not
  changed; an answer past its freshness is checked again before it is replayed);
- rendered pages (:class:`PageCache`), keyed by token, language and format and checked on
  every request that reaches the route against a one-row *version* of the order (its status
  and update time, its shipments' scan counts and last scan, the rating): any new scan,
  parcel, cancellation or rating changes the version.

So a page is never staler than ``max_stale`` seconds. Rendered pages also expire after
:data:`PAGE_TTL` seconds because "today", "tomorrow" and the live estimate move with the
clock, and both levels drop a page when the merchant's settings change. Merchant profiles
are re-read every ``max_stale`` seconds, the custom-domain map every minute. Page reads run
on the event loop (:mod:`.page_reads`, ADR 0006).

The caches and their sweeps live in :mod:`.page_state` and :mod:`.page_cache`; this module
re-exports the names callers know it by.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import Connection
from starlette.types import ASGIApp, Receive, Scope, Send

from postpurchase.adapters.db import read_models, tracking_views
from postpurchase.adapters.db.tracking_views import MerchantProfile
from postpurchase.bootstrap import Platform
from postpurchase.entrypoints.web.branding import request_host
from postpurchase.entrypoints.web.fastpath import (
    LANG_COOKIE,
    etag_matches,
    etag_of,
    headers_for_304,
    request_key,
)
from postpurchase.entrypoints.web.i18n import (
    Translator,
    choose_language,
    normalise_language,
    shopper_zone,
    translator,
)
from postpurchase.entrypoints.web.page import build_page
from postpurchase.entrypoints.web.page_cache import (
    PAGE_TTL,
    PageCache,
    Rendered,
    Served,
)
from postpurchase.entrypoints.web.page_models import TrackingPage
from postpurchase.entrypoints.web.page_state import (
    PageState,
    page_reads,
    state_for,
    state_of,
    valid_token,
)
from postpurchase.entrypoints.web.recommendations_block import RecommendationCard, cards_for
from postpurchase.service_layer.recommendations import LINK_PURPOSE

T = TypeVar("T")


async def _platform(request: Request) -> Platform:
    """Async on purpose: FastAPI runs a sync dependency in the thread pool, and a thread hop
    per request costs the tracking page more CPU than its cached answer does."""
    platform: Platform = request.app.state.platform
    return platform


WebPlatform = Annotated[Platform, Depends(_platform)]

# Lookups and writes (the /track form, a rating) run in at most this many threads; page
# reads do not use them (see page_reads). Every thread competes with the event loop for the GIL.
PAGE_THREADS = 2
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def in_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking work (a lookup, a write) off the event loop, in the page pool (one
    limiter per event loop: a limiter must not outlive the loop it was used in)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(PAGE_THREADS)
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=limiter)


class TrackingPageFastPath:
    """Pure ASGI middleware: replays a fresh cached tracking page (or JSON twin) answer.

    Consulted before routing, so a repeat view costs about what a static file does. Every
    other request, and every miss, goes on to the app unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and "app" in scope:
            found = request_key(scope, valid_token)
            if found is not None:
                state = state_for(scope["app"])
                now = state.clock()
                entry = state.responses.lookup(found.key, now)
                if entry is None and state.max_stale > 0:
                    entry = state.revalidate(scope["app"], found.key, now)
                if entry is not None:
                    if found.if_none_match and etag_matches(found.if_none_match, entry.etag):
                        status, headers, body = 304, entry.headers_304, b""
                    else:
                        status, headers, body = 200, entry.headers, entry.body
                    start = {"type": "http.response.start", "status": status, "headers": headers}
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                    state.maybe_sweep(scope["app"], now)
                    return
        await self.app(scope, receive, send)


def not_modified(request: Request, rendered: Rendered) -> bool:
    """Whether the request's ``If-None-Match`` names this answer's ETag."""
    inm = request.headers.get("if-none-match")
    return inm is not None and etag_matches(inm, rendered.headers["ETag"])


def not_modified_response(response: Response) -> Response:
    """The 304 twin of a 200: the same headers but the body's."""
    out = Response(status_code=304)
    out.raw_headers = headers_for_304(response.raw_headers)
    return out


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
    recommendations: tuple[RecommendationCard, ...] = ()


def serve_page(
    conn: Connection,
    request: Request,
    platform: Platform,
    token: str,
    *,
    fmt: str,
    prefer_explicit: str | None,
    check_host: bool,
    render: Callable[[Loaded], Rendered],
) -> Served | None:
    """The rendered page for ``token`` (cached), or None when it must look like it does not
    exist. Runs through :class:`PageReads` (``conn`` is its read connection).

    On a merchant's custom domain only that merchant's orders exist: a token of another
    merchant opened on it is a 404, so one shop's domain never shows another's orders.
    """
    if not valid_token(token):
        return None
    state = state_of(request)
    held = state.pages.holds(token)
    order: dict[str, Any] | None = None
    if held:
        version = tracking_views.page_version(conn, token)
    else:  # nothing of this order rendered here yet: it will be, so read both at once
        version, order = tracking_views.page_version_and_order(conn, token)
    if version is None:
        return None
    if check_host:
        owner = host_merchant(request, conn, state)
        if owner is not None and owner != version.merchant_id:
            return None
    merchant = state.profile(conn, version.merchant_id)
    if merchant is None:
        return None
    lang = choose_language(
        prefer_explicit,
        version.locale,
        merchant.locale,
        accept_language=request.headers.get("accept-language"),
    )
    key = (token, lang, fmt)
    cached = state.pages.get(key, version, merchant.settings)
    if cached is not None:
        return Served(cached.rendered, version, merchant.settings, cached.at + PAGE_TTL)
    if held:  # the order was not read with the version
        order = read_models.get_order_by_token(conn, token)
    if order is None:  # deleted between the two reads
        return None
    order["edd_model"] = version.edd_model  # the active model, read with the version
    branding = state.branding(merchant)
    t = translator(lang, branding.strings)
    address = order.get("shipping_address") or {}
    tz = shopper_zone(
        order.get("timezone"), merchant.timezone, address.get("country"), address.get("region")
    )
    now: datetime = platform.clock.now()
    page = build_page(
        order=order,
        token=token,
        branding=branding,
        t=t,
        tz=tz,
        now=now,
        rating_score=version.rating,
        estimator=state.estimator,
    )
    # The hosted page and its JSON twin (headless stores) show the same recommendations.
    cards = cards_for(conn, merchant.settings, order, platform.keyring.derive(LINK_PURPOSE), t, now)
    rendered = render(Loaded(page, t, merchant, order, cards))
    # What this render promises, noted when it differs from the last noted (a dictionary
    # look-up); written later by a background thread, never by the view (shown_promises).
    state.shown.note(
        platform.engine,
        merchant_id=version.merchant_id,
        order_id=order["id"],
        page=page,
        fmt=fmt.split("+", 1)[0],
        at=now,
    )
    rendered = replace(rendered, headers={**rendered.headers, "ETag": etag_of(rendered.body)})
    warming = getattr(state.estimator, "warming", None)
    if warming is not None and warming(version.merchant_id):
        # The new model is still loading here: answer from the previous one, keep nothing.
        return Served(rendered, version, merchant.settings, state.clock())
    kept = state.pages.put(key, version, merchant.settings, rendered)
    return Served(rendered, version, merchant.settings, kept.at + PAGE_TTL)


__all__ = [
    "PAGE_THREADS",
    "PAGE_TTL",
    "Loaded",
    "PageCache",
    "PageState",
    "Rendered",
    "Served",
    "TrackingPageFastPath",
    "WebPlatform",
    "explicit_language",
    "host_merchant",
    "in_thread",
    "not_modified",
    "not_modified_response",
    "page_reads",
    "serve_page",
    "state_of",
    "valid_token",
]
