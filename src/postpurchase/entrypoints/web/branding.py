"""A merchant's look and page options, made safe to render.

The settings are read through the one settings schema (``service_layer.settings``), which
drops, on read, whatever does not pass (a typo in a colour must not take the merchant's
tracking page down); what is left is typed and checked. This module turns it into what the
templates need: brand colours with readable companions, the font's CSS stack and sheet, a
sanitised custom block, the promo banner when it is running, the FAQ, the support contacts.
The custom block's HTML is reduced here to a small allowlisted subset rebuilt tag by tag.
See docs/settings.md for every key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from postpurchase.domain.settings import (
    DEFAULT_ACCENT,
    DEFAULT_BACKGROUND,
    DEFAULT_PRIMARY,
    SYSTEM_FONT,
    font_stack,
    normalise_colour,
    on_colour,
    readable_on,
)
from postpurchase.domain.settings import contrast as contrast  # re-exported for callers
from postpurchase.service_layer.settings import read_settings, schema

_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PLACEHOLDER = re.compile(r"\{(order_number|token|tracking_number|carrier)\}")

MAX_CUSTOM_HTML = 4000


def safe_colour(value: Any) -> str | None:
    """``#abc`` or ``#aabbcc``, normalised to six lower-case digits; anything else is None."""
    return normalise_colour(value) if isinstance(value, str) else None


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


@dataclass(frozen=True, slots=True)
class PromoBanner:
    """The merchant's banner, with the window it runs in (the page shows it inside it)."""

    text: str
    link_url: str | None
    link_label: str | None
    starts_at: datetime | None
    ends_at: datetime | None

    def shown_at(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )


@dataclass(frozen=True, slots=True)
class Faq:
    question: str
    answer: str


def _custom_block(raw: schema.CustomBlock | None) -> CustomBlock | None:
    if raw is None:
        return None
    if raw.html is not None:
        body = sanitise_html(raw.html)
    elif raw.text is not None:
        body = text_to_html(raw.text)
    else:
        body = Markup("")
    title = " ".join(raw.title.split())[:120] or None if raw.title else None
    if not (title or body or raw.link_url or raw.image_url):
        return None
    return CustomBlock(
        title=title,
        body=body,
        link_url=raw.link_url,
        link_label=raw.link_label if raw.link_url else None,
        image_url=raw.image_url,
        image_alt=raw.image_alt or "",
    )


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
    chat_url: str | None = None
    returns_url: str | None = None
    reschedule_url: str | None = None
    pickup_hours: str | None = None
    custom_block: CustomBlock | None = None
    promo_banner: PromoBanner | None = None
    faq: tuple[Faq, ...] = ()
    survey_enabled: bool = True
    strings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # own wording
    custom_domains: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    asset_origins: tuple[str, ...] = field(default=())  # for the Content-Security-Policy

    def allows_origin(self, origin: str | None) -> bool:
        if not origin:
            return False
        return "*" in self.cors_origins or origin.lower() in self.cors_origins

    def banner_at(self, now: datetime) -> PromoBanner | None:
        banner = self.promo_banner
        return banner if banner is not None and banner.shown_at(now) else None

    def css_variables(self) -> str:
        """The ``:root`` block of brand colours; every value passed the schema's colour
        check, and the font stack comes from the allow-list."""
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


def logo_path(merchant_id: str, media_id: str) -> str:
    """Where an uploaded logo is served (``GET /media/logos/{merchant}/{id}``, public)."""
    return f"/media/logos/{merchant_id}/{media_id}"


def branding_from(
    name: str, settings: Mapping[str, Any] | None, merchant_id: str | None = None
) -> Branding:
    """Branding for a merchant's stored settings; what does not pass is left at its default."""
    s = read_settings(settings)
    return branding_of(name, s, merchant_id)


def branding_of(name: str, s: schema.MerchantSettings, merchant_id: str | None = None) -> Branding:
    """Branding for settings that already passed the schema (an uploaded logo needs the
    merchant's id for its URL)."""
    brand, page = s.branding, s.tracking_page
    support = page.support or schema.Support()
    primary = brand.primary_color or DEFAULT_PRIMARY
    accent = brand.accent_color or DEFAULT_ACCENT
    background = brand.background_color or DEFAULT_BACKGROUND
    font = font_stack(brand.font_family)
    logo = brand.logo_url
    if brand.logo_media_id and merchant_id:
        logo = logo_path(merchant_id, brand.logo_media_id)
    block = _custom_block(page.custom_block)
    image = block.image_url if block else None
    origins = {_origin_of(logo), _origin_of(font.stylesheet), _origin_of(image)}
    if font.stylesheet:
        origins.add("https://fonts.gstatic.com")  # the sheet's font files
    banner = page.promo_banner
    return Branding(
        name=brand.display_name or name,
        logo_url=logo,
        primary=primary,
        on_primary=on_colour(primary),
        primary_text=readable_on(primary, "#ffffff"),
        accent=accent,
        on_accent=on_colour(accent),
        accent_text=readable_on(accent, "#ffffff"),
        background=background,
        on_background=brand.text_color or on_colour(background),
        font_family=font.stack,
        font_url=font.stylesheet,
        support_email=support.email if support.email and _plain(support.email) else None,
        support_phone=support.phone,
        support_url=support.url,
        chat_url=support.chat_url,
        returns_url=page.returns_url,
        reschedule_url=page.reschedule_url,
        pickup_hours=" ".join(page.pickup_hours.split()) or None if page.pickup_hours else None,
        custom_block=block,
        promo_banner=PromoBanner(
            banner.text, banner.link_url, banner.link_label, banner.starts_at, banner.ends_at
        )
        if banner
        else None,
        faq=tuple(Faq(f.question, f.answer) for f in page.faq or ()),
        survey_enabled=s.survey.enabled,
        strings=s.strings or {},
        custom_domains=tuple(page.custom_domains or ()),
        cors_origins=tuple(page.cors_origins or ()),
        asset_origins=tuple(sorted(o for o in origins if o)),
    )


def _plain(email: str) -> bool:
    return not any(c in email for c in "<>\"' ")


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
