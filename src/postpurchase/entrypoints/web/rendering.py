"""What the shopper's pages share: the template environment, static assets, security
headers, the language switch, small form bodies and whose lookup form a request is.

The tracking page (``views``) and the returns portal (``returns_views``) both import this
module, so neither reaches into the other's private helpers.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from postpurchase.adapters.db import tracking_views
from postpurchase.adapters.db.tracking_views import MerchantProfile
from postpurchase.bootstrap import Platform
from postpurchase.entrypoints.web.branding import Branding
from postpurchase.entrypoints.web.fastpath import LANG_COOKIE
from postpurchase.entrypoints.web.i18n import (
    LANGUAGES,
    Translator,
    choose_language,
    normalise_language,
    translator,
)
from postpurchase.entrypoints.web.loader import explicit_language, host_merchant, state_of

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
LOOKUP_FLOOR_SECONDS = 0.35  # every lookup answer takes at least this long (timing-safe)
MAX_FORM_BYTES = 4096
HTML = "text/html; charset=utf-8"

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def _load_static() -> dict[str, tuple[bytes, str, str]]:
    """name -> (bytes, media type, short content hash) for the versioned asset URLs."""
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
    out = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.suffix in types:
            body = path.read_bytes()
            out[path.name] = (body, types[path.suffix], hashlib.sha256(body).hexdigest()[:12])
    return out


STATIC = _load_static()


def asset_url(name: str) -> str:
    return f"/static/tracking/{name}?v={STATIC[name][2]}"


env.globals["asset_url"] = asset_url


@lru_cache(maxsize=4096)
def style_hash(css: str) -> str:
    """CSP source for the brand ``<style>`` block: a hash, not a nonce, so a rendered page
    can be cached and served again byte for byte."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def security_headers(branding: Branding | None) -> dict[str, str]:
    style = "'self'"
    if branding is not None:
        style += " " + style_hash(branding.css_variables())
        if branding.font_url:
            parts = urlsplit(branding.font_url)
            style += f" {parts.scheme}://{parts.netloc}"
    csp = (
        f"default-src 'none'; style-src {style}; "
        "img-src 'self' https: data:; font-src 'self' https:; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Robots-Tag": "noindex, nofollow",
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Language, Cookie",
    }


def html_page(
    template: str,
    *,
    t: Translator,
    branding: Branding | None,
    lang_links: Mapping[str, str],
    **context: Any,
) -> tuple[bytes, dict[str, str]]:
    html = env.get_template(template).render(
        t=t, branding=branding, lang_links=lang_links, languages=LANGUAGES, **context
    )
    return html.encode(), security_headers(branding)


def render(
    template: str,
    status_code: int,
    *,
    t: Translator,
    branding: Branding | None,
    lang_links: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    body, all_headers = html_page(
        template, t=t, branding=branding, lang_links=lang_links, **context
    )
    if headers:
        all_headers.update(headers)
    return Response(body, status_code=status_code, media_type=HTML, headers=all_headers)


def lang_links_for(request: Request, **keep: str | None) -> dict[str, str]:
    """Links for the language switch: the same page with ``?lang=`` (works without JS)."""
    base = request.url.path
    extra = {k: v for k, v in keep.items() if v}
    if not extra:  # the tracking page's case: the query strings are the same on every view
        return {lang: f"{base}?{query}" for lang, query in _LANG_QUERIES.items()}
    return {lang: f"{base}?{urlencode({**extra, 'lang': lang})}" for lang in LANGUAGES}


_LANG_QUERIES = {lang: urlencode({"lang": lang}) for lang in LANGUAGES}


def remember_language(request: Request, response: Response) -> None:
    chosen = normalise_language(request.query_params.get("lang"))
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="lax")


def fallback_translator(request: Request) -> Translator:
    return translator(
        choose_language(
            explicit_language(request),
            None,
            accept_language=request.headers.get("accept-language"),
        )
    )


async def small_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str] | None:
    """The urlencoded form body, refusing anything larger than ``limit`` bytes (by default
    what a lookup needs)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs)


def lookup_merchant(
    request: Request, platform: Platform, shop: str | None
) -> MerchantProfile | None:
    """Whose lookup form this is: the custom domain's merchant, ``?shop=``, or the only one."""
    state = state_of(request)
    with platform.engine.connect() as conn:
        owner = host_merchant(request, conn, state)
        if owner is not None:
            return state.profile(conn, owner)
        if shop:
            return tracking_views.merchant_by_slug(conn, shop[:64])
        return tracking_views.sole_merchant(conn)


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client else "unknown"


def not_found(request: Request) -> Response:
    """The friendly 404: says what may have happened and offers the lookup form."""
    t = fallback_translator(request)
    response = render("not_found.html", 404, t=t, branding=None, lang_links=lang_links_for(request))
    remember_language(request, response)
    return response
