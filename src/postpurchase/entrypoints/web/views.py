"""The shopper's pages: ``/t/{token}`` (tracking), ``/track`` (lookup), rating, static files.

Server-rendered with Jinja2 and usable without JavaScript: the language switch is a link,
the rating is a form with five submit buttons, the full history is a ``<details>``. Every
response carries a strict Content-Security-Policy and ``Referrer-Policy: no-referrer``
because the token in the URL is the shopper's only credential and must not leak to the
carrier's or merchant's sites through the ``Referer`` header.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from postpurchase.adapters.db import read_models, tracking_views
from postpurchase.adapters.db.tracking_views import MerchantProfile
from postpurchase.bootstrap import Platform
from postpurchase.domain.status import OrderStatus, ShipmentStatus
from postpurchase.entrypoints.web import lookup
from postpurchase.entrypoints.web.branding import branding_from
from postpurchase.entrypoints.web.i18n import (
    choose_language,
    normalise_language,
    translator,
)
from postpurchase.entrypoints.web.loader import (
    Loaded,
    Rendered,
    WebPlatform,
    explicit_language,
    in_thread,
    not_modified,
    not_modified_response,
    page_reads,
    serve_page,
    state_of,
    valid_token,
)
from postpurchase.entrypoints.web.rendering import (
    HTML,
    LOOKUP_FLOOR_SECONDS,
    STATIC,
    client_ip,
    html_page,
    lang_links_for,
    lookup_merchant,
    not_found,
    remember_language,
    render,
    small_form,
)

MAX_RATING_FORM_BYTES = 16384  # a survey comment of 1,000 characters, percent-encoded
MAX_COMMENT = 1000

router = APIRouter(include_in_schema=False, tags=["tracking page"])


# ---- tracking page ----------------------------------------------------------------------------


@router.get("/t/{token}", response_class=HTMLResponse)
async def tracking_page(token: str, request: Request) -> Response:
    """The page; its database reads and rendering run on the event loop (see page_reads).
    The platform is taken from the app, not through ``WebPlatform``: a dependency costs
    FastAPI a second resolution pass on every first view."""
    platform: Platform = request.app.state.platform
    thanks = request.query_params.get("rated") == "1"
    # ?rate=N: the score a shopper clicked in the delivered email (via /t/{token}/survey);
    # shown as picked, recorded only by the form's POST (a GET never rates).
    raw_pick = request.query_params.get("rate", "")
    picked = int(raw_pick) if raw_pick in ("1", "2", "3", "4", "5") else None
    links = lang_links_for(request)

    def render(loaded: Loaded) -> Rendered:
        body, headers = html_page(
            "tracking.html",
            t=loaded.t,
            branding=loaded.page.branding,
            lang_links=links,
            page=loaded.page,
            thanks=thanks,
            picked=picked,
            recommendations=loaded.recommendations,
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
    remember_language(request, response)
    state.remember(request, response, served, read_at)
    if not_modified(request, rendered):
        return not_modified_response(response)
    return response


@router.post("/t/{token}/rating")
async def rate_delivery(token: str, request: Request, platform: WebPlatform) -> Response:
    """One tap: five submit buttons post ``score``; JS posts the same form and takes JSON."""
    if not valid_token(token):
        return not_found(request)
    form = await small_form(request, MAX_RATING_FORM_BYTES)
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
    response = render(
        "lookup.html",
        status_code,
        t=t,
        branding=branding,
        lang_links=lang_links_for(request, shop=request.query_params.get("shop")),
        shop=shop,
        number=number,
        contact=contact,
        errors=errors or {},
        failed=failed,
        limited=limited,
        headers=headers,
    )
    remember_language(request, response)
    return response


@router.get("/track", response_class=HTMLResponse)
async def lookup_form(request: Request, platform: WebPlatform) -> Response:
    shop = request.query_params.get("shop")
    merchant = await in_thread(lookup_merchant, request, platform, shop)
    number = (request.query_params.get("number") or "")[: lookup.MAX_NUMBER]
    return _lookup_response(request, merchant, 200, number=number)


@router.post("/track", response_class=HTMLResponse)
async def lookup_submit(request: Request, platform: WebPlatform) -> Response:
    """Find an order; every outcome takes at least ``LOOKUP_FLOOR_SECONDS``.

    A wrong email and an unknown number produce the same status, the same bytes and
    (thanks to the floor and the equal-work matcher) the same time.
    """
    started = time.monotonic()
    form = await small_form(request) or {}
    raw_number = form.get("number", "")[:200]
    raw_contact = form.get("contact", "")[:400]
    shop = form.get("shop") or request.query_params.get("shop")
    merchant = await in_thread(lookup_merchant, request, platform, shop)
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
