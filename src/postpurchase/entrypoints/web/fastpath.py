"""The tracking page's hot path: a shopper's reload answered from memory, before any routing.

A shopper waiting for a parcel opens the same page again and again. The first request for a
page renders it (``views.tracking_page`` or the JSON twin), which stores the finished
response here: body, headers and ETag, with the order version and merchant settings it was
made from. An identical request (same token and query string, host, language cookie,
``Accept-Language`` and, for the JSON twin, ``Origin``: everything the answer depends on
besides the database and the clock) is then answered by ``loader.TrackingPageFastPath``,
a pure ASGI middleware, before FastAPI routes it: no dependency, no thread, no database.
``If-None-Match`` with the entry's ETag gets a 304.

Freshness is bounded, not exact. An entry is served for at most ``max_stale`` seconds after
the database was last read for it. While its page is being viewed, a *sweep* (at most every
``max_stale / 2`` seconds, and only while views come in) re-reads the versions of every entry
served since the previous sweep (a few hundred per query) and their merchants' settings, and
extends those that have not changed from the time it started reading; the others are
dropped, so the next view renders again. An entry past its freshness is checked again by the
middleware itself (one version read) before it is replayed. A new scan, a parcel, a
cancellation, a rating or a settings change therefore shows within ``max_stale`` seconds (a
rating posted to this process shows at once), and no entry outlives its render's
``PAGE_TTL``. Memory is bounded: an LRU of :data:`RESPONSE_CACHE_ENTRIES` entries.

Tenants never mix: the key holds the token (one order of one merchant) and, for the HTML page,
the host, whose custom-domain owner the sweep checks again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import cookie_parser
from starlette.types import Scope

from postpurchase.adapters.db.tracking_views import PageVersion

HTML_PREFIX = "/t/"
JSON_PREFIX = "/api/v1/public/track/"
LANG_COOKIE = "pp_lang"
RESPONSE_CACHE_ENTRIES = 2048  # ~20 KB of HTML each (often shared with the render cache)

# What a response depends on besides the database and the clock:
# (format, token, query string, host, language cookie, Accept-Language, Origin)
Key = tuple[str, str, bytes, bytes, str, bytes, bytes]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def etag_matches(if_none_match: bytes | str, etag: bytes | str) -> bool:
    """RFC 9110 weak comparison of an ``If-None-Match`` list with our (strong) ETag."""
    inm = if_none_match.encode("latin-1") if isinstance(if_none_match, str) else if_none_match
    tag = etag.encode("latin-1") if isinstance(etag, str) else etag
    if inm == tag:
        return True
    for candidate in inm.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == tag:
            return True
    return False


def headers_for_304(raw_headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A 200's headers for its 304 twin: all but those that describe the body."""
    return [(k, v) for k, v in raw_headers if k not in (b"content-length", b"content-type")]


@dataclass(frozen=True, slots=True)
class Lookup:
    key: Key
    token: str
    if_none_match: bytes


def request_key(scope: Scope, valid_token: Callable[[str], bool]) -> Lookup | None:
    """The cache key of a GET of a tracking page or its JSON twin; None for anything else.

    Built from the first value of each header, as Starlette's ``Request`` reads them, so the
    route that stores an answer and the middleware that replays it agree on the key.
    """
    path: str = scope["path"]
    if path.startswith(HTML_PREFIX):
        fmt, token = "html", path[len(HTML_PREFIX) :]
    elif path.startswith(JSON_PREFIX):
        fmt, token = "json", path[len(JSON_PREFIX) :]
    else:
        return None
    if "/" in token or not valid_token(token):  # /t/{token}/survey is not a page
        return None
    host = cookie = accept = origin = inm = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value if host is None else host
        elif name == b"cookie":
            cookie = value if cookie is None else cookie
        elif name == b"accept-language":
            accept = value if accept is None else accept
        elif name == b"origin":
            origin = value if origin is None else origin
        elif name == b"if-none-match":
            inm = value if inm is None else inm
    lang = ""
    if cookie is not None and LANG_COOKIE.encode() in cookie:
        lang = cookie_parser(cookie.decode("latin-1")).get(LANG_COOKIE, "")
    key: Key = (
        fmt,
        token,
        scope.get("query_string", b""),
        (host or b"").lower() if fmt == "html" else b"",
        lang,
        accept or b"",
        (origin or b"") if fmt == "json" else b"",
    )
    return Lookup(key, token, inm or b"")


@dataclass(slots=True)
class Entry:
    """A finished 200 response and what it was made from."""

    token: str
    version: PageVersion
    settings: dict[str, Any]
    host: str | None  # the custom-domain host to check again, None when the host is irrelevant
    headers: list[tuple[bytes, bytes]]
    headers_304: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    expires: float  # the render's own limit (PAGE_TTL: "today" moves with the clock)
    fresh_until: float
    used: bool = False


def make_entry(
    *,
    token: str,
    version: PageVersion,
    settings: dict[str, Any],
    host: str | None,
    raw_headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
    etag: str,
    expires: float,
    fresh_until: float,
) -> Entry:
    headers = list(raw_headers)
    return Entry(
        token=token,
        version=version,
        settings=settings,
        host=host,
        headers=headers,
        headers_304=headers_for_304(headers),
        body=body,
        etag=etag.encode("latin-1"),
        expires=expires,
        fresh_until=min(fresh_until, expires),
    )


class ResponseCache:
    """LRU of finished responses, each served until its ``fresh_until``."""

    def __init__(self, entries: int = RESPONSE_CACHE_ENTRIES) -> None:
        self.entries = entries
        self._items: OrderedDict[Key, Entry] = OrderedDict()
        self._by_token: dict[str, set[Key]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.last_sweep = float("-inf")
        self.sweeping = False

    def __len__(self) -> int:
        return len(self._items)

    def lookup(self, key: Key, now: float) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None or now >= entry.fresh_until:
                return None
            self._items.move_to_end(key)
            entry.used = True
            self.hits += 1
            return entry

    def expired(self, key: Key, now: float) -> Entry | None:
        """The entry past its freshness but not its render's own limit (worth re-checking)."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None or now < entry.fresh_until or now >= entry.expires:
                return None
            return entry

    def store(self, key: Key, entry: Entry) -> None:
        if self.entries <= 0:
            return
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            self._by_token.setdefault(entry.token, set()).add(key)
            while len(self._items) > self.entries:
                old_key, old = self._items.popitem(last=False)
                self._unindex(old_key, old.token)

    def _unindex(self, key: Key, token: str) -> None:
        keys = self._by_token.get(token)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_token[token]

    def drop_token(self, token: str) -> None:
        """Forget every answer for one order (after a change made in this process)."""
        with self._lock:
            for key in self._by_token.pop(token, ()):
                self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._by_token.clear()

    def take_used(self) -> list[tuple[Key, Entry]]:
        """The entries served since the last call (and clears their mark)."""
        with self._lock:
            used = [(k, e) for k, e in self._items.items() if e.used]
            for _, e in used:
                e.used = False
            return used

    def renew(self, key: Key, entry: Entry, until: float) -> None:
        with self._lock:
            if self._items.get(key) is entry:
                entry.fresh_until = max(entry.fresh_until, min(until, entry.expires))

    def drop(self, key: Key, entry: Entry) -> None:
        with self._lock:
            if self._items.get(key) is entry:
                del self._items[key]
                self._unindex(key, entry.token)
