"""``GET /api/v1/public/track/{token}``: the tracking page as JSON, for headless storefronts.

No API key: like the page, the token is the credential, so the answer holds nothing the
page does not show (no email, no street address, no prices). Browsers may call it from the
merchant's own storefront: the merchant lists its origins in
``settings.tracking_page.cors_origins`` and only those get CORS headers. The preflight
answers the same way, so an unlisted origin learns nothing, not even whether the token
exists.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection

from postpurchase.bootstrap import Platform
from postpurchase.entrypoints.api.problems import problem_response
from postpurchase.entrypoints.web.branding import Branding
from postpurchase.entrypoints.web.i18n import normalise_language
from postpurchase.entrypoints.web.loader import (
    Loaded,
    Rendered,
    Served,
    not_modified,
    not_modified_response,
    page_reads,
    serve_page,
    state_of,
    valid_token,
)
from postpurchase.entrypoints.web.page_json import page_json

router = APIRouter(prefix="/api/v1/public", tags=["public tracking"])

ALLOWED_HEADERS = "Accept, Accept-Language, Content-Type"


def _cors(branding: Branding | None, origin: str | None) -> dict[str, str]:
    headers = {"Vary": "Origin"}
    if branding is not None and origin and branding.allows_origin(origin):
        headers["Access-Control-Allow-Origin"] = "*" if "*" in branding.cors_origins else origin
    return headers


def _not_found() -> JSONResponse:
    return problem_response(404, "Not found", "no order has this tracking token", field="token")


@router.get(
    "/track/{token}",
    summary="Tracking page data for a headless storefront",
    responses={404: {"description": "Unknown or malformed token"}},
)
async def public_track(
    token: str,
    request: Request,
    lang: str | None = Query(
        default=None, max_length=35, description="en, es, pt-BR, fr or de (else negotiated)"
    ),
) -> Response:
    """Status, dates, shipments and scans of one order, in the shopper's language and zone.
    The platform is taken from the app, as the HTML page does: a dependency costs FastAPI a
    second resolution pass on every view that reaches the route."""
    platform: Platform = request.app.state.platform
    state = state_of(request)
    read_at = state.clock()
    served = page_reads(request.app).run(_serve, request, platform, token, lang)
    if served is None:
        return _not_found()
    rendered = served.rendered
    headers = {**rendered.headers, **_cors(rendered.branding, request.headers.get("origin"))}
    response = Response(rendered.body, media_type=rendered.media_type, headers=headers)
    state.remember(request, response, served, read_at)
    if not_modified(request, rendered):
        return not_modified_response(response)
    return response


def _serve(
    conn: Connection, request: Request, platform: Platform, token: str, lang: str | None
) -> Served | None:
    base = platform.settings.base_url.rstrip("/")

    def render(loaded: Loaded) -> Rendered:
        doc = page_json(loaded.page)
        # The same products as the hosted page, behind the same counted links (absolute).
        doc["recommendations"] = [
            {"title": c.title, "image_url": c.image_url, "price": c.price, "url": base + c.href}
            for c in loaded.recommendations
        ]
        body = orjson.dumps(doc)
        headers = {"Cache-Control": "private, max-age=15", "Referrer-Policy": "no-referrer"}
        return Rendered(body, "application/json", headers, loaded.page.branding)

    return serve_page(
        conn,
        request,
        platform,
        token,
        fmt="json",
        prefer_explicit=normalise_language(lang),
        check_host=False,
        render=render,
    )


@router.options("/track/{token}", include_in_schema=False)
async def public_track_preflight(token: str, request: Request) -> Response:
    """CORS preflight: allowed only for origins the token's merchant listed."""
    platform: Platform = request.app.state.platform
    origin = request.headers.get("origin")
    served = None
    if origin and valid_token(token):
        served = page_reads(request.app).run(_serve, request, platform, token, None)
    headers = _cors(served.rendered.branding if served else None, origin)
    if "Access-Control-Allow-Origin" in headers:
        headers.update(
            {
                "Access-Control-Allow-Methods": "GET, OPTIONS",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        )
    return Response(status_code=204, headers=headers)
