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
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import Connection, Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from postpurchase.adapters.db import read_models, tracking_views
from postpurchase.adapters.db.tracking_views import MerchantProfile, PageVersion
from postpurchase.bootstrap import Platform
from postpurchase.entrypoints.web.branding import Branding, branding_from, request_host
from postpurchase.entrypoints.web.estimates import Estimator, engine_estimator
from postpurchase.entrypoints.web.fastpath import (
    LANG_COOKIE,
    Entry,
    Key,
    ResponseCache,
    etag_matches,
    etag_of,
    headers_for_304,
    make_entry,
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
from postpurchase.entrypoints.web.page_models import TrackingPage
from postpurchase.entrypoints.web.page_reads import PageReads
from postpurchase.entrypoints.web.ratelimit import LookupLimiter

T = TypeVar("T")
log = logging.getLogger(__name__)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_STALE = 2.0  # default of Settings.tracking_page_max_stale_seconds
SWEEP_BATCH = 200  # page versions read per query by a sweep (on SQLite: per block of the loop)
DOMAINS_TTL = 60.0
PAGE_TTL = 60.0
PAGE_CACHE_ENTRIES = 2048  # ~20 KB of HTML each: about 40 MB at most


def valid_token(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


@dataclass(frozen=True, slots=True)
class Rendered:
    """A finished response body with the headers that belong to it (cacheable as a whole),
    and the merchant's branding for what is decided per request (CORS)."""

    body: bytes
    media_type: str
    headers: Mapping[str, str]
    branding: Branding


@dataclass(slots=True)
class _Cached:
    at: float
    value: Any


@dataclass(slots=True)
class CachedPage:
    at: float
    version: PageVersion
    settings: dict[str, Any]
    rendered: Rendered


@dataclass(frozen=True, slots=True)
class Served:
    """A page for a request, with what it was made from (for the response cache)."""

    rendered: Rendered
    version: PageVersion
    settings: dict[str, Any]
    expires: float  # when the render itself is too old (PAGE_TTL), on the state's clock


class PageCache:
    """LRU of rendered pages, each valid for one order version and :data:`PAGE_TTL`."""

    def __init__(
        self, entries: int = PAGE_CACHE_ENTRIES, clock: Callable[[], float] = time.monotonic
    ):
        self.entries = entries
        self.clock = clock
        self._items: OrderedDict[tuple[str, ...], CachedPage] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(
        self, key: tuple[str, ...], version: PageVersion, settings: dict[str, Any]
    ) -> CachedPage | None:
        with self._lock:
            hit = self._items.get(key)
            if (
                hit is None
                or hit.version != version
                or self.clock() - hit.at >= PAGE_TTL
                or hit.settings != settings
            ):
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return hit

    def put(
        self,
        key: tuple[str, ...],
        version: PageVersion,
        settings: dict[str, Any],
        rendered: Rendered,
    ) -> CachedPage:
        page = CachedPage(self.clock(), version, settings, rendered)
        if self.entries <= 0:
            return page
        with self._lock:
            self._items[key] = page
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return page

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass
class PageState:
    """Per-app caches and the lookup limiter, created on first use (see :func:`state_for`).

    ``max_stale`` bounds how old a page may be (seconds since the database was last read for
    it); 0 turns the response cache off, so every view checks the order's version.
    """

    clock: Callable[[], float] = time.monotonic
    limiter: LookupLimiter = field(default_factory=LookupLimiter)
    estimator: Estimator | None = engine_estimator
    pages: PageCache = field(default_factory=PageCache)
    responses: ResponseCache = field(default_factory=ResponseCache)
    max_stale: float = MAX_STALE
    background_sweep: bool = True  # tests call sweep() themselves
    _profiles: dict[str, _Cached] = field(default_factory=dict)
    _brandings: dict[str, tuple[MerchantProfile, Branding]] = field(default_factory=dict)
    _domains: _Cached | None = None
    _sweep_task: asyncio.Task[None] | None = None  # held: the loop keeps only weak refs

    def __post_init__(self) -> None:
        self.pages.clock = self.clock  # one time base for every expiry

    def profile(self, conn: Connection, merchant_id: str) -> MerchantProfile | None:
        now = self.clock()
        hit = self._profiles.get(merchant_id)
        if hit is not None and now - hit.at < self.max_stale:
            value: MerchantProfile | None = hit.value
            return value
        profile = tracking_views.merchant_profile(conn, merchant_id)
        self._remember_profile(merchant_id, profile, now)
        return profile

    def _remember_profile(
        self, merchant_id: str, profile: MerchantProfile | None, at: float
    ) -> None:
        if len(self._profiles) > 10_000:
            self._profiles.clear()
            self._brandings.clear()
        self._profiles[merchant_id] = _Cached(at, profile)

    def branding(self, profile: MerchantProfile) -> Branding:
        """The merchant's validated branding, rebuilt only when its settings change."""
        found = self._brandings.get(profile.id)
        if found is not None and found[0] == profile:
            return found[1]
        built = branding_from(profile.name, profile.settings)
        self._brandings[profile.id] = (profile, built)
        return built

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
        """Drop every cache (tests, and after a merchant edits settings)."""
        self._profiles.clear()
        self._brandings.clear()
        self._domains = None
        self.pages.clear()
        self.responses.clear()

    # ---- response cache ----

    def remember(
        self, request: Request, response: Response, served: Served, read_at: float
    ) -> None:
        """Keep a 200 answer for the fast path, fresh until ``read_at + max_stale`` (``read_at``
        is a time before the order's version was read for it)."""
        if self.max_stale <= 0 or response.status_code != 200:
            return
        found = request_key(request.scope, valid_token)
        if found is None:
            return
        check_host = found.key[0] == "html"
        entry = make_entry(
            token=found.token,
            version=served.version,
            settings=served.settings,
            host=request_host(request.headers.get("host")) if check_host else None,
            raw_headers=response.raw_headers,
            body=bytes(response.body),
            etag=served.rendered.headers["ETag"],
            expires=served.expires,
            fresh_until=read_at + self.max_stale,
        )
        self.responses.store(found.key, entry)

    def maybe_sweep(self, app: Any, now: float) -> None:
        """Start a sweep when one is due (called on cache hits).

        Where it runs depends on the database. On SQLite it runs on the event loop in
        batches: a thread would wait for the GIL on every row pysqlite steps (a sweep of
        2,000 pages took 0.2-1.3 s in a thread with 100 busy connections, 4-80 ms on the
        loop). On PostgreSQL it runs in a thread: psycopg gives the GIL up once per round
        trip, each batch of 500 is one round trip (70-180 ms for 2,000 pages), and on the
        loop the database's time for each batch would block every request.
        """
        cache = self.responses
        due = now - cache.last_sweep >= self.max_stale / 2
        if not self.background_sweep or cache.sweeping or not due:
            return
        cache.sweeping = True
        cache.last_sweep = now
        reads = page_reads(app)
        if reads.on_sqlite:
            self._sweep_task = asyncio.get_running_loop().create_task(self._sweep_on_loop(reads))
        else:
            threading.Thread(
                target=self._sweep_in_thread, args=(reads.engine,), daemon=True
            ).start()

    async def _sweep_on_loop(self, reads: PageReads) -> None:
        try:
            await self.sweep_async(reads)
        except Exception:  # a failed sweep only means entries expire and are checked again
            log.exception("tracking page cache sweep failed")
        finally:
            self.responses.sweeping = False

    def _sweep_in_thread(self, engine: Engine) -> None:
        try:
            self.sweep(engine, batch=tracking_views.VERSIONS_PER_QUERY)
        except Exception:  # a failed sweep only means entries expire and are checked again
            log.exception("tracking page cache sweep failed")
        finally:
            self.responses.sweeping = False

    def sweep(self, engine: Engine, batch: int = SWEEP_BATCH) -> None:
        """Re-read the versions and merchant settings of the pages served since the last
        sweep; extend those that have not changed, drop the others. The pages closest to
        expiring go first, ``batch`` per query, each batch extended as soon as it is read:
        a sweep slowed down by a busy process still extends most pages in time."""
        for _ in self._sweep_steps(partial(_on_connection, engine), batch):
            pass

    async def sweep_async(self, reads: PageReads) -> None:
        """:meth:`sweep` through ``reads``, with other requests served between batches (on
        SQLite a batch blocks the loop)."""
        for _ in self._sweep_steps(reads.run, SWEEP_BATCH):
            await asyncio.sleep(0)

    def _sweep_steps(self, run: Callable[..., Any], batch: int) -> Iterator[None]:
        """The sweep, pausing before each batch; ``run(func, *args)`` calls ``func`` with a
        read connection first."""
        started = self.clock()  # before anything is read: extensions count from here
        used = sorted(self.responses.take_used(), key=lambda item: item[1].fresh_until)
        if not used:
            return
        merchant_ids = sorted({e.version.merchant_id for _, e in used})
        has_hosts = any(e.host for _, e in used)
        known = run(self._sweep_context, merchant_ids, has_hosts, started)
        for i in range(0, len(used), batch):
            yield
            run(self._sweep_batch, used[i : i + batch], known, started)

    def _sweep_context(
        self, conn: Connection, merchant_ids: list[str], has_hosts: bool, started: float
    ) -> _Known:
        profiles = tracking_views.merchant_profiles(conn, merchant_ids)
        for merchant_id in merchant_ids:
            self._remember_profile(merchant_id, profiles.get(merchant_id), started)
        return _Known(profiles, self.domains(conn) if has_hosts else {})

    def _sweep_batch(
        self, conn: Connection, batch: list[tuple[Key, Entry]], known: _Known, started: float
    ) -> None:
        versions = tracking_views.page_versions(conn, [e.token for _, e in batch])
        for key, entry in batch:
            version = versions.get(entry.token)
            if unchanged(entry, version, known.profiles.get(entry.version.merchant_id), known):
                self.responses.renew(key, entry, started + self.max_stale)
            else:
                self.responses.drop(key, entry)

    def revalidate(self, app: Any, key: Key, now: float) -> Entry | None:
        """An answer past its freshness, checked against the database right here (one
        version read; the merchant's profile and domains come from their caches): extended and
        returned when nothing it was made from changed, else dropped (None: render again)."""
        entry = self.responses.expired(key, now)
        if entry is None:
            return None
        read_at = self.clock()
        valid_until = page_reads(app).run(self._check, entry, read_at)
        if valid_until is None:
            self.responses.drop(key, entry)
            return None
        self.responses.renew(key, entry, valid_until)
        return self.responses.lookup(key, read_at)

    def _check(self, conn: Connection, entry: Entry, read_at: float) -> float | None:
        """Until when ``entry`` may be served, or None when it is out of date."""
        version = tracking_views.page_version(conn, entry.token)
        merchant_id = entry.version.merchant_id
        profile = self.profile(conn, merchant_id)
        domains = self.domains(conn) if entry.host else {}
        if not unchanged(entry, version, profile, _Known({}, domains)):
            return None
        profile_at = self._profiles[merchant_id].at
        return min(read_at, profile_at) + self.max_stale


@dataclass(frozen=True, slots=True)
class _Known:
    """What a sweep read once for all its batches."""

    profiles: dict[str, MerchantProfile]
    domains: dict[str, str]


def unchanged(
    entry: Entry, version: PageVersion | None, profile: MerchantProfile | None, known: _Known
) -> bool:
    """Whether a cached answer still shows what the database holds: the same order version,
    the same merchant settings, and (on a custom domain) the same owner of the host."""
    owner = known.domains.get(entry.host) if entry.host else None
    return (
        version == entry.version
        and profile is not None
        and profile.settings == entry.settings
        and owner in (None, entry.version.merchant_id)
    )


def _on_connection(engine: Engine, func: Callable[..., T], *args: Any) -> T:
    with engine.connect() as conn:
        return func(conn, *args)


def page_reads(app: Any) -> PageReads:
    """The app's :class:`PageReads` (on its platform's engine), made on first use."""
    found: PageReads | None = getattr(app.state, "page_reads", None)
    if found is None:
        with _STATE_LOCK:
            found = getattr(app.state, "page_reads", None)
            if found is None:
                found = app.state.page_reads = PageReads(app.state.platform.engine)
    return found


_STATE_LOCK = threading.Lock()


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


def state_for(app: Any) -> PageState:
    """The app's :class:`PageState`; an app may pre-set one (or a delivery estimator)."""
    app_state = app.state
    found = getattr(app_state, "tracking_page", None)
    if found is None:
        with _STATE_LOCK:
            found = getattr(app_state, "tracking_page", None)
            if found is None:
                platform = getattr(app_state, "platform", None)
                settings = getattr(platform, "settings", None)
                found = PageState(
                    max_stale=getattr(settings, "tracking_page_max_stale_seconds", MAX_STALE)
                )
                custom = getattr(app_state, "delivery_estimator", None)
                if custom is not None:
                    found.estimator = custom
                app_state.tracking_page = found
    state: PageState = found
    return state


def state_of(request: Request) -> PageState:
    return state_for(request.app)


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
    version = tracking_views.page_version(conn, token)
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
    order = read_models.get_order_by_token(conn, token)
    if order is None:  # deleted between the two reads
        return None
    t = translator(lang)
    address = order.get("shipping_address") or {}
    tz = shopper_zone(
        order.get("timezone"), merchant.timezone, address.get("country"), address.get("region")
    )
    now: datetime = platform.clock.now()
    page = build_page(
        order=order,
        token=token,
        branding=state.branding(merchant),
        t=t,
        tz=tz,
        now=now,
        rating_score=version.rating,
        estimator=state.estimator,
    )
    rendered = render(Loaded(page, t, merchant, order))
    rendered = replace(rendered, headers={**rendered.headers, "ETag": etag_of(rendered.body)})
    kept = state.pages.put(key, version, merchant.settings, rendered)
    return Served(rendered, version, merchant.settings, kept.at + PAGE_TTL)
