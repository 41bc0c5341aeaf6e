"""A merchant's look and page options, read from ``Merchant.settings`` and made safe to render.

Every value here is typed by a merchant (or a store integration) and ends up in a page that
shoppers open from an email, so nothing is trusted: colours must be hex, fonts a plain font
stack, URLs ``https`` (or site-relative), the custom block either plain text (escaped) or a
small allowlisted subset of HTML rebuilt tag by tag. Bad values are dropped, not fatal: a
typo in a colour must not take the merchant's tracking page down.

Settings read (all optional)::

    {"branding": {"display_name": "Acme", "logo_url": "https://cdn.acme.test/logo.svg",
                  "primary_color": "#0b5cad", "accent_color": "#f59e0b",
                  "background_color": "#f6f7f9", "font_family": "Inter, system-ui",
                  "font_url": "https://fonts.googleapis.com/css2?family=Inter"},
     "support": {"email": "help@acme.test", "phone": "+1 555 0100",
                 "url": "https://acme.test/help"},
     "returns_url": "https://acme.test/returns?order={order_number}",
     "tracking_page": {"custom_domains": ["track.acme.test"],
                       "cors_origins": ["https://www.acme.test"],
                       "reschedule_url": "https://acme.test/reschedule/{tracking_number}",
                       "pickup_hours": "Mon-Fri 9:00-18:00",
                       "custom_block": {"title": "...", "text": "..." | "html": "...",
                                        "link_url": "...", "link_label": "...",
                                        "image_url": "...", "image_alt": "..."}}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FONT = re.compile(r"^[A-Za-z0-9 ,'\"-]{1,120}$")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PLACEHOLDER = re.compile(r"\{(order_number|token|tracking_number|carrier)\}")

DEFAULT_PRIMARY = "#1f4fd1"
DEFAULT_ACCENT = "#0f766e"
DEFAULT_BACKGROUND = "#f5f6f8"
SYSTEM_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
MAX_CUSTOM_HTML = 4000


def _section(settings: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = settings.get(name)
    return value if isinstance(value, Mapping) else {}


def _text(value: Any, limit: int = 200) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned[:limit] or None


def safe_colour(value: Any) -> str | None:
    """``#abc`` or ``#aabbcc``, normalised to six lower-case digits; anything else is None."""
    if not isinstance(value, str) or not _HEX.match(value.strip()):
        return None
    v = value.strip().lower()
    if len(v) == 4:
        v = "#" + "".join(ch * 2 for ch in v[1:])
    return v


def safe_url(value: Any, *, allow_relative: bool = True, allow_mailto: bool = False) -> str | None:
    """An ``https`` URL (``http`` only for localhost), a site-relative path, or None.

    ``javascript:``, ``data:`` and protocol-relative ``//host`` URLs never pass.
    """
    if not isinstance(value, str):
        return None
    v = value.strip()
    if not v or len(v) > 2000 or any(ord(c) < 32 for c in v):
        return None
    if allow_relative and v.startswith("/") and not v.startswith("//"):
        return v
    parts = urlsplit(v)
    if allow_mailto and parts.scheme == "mailto":
        return v
    if parts.scheme == "https" and parts.netloc:
        return v
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"):
        return v
    return None


def fill_url(template: str | None, **values: str) -> str | None:
    """Substitute known ``{placeholders}`` (URL-encoded) in a merchant URL template."""
    if not template:
        return None
    return _PLACEHOLDER.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), template)


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


def on_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background``: one of the two always
    reaches WCAG AA's 4.5:1 (near-black would not, for mid tones such as #777)."""
    white, black = contrast(background, "#ffffff"), contrast(background, "#000000")
    return "#ffffff" if white >= black else "#000000"


def _mix(colour: str, other: str, amount: float) -> str:
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


def readable_on(colour: str, background: str, minimum: float = 4.5) -> str:
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


# ---- the custom block's safe HTML subset ------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h3", "h4", "span", "small"}
)
_VOID = frozenset({"br"})
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript"})


class _Sanitiser(HTMLParser):
    """Rebuilds HTML keeping allowlisted tags, only ``href`` on links, and escaped text.

    Rebuilding (rather than deleting bad bits from the input) means anything the parser does
    not understand comes out as text, never as markup.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in _ALLOWED_TAGS:
            return
        if tag == "a":
            href = safe_url(dict(attrs).get("href"), allow_mailto=True)
            if href is None:
                self.out.append("<a>")
            else:
                self.out.append(f'<a href="{escape(href, quote=True)}" rel="noopener nofollow">')
        else:
            self.out.append(f"<{tag}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID and not self.skipping:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitise_html(raw: str) -> Markup:
    """The custom block's HTML reduced to a safe subset (no attributes but a checked href)."""
    parser = _Sanitiser()
    parser.feed(raw[:MAX_CUSTOM_HTML])
    return Markup(parser.result())


