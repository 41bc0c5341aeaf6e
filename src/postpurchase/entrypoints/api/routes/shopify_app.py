"""The Shopify app's public routes: install, the OAuth callback, and the app-level webhook
address the mandatory privacy topics are configured with.

``GET /shopify/install?shop=x.myshopify.com`` (the app URL in Shopify's dashboard) sends
the merchant to Shopify to approve the scopes, with a one-time nonce as ``state`` that is
also set in a signed, HttpOnly, SameSite=Lax cookie (Secure over https).
``GET /shopify/callback`` (the allowed redirection URL) checks the HMAC, the state against
the cookie, the timestamp and the shop, then exchanges the code for an offline token,
stores it sealed, links the shop to its merchant (or a new one), registers the webhook
subscriptions and says what comes next. A refused callback stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from postpurchase.adapters import signatures
from postpurchase.adapters.storefronts.shopify import oauth, subscriptions
from postpurchase.adapters.storefronts.shopify.admin_api import AdminApiError
from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
from postpurchase.adapters.storefronts.shopify.topics import SHOP_DOMAIN_HEADER
from postpurchase.bootstrap import Platform
from postpurchase.domain.errors import DomainError
from postpurchase.domain.storefronts import StorePlatform, normalise_shop
from postpurchase.entrypoints.api.deps import PlatformDep
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.routes.webhooks import _body, receive_shopify
from postpurchase.service_layer.storefronts.install import Installed, install

router = APIRouter(tags=["shopify app"])


def _app(platform: Platform) -> ShopifyApp:
    app = ShopifyApp.from_settings(platform.settings)
    if not app.configured:
        raise Problem(
            404,
            "Not found",
            "this deployment has no Shopify app: set POSTPURCHASE_SHOPIFY_CLIENT_ID and "
            "POSTPURCHASE_SHOPIFY_CLIENT_SECRET",
            field="shopify_client_id",
        )
    return app


def _cookie_mac(secret: str, state: str) -> str:
    return hmac.new(secret.encode(), f"state:{state}".encode(), hashlib.sha256).hexdigest()


def _signed_state(secret: str, state: str) -> str:
    return f"{state}.{_cookie_mac(secret, state)}"


def _state_from_cookie(secret: str, cookie: str | None) -> str | None:
    """The nonce of a cookie we signed; None for a missing or forged one."""
    if not cookie or "." not in cookie:
        return None
    state, mac = cookie.rsplit(".", 1)
    return state if hmac.compare_digest(_cookie_mac(secret, state), mac) else None


def _secure(request: Request, platform: Platform) -> bool:
    return request.url.scheme == "https" or platform.settings.base_url.startswith("https://")


_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _answers(**codes: str) -> dict[int | str, dict[str, Any]]:
    """Problem answers a route declares in /openapi.json (``_401="why"``)."""
    return {int(k[1:]): {"description": v, "content": _PROBLEM} for k, v in codes.items()}


NOT_CONFIGURED = "This deployment has no Shopify app (the client ID and secret are unset)."


@router.get(
    "/shopify/install",
    status_code=302,
    response_class=RedirectResponse,
    responses=_answers(
        _401="Opened from the shop's admin with an HMAC that does not match.",
        _404=NOT_CONFIGURED,
    ),
)
def shopify_install(
    request: Request,
    platform: PlatformDep,
    shop: Annotated[str, Query(max_length=255, description="The shop's myshopify.com domain.")],
) -> Response:
    """Start installing the app on a shop: redirects to Shopify's approval screen with
    every scope the app uses. The app URL to enter in Shopify's dashboard."""
    app = _app(platform)
    domain = normalise_shop(StorePlatform.SHOPIFY, shop)
    params = list(request.query_params.multi_items())
    if any(k == "hmac" for k, _ in params):  # opened from the shop's admin: signed by Shopify
        given = dict(params)["hmac"].lower()
        if not hmac.compare_digest(oauth.sign_query(params, app.client_secret), given):
            raise Problem(401, "Unauthorized", "the HMAC does not match", field="hmac")
    state = oauth.nonce()
    base = platform.settings.base_url.rstrip("/")
    target = oauth.authorize_url(
        domain,
        client_id=app.client_id,
        redirect_uri=f"{base}/shopify/callback",
        state=state,
        base=app.base,
    )
    response = RedirectResponse(target, status_code=302)
    response.set_cookie(
        oauth.STATE_COOKIE,
        _signed_state(app.client_secret, state),
        max_age=int(oauth.MAX_AGE.total_seconds()),
        path="/shopify",
        httponly=True,
        secure=_secure(request, platform),
        samesite="lax",
    )
    return response


def _next_steps(done: Installed, subscribed: list[dict[str, Any]]) -> dict[str, Any]:
    slug = done.merchant.slug
    return {
        "shop": done.connection.shop,
        "merchant": slug,
        "new_merchant": done.api_key is not None,
        "api_key": done.api_key,  # shown once, for a new merchant
        "scopes": list(done.connection.scopes),
        "webhooks": subscribed,
        "next": [
            f"import past orders: postpurchase shopify backfill {slug} --since YYYY-MM-DD "
            "(or POST /api/v1/integrations/shopify/backfill with the API key)",
            f"send tracking numbers back to Shopify: postpurchase shopify settings {slug} "
            "--write-back",
            "the API: /docs (Authorization: Bearer <API key>)",
        ],
    }


