"""Where each setting is stored in ``Merchant.settings``, and the pure operations on it.

The stored layout (one JSON object per merchant)::

    {"branding": {...},        # brand name, logo, colours, font, sender name/address
     "tracking_page": {...},   # support contacts, returns link, promo banner, FAQ, domains
     "notifications": {...},   # flows per channel, timing, quiet hours, remedy, ops URLs
     "survey": {...},          # the post-delivery survey on or off
     "checkout": {...},        # cut-off, handling days, ship-from, storefront origins
     "recommendations": {...}, # product recommendation rules (ADR 0025, migration 0029)
     "automatic_remedy": {...},# what a late delivery earns (ADR 0025, migration 0029)
     "strings": {...}}         # the merchant's own wording per locale

Before issue 14 the support contacts and the returns link sat at the top level
(``support``, ``returns_url``, ``returns.url``) and a font was any CSS stack plus a
stylesheet URL; :func:`upgrade_layout` moves such a document to this layout, and is applied
on every read as well as by migration 0016, so an old row and a new one read the same.

Changes are JSON Merge Patches (RFC 7396): objects merge key by key, ``null`` removes a key
(back to its default), anything else (lists included) replaces.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

_FONT_QUOTES = "\"' "


def upgrade_layout(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """A deep copy of ``raw`` in today's layout; a document already in it is unchanged."""
    doc: dict[str, Any] = copy.deepcopy(dict(raw or {}))
    page = doc.get("tracking_page")
    moved: dict[str, Any] = {}
    if "support" in doc:
        moved["support"] = doc.pop("support")
    legacy_returns = doc.pop("returns_url", None)
    returns = doc.get("returns")
    if isinstance(returns, Mapping) and set(returns) <= {"url"}:
        doc.pop("returns")
        legacy_returns = legacy_returns or returns.get("url")
    if legacy_returns is not None:
        moved["returns_url"] = legacy_returns
    if moved:
        page = dict(page) if isinstance(page, Mapping) else {}
        for key, value in moved.items():
            page.setdefault(key, value)
        doc["tracking_page"] = page
    brand = doc.get("branding")
    if isinstance(brand, dict):
        brand.pop("font_url", None)  # fonts now come from the allow-list with their sheet
        font = brand.get("font_family")
        if isinstance(font, str) and "," in font:
            brand["font_family"] = font.split(",", 1)[0].strip(_FONT_QUOTES)
    return doc


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: the document ``target`` with ``patch`` applied (neither is modified)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out: dict[str, Any] = copy.deepcopy(dict(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _child(here: Any, step: str | int) -> tuple[bool, Any]:
    """Whether ``here`` has ``step`` (a key of an object, an index of a list), and its value."""
    if isinstance(here, Mapping) and isinstance(step, str) and step in here:
        return True, here[step]
    if isinstance(here, list) and isinstance(step, int) and 0 <= step < len(here):
        return True, here[step]
    return False, None


def get_path(doc: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` (keys and list indexes), or None when any step is missing."""
    here = doc
    for step in path:
        found, here = _child(here, step)
        if not found:
            return None
    return here


def drop_path(doc: Any, path: Sequence[str | int]) -> bool:
    """Remove, in place, the deepest element of ``path`` that exists; False when not even
    the first step does. Used to read a stored document leniently: an invalid value is
    dropped (its default applies) rather than breaking the page that reads it."""
    parent: Any = None
    key: str | int | None = None
    here = doc
    for step in path:
        found, child = _child(here, step)
        if not found:
            break
        parent, key, here = here, step, child
    if parent is None or key is None:
        return False
    del parent[key]
    return True
