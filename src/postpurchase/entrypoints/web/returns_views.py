"""The shopper's returns portal: ``/returns`` (lookup), ``/returns/o/{token}`` (choose),
``.../review`` (the amount before confirming), ``.../confirm``; the return's status page
``.../r/{id}`` is in ``returns_parcel``.

Server-rendered, usable without JavaScript, in the order's language with the merchant's
branding, like the tracking page. The order is opened by its tracking token (the shopper's
only credential, as on the tracking page); the lookup spends from the tracking page's own
limiter, so /track and /returns share one guessing budget. Every form post carries a
double-submit token (a cookie and a hidden field that must match, from this site only), and
the confirm step an idempotency key, so a double click makes one return.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from postpurchase.adapters.db import tracking_views
from postpurchase.adapters.db.returns import order_by_token
from postpurchase.adapters.db.tracking_views import MerchantProfile
from postpurchase.bootstrap import Platform
from postpurchase.domain.errors import DomainError, NotFound
from postpurchase.domain.returns import (
    Decision,
    Quote,
    Resolution,
    ReturnPolicy,
    Verdict,
)
from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.entrypoints.web import lookup, rendering
from postpurchase.entrypoints.web.branding import Branding, branding_from
from postpurchase.entrypoints.web.i18n import LANGUAGES, Translator, choose_language, translator
from postpurchase.entrypoints.web.loader import (
    WebPlatform,
    explicit_language,
    in_thread,
    valid_token,
)
from postpurchase.entrypoints.web.page_state import state_of
from postpurchase.entrypoints.web.returns_catalogue import EN as RETURNS_EN
from postpurchase.entrypoints.web.returns_catalogue import RETURNS_CATALOGUE
from postpurchase.entrypoints.web.returns_forms import TooLarge, ask_from, check_photos, read_form
from postpurchase.service_layer.returns import Overview

router = APIRouter(include_in_schema=False, tags=["returns portal"])

CSRF_COOKIE = "pp_rf"


class Words:
    """The portal's catalogue on top of the tracking page's translator (dates, money)."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        self.table = RETURNS_CATALOGUE.get(t.lang, RETURNS_EN)

    def __call__(self, key: str, **values: object) -> str:
        text = self.table.get(key) or RETURNS_EN.get(key) or key
        return text.format(**values) if values else text

    def decision(self, d: Decision, currency: str) -> str:
        """A decision's one line in the shopper's language (English when not translated)."""
        key = f"rule.{d.rule}"
        if key not in RETURNS_EN:
            return d.explanation
        values: dict[str, str] = {}
        for name, value in d.params:
            if name == "until":
                values[name] = self.t.date_with_year(date.fromisoformat(value))
            elif name == "amount":
                values[name] = self.t.money(Decimal(value.split()[0]), currency)
            else:
                values[name] = value
        try:
            return self(key, **values)
        except (KeyError, IndexError):
            return d.explanation


# ---- helpers --------------------------------------------------------------------------------