def _page(info: dict[str, Any]) -> str:
    key = info["api_key"]
    key_html = (
        f"<p>Your API key (shown once, keep it): <code>{escape(key)}</code></p>" if key else ""
    )
    hooks = "".join(
        f"<li>{escape(h['topic'])}: {'ok' if h['ok'] else escape(h.get('error') or 'failed')}</li>"
        for h in info["webhooks"]
    )
    steps = "".join(f"<li>{escape(s)}</li>" for s in info["next"])
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>postpurchase installed"
        f"</title><body><h1>{escape(info['shop'])} is connected</h1>"
        f"<p>Merchant: <code>{escape(info['merchant'])}</code></p>{key_html}"
        f"<h2>Webhooks</h2><ul>{hooks}</ul><h2>Next</h2><ul>{steps}</ul></body></html>"
    )


@router.get(
    "/shopify/callback",
    responses=_answers(
        _401="Refused: HMAC, state, timestamp or shop failed a check (`field` says which); "
        "nothing was stored.",
        _404=NOT_CONFIGURED,
        _502="Shopify did not exchange the code for a token.",
    ),
)
def shopify_callback(request: Request, platform: PlatformDep) -> Response:
    """Where Shopify sends the merchant back after approving (the allowed redirection URL).
    Verified (HMAC with the client secret, state against the install cookie, timestamp,
    shop); then the token is stored sealed and the webhooks are registered."""
    app = _app(platform)
    params = list(request.query_params.multi_items())
    expected = _state_from_cookie(app.client_secret, request.cookies.get(oauth.STATE_COOKIE))
    try:
        callback = oauth.verify_callback(
            params, secret=app.client_secret, expected_state=expected, now=platform.clock.now()
        )
    except DomainError as refused:
        raise Problem(401, "Unauthorized", refused.message, field=refused.field) from None
    with app.http() as client:
        try:
            grant = oauth.exchange_code(
                client, callback.shop, callback.code,
                client_id=app.client_id, client_secret=app.client_secret, base=app.base,
            )  # fmt: skip
        except oauth.ExchangeFailed as failed:
            raise Problem(502, "Bad gateway", str(failed), field="code") from None
        done = install(
            platform.uow(), platform.clock, StorePlatform.SHOPIFY, callback.shop, grant.scopes,
            {"access_token": grant.access_token},
        )  # fmt: skip
        subscribed = register_webhooks(platform, app, done, client)
    info = _next_steps(done, subscribed)
    if "text/html" in request.headers.get("accept", ""):
        response: Response = HTMLResponse(_page(info))
    else:
        response = JSONResponse(info)
    response.delete_cookie(oauth.STATE_COOKIE, path="/shopify")
    response.headers["Cache-Control"] = "no-store"
    return response


def register_webhooks(
    platform: Platform, app: ShopifyApp, done: Installed, client: Any
) -> list[dict[str, Any]]:
    """Subscribe the shop to the app's topics (after the install is committed: network I/O
    never runs inside a transaction), and note the shop's currency for product prices."""
    base = platform.settings.base_url.rstrip("/")
    callback_url = f"{base}/webhooks/shopify/{done.merchant.slug}"
    api = app.api(done.connection, client)
    try:
        results = subscriptions.register(api, callback_url)
        shop = api.query("{ shop { currencyCode } }").get("shop") or {}
    except AdminApiError as failed:
        return [{"topic": "*", "ok": False, "error": str(failed)}]
    currency = shop.get("currencyCode")
    if isinstance(currency, str) and currency:
        with platform.uow() as uow:
            held = uow.connections.get(done.merchant.id, StorePlatform.SHOPIFY)
            if held is not None:
                held.settings = replace(held.settings, currency=currency)
                uow.connections.save(held)
                uow.commit()
    return [{"topic": r.topic, "ok": r.ok, "id": r.id, "error": r.error} for r in results]


@router.post(
    "/shopify/webhooks",
    responses=_answers(
        _400="No shop domain header.",
        _401="The body is not signed with the app's client secret.",
        _404=NOT_CONFIGURED,
        _413="The body is over `POSTPURCHASE_MAX_BATCH_BODY_BYTES`.",
        _422="The payload is malformed; `field` names it.",
    ),
)
async def shopify_app_webhooks(
    request: Request, platform: PlatformDep, background: BackgroundTasks
) -> JSONResponse:
    """The app-level webhook address (the mandatory privacy topics customers/data_request,
    customers/redact and shop/redact are configured with it in Shopify's dashboard; any
    app topic is accepted). The shop is the `X-Shopify-Shop-Domain` header; the body is
    verified with the app's client secret (401 otherwise, as Shopify requires)."""
    body = await _body(request)
    app = _app(platform)
    header = request.headers.get(signatures.SHOPIFY_HEADER)
    if not signatures.verify_shopify(body, header, app.client_secret):
        raise Problem(
            401, "Unauthorized", "signature does not match", field=signatures.SHOPIFY_HEADER
        )
    try:
        shop = normalise_shop(
            StorePlatform.SHOPIFY, request.headers.get(SHOP_DOMAIN_HEADER, ""),
            field=SHOP_DOMAIN_HEADER,
        )  # fmt: skip
    except DomainError as bad:
        raise Problem(400, "Bad request", bad.message, field=SHOP_DOMAIN_HEADER) from None
    with platform.uow() as uow:
        connection = uow.connections.get_by_shop(StorePlatform.SHOPIFY, shop)
        merchant = uow.merchants.get(connection.merchant_id) if connection else None
    if connection is None or merchant is None:
        return JSONResponse({"ignored": "no merchant has this shop connected", "shop": shop})
    return await receive_shopify(request, platform, background, merchant, connection, body)
