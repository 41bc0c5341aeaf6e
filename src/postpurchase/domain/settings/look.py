"""Colours, contrast and fonts: the rules a merchant's look must keep to be readable.

WCAG 2 contrast: body text needs 4.5:1 against its background (SC 1.4.3), interface parts
such as buttons and link colours 3:1 (SC 1.4.11). Fonts come from an allow-list so a page
never loads a stylesheet from a host the merchant typed, and a font name never reaches CSS
unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_PRIMARY = "#1f4fd1"
DEFAULT_ACCENT = "#0f766e"
DEFAULT_BACKGROUND = "#f5f6f8"
SYSTEM_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
MIN_TEXT_CONTRAST = 4.5
MIN_UI_CONTRAST = 3.0

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True, slots=True)
class Font:
    """An allowed font: the CSS stack it becomes, and the stylesheet that serves it (None
    for fonts every system has)."""

    name: str
    stack: str
    stylesheet: str | None = None


def _google(family: str, fallback: str = "sans-serif") -> Font:
    query = family.replace(" ", "+")
    return Font(
        family,
        f'"{family}", {SYSTEM_FONT if fallback == "sans-serif" else fallback}',
        f"https://fonts.googleapis.com/css2?family={query}:wght@400;600&display=swap",
    )


FONTS: Mapping[str, Font] = {
    f.name: f
    for f in (
        Font("system-ui", SYSTEM_FONT),
        Font("Arial", f"Arial, {SYSTEM_FONT}"),
        Font("Helvetica", f'Helvetica, "Helvetica Neue", {SYSTEM_FONT}'),
        Font("Georgia", 'Georgia, "Times New Roman", serif'),
        Font("Verdana", f"Verdana, {SYSTEM_FONT}"),
        _google("Inter"),
        _google("Roboto"),
        _google("Open Sans"),
        _google("Lato"),
        _google("Montserrat"),
        _google("Source Sans 3"),
        _google("Noto Sans"),
        _google("Poppins"),
        _google("Nunito"),
        _google("Work Sans"),
        _google("Merriweather", "Georgia, serif"),
        _google("Playfair Display", "Georgia, serif"),
    )
}


def font_stack(name: str | None) -> Font:
    """The allowed font of that name (case-insensitive), else the system font."""
    if name:
        wanted = name.strip().lower()
        for font in FONTS.values():
            if font.name.lower() == wanted:
                return font
    return FONTS["system-ui"]


def normalise_colour(value: str) -> str | None:
    """``#abc`` or ``#aabbcc`` as six lower-case digits; anything else None."""
    v = value.strip()
    if not _HEX.match(v):
        return None
    v = v.lower()
    return "#" + "".join(ch * 2 for ch in v[1:]) if len(v) == 4 else v


def normalise_host(value: str) -> str:
    return value.strip().lower().rstrip(".")


def is_host(value: str) -> bool:
    """A public DNS name with a TLD (``track.shop.example``; not ``localhost``, no port)."""
    return _HOST.match(value) is not None


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@lru_cache(maxsize=256)
def on_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background``: one of the two always
    reaches WCAG AA's 4.5:1 (near-black would not, for mid tones such as #777). Kept per
    colour: an e-mail's template asks about six times, and a merchant has two colours."""
    white, black = contrast(background, "#ffffff"), contrast(background, "#000000")
    return "#ffffff" if white >= black else "#000000"


def _mix(colour: str, other: str, amount: float) -> str:
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


def readable_on(colour: str, background: str, minimum: float = MIN_TEXT_CONTRAST) -> str:
    """``colour`` darkened (or lightened) just enough for text on ``background`` (WCAG AA).

    A merchant's pale yellow brand colour stays recognisably theirs on buttons with dark
    text, but links and headings in it would be unreadable on white, so those use this.
    """
    if contrast(colour, background) >= minimum:
        return colour
    target = "#000000" if _luminance(background) > 0.18 else "#ffffff"
    for step in range(1, 21):
        candidate = _mix(colour, target, step / 20)
        if contrast(candidate, background) >= minimum:
            return candidate
    return target
