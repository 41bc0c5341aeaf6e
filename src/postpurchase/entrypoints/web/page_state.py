"""The tracking page's per-app state: merchant profile and custom-domain caches, the
rendered-page cache, the response cache and the sweeps that keep it fresh.

Kept apart from :mod:`.loader`, which serves one request with it; see there for how the two
cache levels bound how stale a page can be.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection, Engine

from postpurchase.adapters.db import tracking_views
from postpurchase.adapters.db.tracking_views import MerchantProfile, PageVersion
from postpurchase.adapters.shared_limits import shared_buckets
from postpurchase.entrypoints.web.branding import Branding, branding_from, request_host
from postpurchase.entrypoints.web.estimates import Estimator, engine_estimator
from postpurchase.entrypoints.web.fastpath import (
    Entry,
    Key,
    ResponseCache,
    make_entry,
    request_key,
)
from postpurchase.entrypoints.web.page_cache import PageCache, Served
from postpurchase.entrypoints.web.page_reads import PageReads
from postpurchase.entrypoints.web.ratelimit import LookupLimiter
from postpurchase.entrypoints.web.shown_promises import ShownPromises

T = TypeVar("T")
# The sweeps' log lines keep the logger name they had before this module was split out.
log = logging.getLogger("postpurchase.entrypoints.web.loader")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_STALE = 2.0  # default of Settings.tracking_page_max_stale_seconds
SWEEP_BATCH = 200  # page versions read per query by a sweep (on SQLite: per block of the loop)
DOMAINS_TTL = 60.0


def valid_token(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


@dataclass(slots=True)
class _Cached:
    at: float
    value: Any


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
    shown: ShownPromises = field(default_factory=ShownPromises)  # promises shown, recorded
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
        built = branding_from(profile.name, profile.settings, profile.id)
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
                if platform is not None:  # the lookup limit every API process shares
                    shared = shared_buckets(platform.engine, platform.settings.redis_url)
                    found.limiter = LookupLimiter(shared=shared)
                custom = getattr(app_state, "delivery_estimator", None)
                if custom is not None:
                    found.estimator = custom
                app_state.tracking_page = found
    state: PageState = found
    return state


def state_of(request: Request) -> PageState:
    return state_for(request.app)