def _same_origin(request: Request) -> bool:
    """A browser that names the site a form came from must name ours. Our pages send
    ``Referrer-Policy: no-referrer``, so browsers send ``Origin: null`` for our own forms:
    that, or no Origin at all, leaves the decision to the token (SameSite=Strict cookie)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _csrf_ok(request: Request, form: Mapping[str, str]) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf", "")
    return (
        bool(cookie)
        and hmac.compare_digest(cookie.encode(), sent.encode())
        and _same_origin(request)
    )


def _csrf_token(request: Request) -> str:
    existing = request.cookies.get(CSRF_COOKIE, "")
    return (
        existing if 20 <= len(existing) <= 64 and existing.isascii() else secrets.token_urlsafe(24)
    )


def _page(
    request: Request,
    template: str,
    status_code: int,
    *,
    t: Translator,
    branding: Branding | None,
    csrf: str,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    # The switch links to a page one can GET (a POST's answer, the review, is not one).
    base = request.url.path.removesuffix("/review").removesuffix("/confirm")
    shop = request.query_params.get("shop")
    keep = f"shop={urlquote(shop)}&" if shop else ""
    links = {lang: f"{base}?{keep}lang={urlquote(lang)}" for lang in LANGUAGES}
    body, all_headers = rendering.html_page(
        template, t=t, branding=branding, lang_links=links, w=Words(t), csrf=csrf, **context
    )
    all_headers["Cache-Control"] = "private, no-store"
    if headers:
        all_headers.update(headers)
    response = Response(
        body, status_code=status_code, media_type=rendering.HTML, headers=all_headers
    )
    secure = request.url.scheme == "https"
    response.set_cookie(
        CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure, path="/returns"
    )
    rendering.remember_language(request, response)
    return response


def _language(request: Request, order_locale: str | None, merchant: MerchantProfile | None) -> str:
    return choose_language(
        explicit_language(request),
        order_locale,
        merchant.locale if merchant else None,
        accept_language=request.headers.get("accept-language"),
    )


# ---- lookup ---------------------------------------------------------------------------------


def _lookup_page(
    request: Request,
    merchant: MerchantProfile | None,
    status_code: int,
    *,
    number: str = "",
    errors: Mapping[str, str] | None = None,
    failed: bool = False,
    limited: bool = False,
    expired: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    t = translator(_language(request, None, merchant))
    return _page(
        request, "returns_lookup.html", status_code, t=t,
        branding=branding_from(merchant.name, merchant.settings, merchant.id) if merchant else None,
        csrf=_csrf_token(request), shop=merchant.slug if merchant else None, number=number,
        errors=errors or {}, failed=failed, limited=limited, expired=expired, headers=headers,
    )  # fmt: skip


@router.get("/returns", response_class=HTMLResponse)
async def returns_lookup(request: Request, platform: WebPlatform) -> Response:
    shop = request.query_params.get("shop")
    merchant = await in_thread(rendering.lookup_merchant, request, platform, shop)
    number = (request.query_params.get("number") or "")[: lookup.MAX_NUMBER]
    return _lookup_page(request, merchant, 200, number=number)


@router.post("/returns", response_class=HTMLResponse)
async def returns_lookup_submit(request: Request, platform: WebPlatform) -> Response:
    """Find the order as /track does (same limiter, same timing floor, same answers for a
    wrong email and an unknown number), then open its returns page."""
    started = time.monotonic()
    try:
        read = await read_form(request)
    except TooLarge:
        read = None
    form = read[0] if read is not None else {}
    shop = form.get("shop") or request.query_params.get("shop")
    merchant = await in_thread(rendering.lookup_merchant, request, platform, shop)
    raw_number = form.get("number", "")[:200]
    echo = raw_number.strip()[: lookup.MAX_NUMBER]

    async def floor() -> None:
        left = rendering.LOOKUP_FLOOR_SECONDS - (time.monotonic() - started)
        if left > 0:
            await asyncio.sleep(left)

    if not _csrf_ok(request, form):
        await floor()
        return _lookup_page(request, merchant, 403, number=echo, expired=True)
    wanted, errors = lookup.parse(raw_number, form.get("contact", "")[:400])
    if wanted is None:
        await floor()
        return _lookup_page(request, merchant, 422, number=echo, errors=errors)
    wait = state_of(request).limiter.attempt(rendering.client_ip(request), wanted.number)
    if wait is not None:
        await floor()
        return _lookup_page(
            request, merchant, 429, number=echo, limited=True, headers={"Retry-After": str(wait)}
        )

    def find() -> str | None:
        with platform.engine.connect() as conn:
            rows = tracking_views.lookup_candidates(
                conn, lookup.number_variants(wanted.number), merchant.id if merchant else None
            )
        return lookup.match(rows, wanted)

    token = await in_thread(find)
    await floor()
    if token is None:
        return _lookup_page(request, merchant, 404, number=echo, failed=True)
    return RedirectResponse(f"/returns/o/{token}", status_code=303)


# ---- the order's returns page ---------------------------------------------------------------


class _Opened:
    def __init__(
        self, merchant_id: str, order_id: str, overview: Overview, profile: MerchantProfile | None
    ) -> None:
        self.merchant_id = merchant_id
        self.order_id = order_id
        self.overview = overview
        self.profile = profile


def _open(platform: Platform, token: str) -> _Opened | None:
    if not valid_token(token):
        return None
    with platform.engine.connect() as conn:
        found = order_by_token(conn, token)
        if found is None:
            return None
        profile = tracking_views.merchant_profile(conn, found[0])
    try:
        overview = returns_service(platform).overview(found[0], found[1])
    except NotFound:
        return None
    return _Opened(found[0], found[1], overview, profile)


def _context(request: Request, opened: _Opened) -> tuple[Translator, Branding | None]:
    order = opened.overview.facts.order
    t = translator(_language(request, order.locale, opened.profile))
    p = opened.profile
    return t, branding_from(p.name, p.settings, p.id) if p else None


def _items(overview: Overview) -> list[dict[str, Any]]:
    out = []
    for line in overview.facts.order.lines:
        if not line.ships:
            continue
        delivered = overview.facts.delivered.get(line.id)
        out.append(
            {
                "id": line.id, "sku": line.sku, "name": line.name,
                "variant": line.facts.variant_title, "quantity": line.quantity,
                "left": overview.returnable.get(line.id, 0), "delivered": bool(delivered),
            }
        )  # fmt: skip
    return out


def _choices(policy: ReturnPolicy) -> list[tuple[str, list[tuple[str, str]]]]:
    """The reason tree as (group label, [(code, label)]) for ``<optgroup>``s."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for root in policy.reasons:
        leaves = [(r.code, r.label) for r in root.walk() if not r.children]
        groups.append(("" if not root.children else root.label, leaves))
    return groups


