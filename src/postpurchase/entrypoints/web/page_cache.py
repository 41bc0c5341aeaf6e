"""The rendered-page cache of the tracking page: a finished response per token, language
and format, valid for one order version and :data:`PAGE_TTL` seconds.

Kept apart from :mod:`.loader` (which serves a request) and :mod:`.page_state` (which owns
one of these per app) so the cache can be read, tested and benchmarked on its own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from postpurchase.adapters.db.tracking_views import PageVersion
from postpurchase.entrypoints.web.branding import Branding

PAGE_TTL = 60.0
PAGE_CACHE_ENTRIES = 2048  # ~20 KB of HTML each: about 40 MB at most


@dataclass(frozen=True, slots=True)
class Rendered:
    """A finished response body with the headers that belong to it (cacheable as a whole),
    and the merchant's branding for what is decided per request (CORS)."""

    body: bytes
    media_type: str
    headers: Mapping[str, str]
    branding: Branding


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
        self._tokens: dict[str, int] = {}  # token -> how many of the keys are its pages
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def holds(self, token: str) -> bool:
        """Whether any page of ``token`` (any language or format) is kept: if none is, a view
        of it will render, so its order can be read with its version (one round trip)."""
        return token in self._tokens

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
            if key not in self._items:
                self._tokens[key[0]] = self._tokens.get(key[0], 0) + 1
            self._items[key] = page
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                old, _ = self._items.popitem(last=False)
                left = self._tokens.pop(old[0]) - 1
                if left:
                    self._tokens[old[0]] = left
        return page

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._tokens.clear()