def text_to_html(raw: str) -> Markup:
    """Plain text as escaped paragraphs (blank lines separate them)."""
    paras = [p.strip() for p in raw[:MAX_CUSTOM_HTML].split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{escape(p)}</p>" for p in paras))


@dataclass(frozen=True, slots=True)
class CustomBlock:
    title: str | None
    body: Markup
    link_url: str | None
    link_label: str | None
    image_url: str | None
    image_alt: str


def _custom_block(raw: Any) -> CustomBlock | None:
    if not isinstance(raw, Mapping):
        return None
    if isinstance(raw.get("html"), str):
        body = sanitise_html(raw["html"])
    elif isinstance(raw.get("text"), str):
        body = text_to_html(raw["text"])
    else:
        body = Markup("")
    title = _text(raw.get("title"), 120)
    link = safe_url(raw.get("link_url"))
    image = safe_url(raw.get("image_url"))
    if not (title or body or link or image):
        return None
    return CustomBlock(
        title=title,
        body=body,
        link_url=link,
        link_label=_text(raw.get("link_label"), 60) if link else None,
        image_url=image,
        image_alt=_text(raw.get("image_alt"), 200) or "",
    )


def _hosts(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple):
        return ()
    out = []
    for item in raw:
        if isinstance(item, str):
            host = item.strip().lower().rstrip(".")
            if _HOST.match(host):
                out.append(host)
    return tuple(out)


def _origins(raw: Any) -> tuple[str, ...]:
    """CORS origins exactly as browsers send them: ``scheme://host[:port]``, or ``*``."""
    if raw == "*" or raw == ["*"]:
        return ("*",)
    if not isinstance(raw, list | tuple):
        return ()
    out = []
    for item in raw:
        if not isinstance(item, str):
            continue
        parts = urlsplit(item.strip())
        if parts.scheme in ("https", "http") and parts.netloc and not parts.path.strip("/"):
            out.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Branding:
    """Everything the page template needs from the merchant, already validated."""

    name: str
    logo_url: str | None = None
    primary: str = DEFAULT_PRIMARY
    on_primary: str = "#ffffff"
    primary_text: str = DEFAULT_PRIMARY  # the brand colour made readable on the page's cards
    accent: str = DEFAULT_ACCENT
    on_accent: str = "#ffffff"
    accent_text: str = DEFAULT_ACCENT
    background: str = DEFAULT_BACKGROUND
    on_background: str = "#000000"
    font_family: str = SYSTEM_FONT
    font_url: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    support_url: str | None = None
    returns_url: str | None = None
    reschedule_url: str | None = None
    pickup_hours: str | None = None
    custom_block: CustomBlock | None = None
    custom_domains: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    asset_origins: tuple[str, ...] = field(default=())  # for the Content-Security-Policy

    def allows_origin(self, origin: str | None) -> bool:
        if not origin:
            return False
        return "*" in self.cors_origins or origin.lower() in self.cors_origins

    def css_variables(self) -> str:
        """The ``:root`` block of brand colours; every value passed ``safe_colour``."""
        return (
            f":root{{--brand:{self.primary};--on-brand:{self.on_primary};"
            f"--brand-text:{self.primary_text};--accent:{self.accent};"
            f"--on-accent:{self.on_accent};--accent-text:{self.accent_text};"
            f"--bg:{self.background};--on-bg:{self.on_background};--font:{self.font_family}}}"
        )


def _origin_of(url: str | None) -> str | None:
    if not url or url.startswith("/"):
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def branding_from(name: str, settings: Mapping[str, Any] | None) -> Branding:
    """Validated branding for a merchant; unknown or unsafe values fall back to defaults."""
    settings = settings or {}
    brand = _section(settings, "branding")
    support = _section(settings, "support")
    page = _section(settings, "tracking_page")
    returns = _section(settings, "returns")

    primary = safe_colour(brand.get("primary_color")) or DEFAULT_PRIMARY
    accent = safe_colour(brand.get("accent_color")) or DEFAULT_ACCENT
    background = safe_colour(brand.get("background_color")) or DEFAULT_BACKGROUND
    font = brand.get("font_family")
    font_family = (
        f"{font.strip()}, {SYSTEM_FONT}"
        if isinstance(font, str) and _FONT.match(font.strip())
        else SYSTEM_FONT
    )
    email = _text(support.get("email"), 320)
    if email and ("@" not in email or any(c in email for c in "<>\"' ")):
        email = None
    phone = _text(support.get("phone"), 40)
    if phone and not re.fullmatch(r"[0-9+()./ -]{3,40}", phone):
        phone = None
    logo = safe_url(brand.get("logo_url"))
    font_url = safe_url(brand.get("font_url"), allow_relative=False)
    block = _custom_block(page.get("custom_block"))
    image = block.image_url if block else None
    origins = tuple(o for o in {_origin_of(logo), _origin_of(font_url), _origin_of(image)} if o)
    return Branding(
        name=_text(brand.get("display_name"), 80) or name,
        logo_url=logo,
        primary=primary,
        on_primary=on_colour(primary),
        primary_text=readable_on(primary, "#ffffff"),
        accent=accent,
        on_accent=on_colour(accent),
        accent_text=readable_on(accent, "#ffffff"),
        background=background,
        on_background=on_colour(background),
        font_family=font_family,
        font_url=font_url,
        support_email=email,
        support_phone=phone,
        support_url=safe_url(support.get("url")),
        returns_url=safe_url(settings.get("returns_url")) or safe_url(returns.get("url")),
        reschedule_url=safe_url(page.get("reschedule_url")),
        pickup_hours=_text(page.get("pickup_hours"), 200),
        custom_block=block,
        custom_domains=_hosts(page.get("custom_domains")),
        cors_origins=_origins(page.get("cors_origins")),
        asset_origins=tuple(sorted(origins)),
    )


def request_host(host_header: str | None) -> str | None:
    """The host name of a ``Host`` header, lower-cased and without the port."""
    if not host_header:
        return None
    host = host_header.strip().lower()
    if host.startswith("["):  # IPv6 literal
        return None
    host = host.rsplit(":", 1)[0] if ":" in host else host
    host = host.rstrip(".")
    return host if _HOST.match(host) else None
