"""The shopper's pages: ``/t/{token}`` (tracking), ``/track`` (lookup), rating, static files.

Server-rendered with Jinja2 and usable without JavaScript: the language switch is a link,
the rating is a form with five submit buttons, the full history is a ``<details>``. Every
response carries a strict Content-Security-Policy and ``Referrer-Policy: no-referrer``
because the token in the URL is the shopper's only credential and must not leak to the
carrier's or merchant's sites through the ``Referer`` header.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from postpurchase.adapters.db import read_models, tracking_views
from postpurchase.adapters.db.tracking_views import MerchantProfile
from postpurchase.bootstrap import Platform
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.entrypoints.web import lookup
from postpurchase.entrypoints.web.branding import Branding, branding_from
from postpurchase.entrypoints.web.fastpath import LANG_COOKIE
from postpurchase.entrypoints.web.i18n import (
    LANGUAGES,
    Translator,
    choose_language,
    normalise_language,
    translator,
)
from postpurchase.entrypoints.web.loader import (
    Loaded,
    Rendered,
    WebPlatform,
    explicit_language,
    host_merchant,
    in_thread,
    not_modified,
    not_modified_response,
    page_reads,
    serve_page,
    state_of,
    valid_token,
)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
LOOKUP_FLOOR_SECONDS = 0.35  # every lookup answer takes at least this long (timing-safe)
MAX_FORM_BYTES = 4096
MAX_RATING_FORM_BYTES = 16384  # a survey comment of 1,000 characters, percent-encoded
MAX_COMMENT = 1000
HTML = "text/html; charset=utf-8"

router = APIRouter(include_in_schema=False, tags=["tracking page"])

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
def _style_hash(css: str) -> str:
    """CSP source for the brand ``<style>`` block: a hash, not a nonce, so a rendered page
    can be cached and served again byte for byte."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def _security_headers(branding: Branding | None) -> dict[str, str]:
    style = "'self'"
    if branding is not None:
        style += " " + _style_hash(branding.css_variables())
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