def _resolutions(policy: ReturnPolicy) -> list[str]:
    order = [Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE, Resolution.KEEP_IT]
    allowed = set(policy.resolutions) | ({Resolution.KEEP_IT} if policy.keep_it else set())
    return [r.value for r in order if r in allowed]


def _choose_page(
    request: Request,
    opened: _Opened,
    status_code: int,
    *,
    chosen: Mapping[str, str] | None = None,
    errors: list[str] | None = None,
    raw_error: str | None = None,
) -> Response:
    t, branding = _context(request, opened)
    ov = opened.overview
    return _page(
        request, "returns_choose.html", status_code, t=t, branding=branding,
        csrf=_csrf_token(request), order=ov.facts.order, items=_items(ov),
        reasons=_choices(ov.policy), resolutions=_resolutions(ov.policy),
        bonus_rate=int(ov.policy.store_credit_bonus_rate * 100), gift=ov.policy.gift_returns,
        returns=list(reversed(ov.returns)), chosen=chosen or {}, errors=errors or [],
        raw_error=raw_error, token=request.path_params["token"], methods=ov.methods,
        swaps=ov.exchange, photo_reasons=[r.label for r in ov.policy.leaf_reasons()
                                          if r.requires_photo],
    )  # fmt: skip


@router.get("/returns/o/{token}", response_class=HTMLResponse)
async def returns_choose(token: str, request: Request, platform: WebPlatform) -> Response:
    opened = await in_thread(_open, platform, token)
    if opened is None:
        return rendering.not_found(request)
    return _choose_page(request, opened, 200)


async def _posted(
    token: str, request: Request, platform: Platform
) -> tuple[_Opened | None, dict[str, str], dict[str, bytes], Response | None]:
    try:
        read = await read_form(request)
    except TooLarge:
        read = None
        too_large = True
    else:
        too_large = False
    opened = await in_thread(_open, platform, token)
    if opened is None:
        return None, {}, {}, rendering.not_found(request)
    if too_large:
        return opened, {}, {}, _choose_page(request, opened, 413, errors=["err.photo_size"])
    if read is None or not _csrf_ok(request, read[0]):
        return opened, {}, {}, _choose_page(request, opened, 403, errors=["err.form"])
    return opened, read[0], read[1], None