def _html(
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
    return html.encode(), _security_headers(branding)


def _render(
    template: str,
    status_code: int,
    *,
    t: Translator,
    branding: Branding | None,
    lang_links: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    body, all_headers = _html(template, t=t, branding=branding, lang_links=lang_links, **context)
    if headers:
        all_headers.update(headers)
    return Response(body, status_code=status_code, media_type=HTML, headers=all_headers)


def _lang_links(request: Request, **keep: str | None) -> dict[str, str]:
    """Links for the language switch: the same page with ``?lang=`` (works without JS)."""
    base = request.url.path
    extra = {k: v for k, v in keep.items() if v}
    return {lang: f"{base}?{urlencode({**extra, 'lang': lang})}" for lang in LANGUAGES}


def _remember_language(request: Request, response: Response) -> None:
    chosen = normalise_language(request.query_params.get("lang"))
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="lax")


def _fallback_translator(request: Request) -> Translator:
    return translator(
        choose_language(
            explicit_language(request),
            None,
            accept_language=request.headers.get("accept-language"),
        )
    )


def not_found(request: Request) -> Response:
    """The friendly 404: says what may have happened and offers the lookup form."""
    t = _fallback_translator(request)
    response = _render("not_found.html", 404, t=t, branding=None, lang_links=_lang_links(request))
    _remember_language(request, response)
    return response


# ---- tracking page ----------------------------------------------------------------------------


@router.get("/t/{token}", response_class=HTMLResponse)
async def tracking_page(token: str, request: Request, platform: WebPlatform) -> Response:
    """The page; its database reads and rendering run on the event loop (see page_reads)."""
    thanks = request.query_params.get("rated") == "1"
    # ?rate=N: the score a shopper clicked in the delivered email (via /t/{token}/survey);
    # shown as picked, recorded only by the form's POST (a GET never rates).
    raw_pick = request.query_params.get("rate", "")
    picked = int(raw_pick) if raw_pick in ("1", "2", "3", "4", "5") else None
    links = _lang_links(request)

    def render(loaded: Loaded) -> Rendered:
        body, headers = _html(
            "tracking.html",
            t=loaded.t,
            branding=loaded.page.branding,
            lang_links=links,
            page=loaded.page,
            thanks=thanks,
            picked=picked,
        )
        return Rendered(body, HTML, headers, loaded.page.branding)

    state = state_of(request)
    read_at = state.clock()  # before the order is read: the cached answer's age counts from here
    served = page_reads(request.app).run(
        serve_page,
        request,
        platform,
        token,
        fmt=f"html+{'thanks' if thanks else ''}+{picked or ''}",
        prefer_explicit=explicit_language(request),
        check_host=True,
        render=render,
    )
    if served is None:
        return not_found(request)
    rendered = served.rendered
    response = Response(rendered.body, media_type=rendered.media_type, headers=rendered.headers)
    _remember_language(request, response)
    state.remember(request, response, served, read_at)
    if not_modified(request, rendered):
        return not_modified_response(response)
    return response


@router.post("/t/{token}/rating")
async def rate_delivery(token: str, request: Request, platform: WebPlatform) -> Response:
    """One tap: five submit buttons post ``score``; JS posts the same form and takes JSON."""
    if not valid_token(token):
        return not_found(request)
    form = await _small_form(request, MAX_RATING_FORM_BYTES)
    raw = form.get("score", "") if form is not None else ""
    score = int(raw) if raw in ("1", "2", "3", "4", "5") else None
    comment = _comment(form.get("comment", "") if form is not None else "")
    source = "email" if form is not None and form.get("via") == "email" else "page"
    wants_json = "application/json" in request.headers.get("accept", "")
    if score is None:
        if wants_json:
            return JSONResponse({"error": "score must be 1 to 5"}, status_code=422)
        return RedirectResponse(f"/t/{token}#rating", status_code=303)

    def save() -> bool:
        with platform.engine.connect() as conn:
            order = read_models.get_order_by_token(conn, token)
        if order is None or order["status"] == OrderStatus.CANCELLED:
            return False
        if not any(s["status"] == ShipmentStatus.DELIVERED for s in order["shipments"]):
            return False
        lang = normalise_language(explicit_language(request)) or order["locale"] or "en"
        with platform.engine.connect().execution_options(write=True) as conn:
            tracking_views.save_rating(
                conn,
                merchant_id=order["merchant_id"],
                order_id=order["id"],
                score=score,
                locale=lang[:16],
                at=platform.clock.now(),
                comment=comment,
                source=source,
            )
            conn.commit()
        return True

    saved = await in_thread(save)
    state_of(request).responses.drop_token(token)  # the next view shows the rating at once
    if not saved:
        if wants_json:
            return JSONResponse({"error": "this order cannot be rated yet"}, status_code=404)
        return not_found(request)
    if wants_json:
        return JSONResponse({"score": score})
    return RedirectResponse(f"/t/{token}?rated=1#rating", status_code=303)


@router.get("/t/{rest:path}", response_class=HTMLResponse)
async def tracking_not_found(rest: str, request: Request) -> Response:
    """Anything else under /t/ (empty, extra path segments): the same friendly 404."""
    return not_found(request)


# ---- lookup -----------------------------------------------------------------------------------


def _comment(raw: str) -> str | None:
    """The survey comment as kept: control characters (but line breaks) removed, trimmed,
    at most ``MAX_COMMENT`` characters; ``None`` when empty."""
    kept = "".join(ch for ch in raw if ch in "\n\t" or (ch >= " " and ch != "\x7f"))
    kept = kept.replace("\r", "").strip()[:MAX_COMMENT]
    return kept or None


async def _small_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str] | None:
    """The urlencoded form body, refusing anything larger than ``limit`` bytes."""
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