def _explain(words: Words, quote: Quote) -> list[str]:
    cur = quote.refund.currency
    lines = [words.decision(x.decision, cur) for x in quote.lines]
    lines += [
        words.decision(d, cur) for d in quote.decisions if d.rule != "resolution"
    ]  # the page says what the shopper chose already
    return list(dict.fromkeys(lines))  # once each, in order


@router.post("/returns/o/{token}/review", response_class=HTMLResponse)
async def returns_review(token: str, request: Request, platform: WebPlatform) -> Response:
    """The amount, the fees and why, before anything is stored."""
    opened, form, uploads, refused = await _posted(token, request, platform)
    if refused is not None or opened is None:
        return refused or rendering.not_found(request)
    bad = check_photos(uploads)
    if bad:
        return _choose_page(request, opened, 422, chosen=form, errors=sorted(set(bad.values())))
    pending = dict.fromkeys(uploads, ("pending",))
    ask, errors = ask_from(form, opened.overview, pending)
    if ask is None:
        return _choose_page(request, opened, 422, chosen=form, errors=errors)
    svc = returns_service(platform)
    try:
        preview = await in_thread(svc.preview, opened.merchant_id, opened.order_id, ask)
    except DomainError as exc:
        return _choose_page(request, opened, 422, chosen=form, raw_error=exc.message)
    quote = preview.quote
    t, branding = _context(request, opened)
    words = Words(t)
    if quote.refused():
        first = quote.refused()[0]
        return _choose_page(
            request, opened, 422, chosen=form,
            errors=[], raw_error=words.decision(first, quote.refund.currency),
        )  # fmt: skip
    if preview.exchange is not None and preview.exchange.verdict is Verdict.REFUSED:
        first = next(d for d in preview.exchange.decisions if d.verdict is Verdict.REFUSED)
        return _choose_page(request, opened, 422, chosen=form, raw_error=first.explanation)
    stored: dict[str, list[str]] = {}
    try:  # the rest is acceptable: now the photos are kept (checked above)
        for line_id, data in uploads.items():
            if any(a.order_line_id == line_id for a in ask.lines):
                ref = await in_thread(svc.add_photo, opened.merchant_id, opened.order_id, data)
                stored.setdefault(line_id, []).append(ref.id)
    except DomainError as exc:
        return _choose_page(request, opened, 422, chosen=form, raw_error=exc.message)
    names = {line.id: line.name for line in opened.overview.facts.order.lines}
    explanations = _explain(words, quote)
    if preview.exchange is not None:
        explanations += [
            words.decision(d, quote.refund.currency) for d in preview.exchange.decisions
        ]
    return _page(
        request, "returns_review.html", 200, t=t, branding=branding, csrf=_csrf_token(request),
        order=opened.overview.facts.order, quote=quote, names=names, ask=ask,
        explanations=explanations, key=secrets.token_urlsafe(18), token=token,
        footprint=preview.footprint, exchange=preview.exchange,
        photos={k: ",".join(v) for k, v in stored.items()},
    )  # fmt: skip


@router.post("/returns/o/{token}/confirm", response_class=HTMLResponse)
async def returns_confirm(token: str, request: Request, platform: WebPlatform) -> Response:
    """Create the return (once per idempotency key) and show its status."""
    opened, form, _, refused = await _posted(token, request, platform)
    if refused is not None or opened is None:
        return refused or rendering.not_found(request)
    ask, errors = ask_from(form, opened.overview, {})
    if ask is None:
        return _choose_page(request, opened, 422, chosen=form, errors=errors)
    raw_key = form.get("key", "")
    key = f"portal:{raw_key}" if 16 <= len(raw_key) <= 64 and raw_key.isascii() else None
    try:
        ret, _, _ = await in_thread(
            returns_service(platform).request, opened.merchant_id, opened.order_id, ask, key=key
        )
    except DomainError as exc:
        return _choose_page(request, opened, 422, chosen=form, raw_error=exc.message)
    return RedirectResponse(f"/returns/o/{token}/r/{ret.id}", status_code=303)