def _lookup_merchant(
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


def _lookup_response(
    request: Request,
    merchant: MerchantProfile | None,
    status_code: int,
    *,
    number: str = "",
    contact: str = "",
    errors: Mapping[str, str] | None = None,
    failed: bool = False,
    limited: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    branding = branding_from(merchant.name, merchant.settings, merchant.id) if merchant else None
    t = translator(
        choose_language(
            explicit_language(request),
            None,
            merchant.locale if merchant else None,
            accept_language=request.headers.get("accept-language"),
        ),
        branding.strings if branding else None,
    )
    shop = merchant.slug if merchant else None
    response = _render(
        "lookup.html",
        status_code,
        t=t,
        branding=branding,
        lang_links=_lang_links(request, shop=request.query_params.get("shop")),
        shop=shop,
        number=number,
        contact=contact,
        errors=errors or {},
        failed=failed,
        limited=limited,
        headers=headers,
    )
    _remember_language(request, response)
    return response


@router.get("/track", response_class=HTMLResponse)
async def lookup_form(request: Request, platform: WebPlatform) -> Response:
    shop = request.query_params.get("shop")
    merchant = await in_thread(_lookup_merchant, request, platform, shop)
    number = (request.query_params.get("number") or "")[: lookup.MAX_NUMBER]
    return _lookup_response(request, merchant, 200, number=number)


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client else "unknown"


@router.post("/track", response_class=HTMLResponse)
async def lookup_submit(request: Request, platform: WebPlatform) -> Response:
    """Find an order; every outcome takes at least ``LOOKUP_FLOOR_SECONDS``.

    A wrong email and an unknown number produce the same status, the same bytes and
    (thanks to the floor and the equal-work matcher) the same time.
    """
    started = time.monotonic()
    form = await _small_form(request) or {}
    raw_number = form.get("number", "")[:200]
    raw_contact = form.get("contact", "")[:400]
    shop = form.get("shop") or request.query_params.get("shop")
    merchant = await in_thread(_lookup_merchant, request, platform, shop)
    wanted, errors = lookup.parse(raw_number, raw_contact)

    async def floor() -> None:
        left = LOOKUP_FLOOR_SECONDS - (time.monotonic() - started)
        if left > 0:
            await asyncio.sleep(left)

    echo = raw_number.strip()[: lookup.MAX_NUMBER]
    if wanted is None:
        await floor()
        return _lookup_response(request, merchant, 422, errors=errors, number=echo)

    def find() -> str | None:
        with platform.engine.connect() as conn:
            rows = tracking_views.lookup_candidates(
                conn, lookup.number_variants(wanted.number), merchant.id if merchant else None
            )
        return lookup.match(rows, wanted)

    limiter, ip = state_of(request).limiter, client_ip(request)
    wait, token = limiter.local_wait(ip, wanted.number), None
    if wait is None:
        # The shared limit is a write (Redis, or an UPSERT) that runs beside the read: a
        # lookup costs the longer of the two, not their sum; a refused one reveals nothing.
        wait, token = await asyncio.gather(
            in_thread(limiter.attempt, ip, wanted.number), in_thread(find)
        )
    if wait is not None:
        await floor()
        return _lookup_response(
            request, merchant, 429, limited=True, headers={"Retry-After": str(wait)}, number=echo
        )
    await floor()
    if token is None:
        return _lookup_response(request, merchant, 404, failed=True, number=echo)
    return RedirectResponse(f"/t/{token}", status_code=303)


# ---- static -----------------------------------------------------------------------------------


@router.get("/static/tracking/{name}")
async def static_asset(name: str, request: Request) -> Response:
    """CSS and JS from memory; versioned URLs (``?v=hash``) are cached for a year."""
    found = STATIC.get(name)
    if found is None:
        return Response(status_code=404)
    body, media_type, digest = found
    etag = f'"{digest}"'
    immutable = request.query_params.get("v") == digest
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
