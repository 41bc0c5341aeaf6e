"""``GET /api/v1/estimates/checkout``: the delivery date a storefront shows before purchase.

Read by a shopper's browser on the merchant's storefront, so it is built for that: a
publishable key (``pk_…``) that can read estimates and nothing else, CORS for the merchant's
own storefront origins only, answers a CDN or browser may cache until the minute ends (never
past the next cut-off), and a p99 within 20 ms on one process (benchmarks/checkout_estimates.py).

Which engine answers is :data:`ENGINE_FOR_STATE`: ``app.state.checkout_engine_for``, a
``merchant_id -> CheckoutEngine`` callable; unset, every merchant gets the rules layer.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from postpurchase.adapters.checkout.rules_engine import calendar_for, rules_engine_for
from postpurchase.domain.checkout.cutoff import countdown
from postpurchase.domain.checkout.query import CheckoutQuery
from postpurchase.domain.errors import DomainError, InvalidInput
from postpurchase.entrypoints.api.checkout_access import (
    Caller,
    CallerCache,
    OriginIndex,
    request_origin,
)
from postpurchase.entrypoints.api.checkout_text import Texts, babel_locale
from postpurchase.entrypoints.api.deps import bearer_key
from postpurchase.entrypoints.api.problems import RESPONSES, problem_response
from postpurchase.entrypoints.web.i18n import shopper_zone, zone
from postpurchase.service_layer.checkout.estimates import CheckoutQuotes

router = APIRouter(prefix="/api/v1/estimates", tags=["checkout estimates"])

ENGINE_FOR_STATE = "checkout_engine_for"
MAX_AGE_SECONDS = 60  # an answer is fresh for the rest of its minute, at most
PREFLIGHT_MAX_AGE = 600
ALLOW_HEADERS = "Authorization"
EXPOSE_HEADERS = "ETag"
VARY = "Origin, Authorization"

EXAMPLE: dict[str, Any] = {
    "layer": "rules",
    "model": "rules/default",
    "precise": True,
    "reason": None,
    "service_level": "standard",
    "confidence": 0.93,
    "dates": {
        "earliest": "2026-12-08",
        "p50": "2026-12-09",
        "latest": "2026-12-14",
        "promise": "2026-12-15",
        "hand_over": "2026-12-07",
    },
    "cutoff_at": "2026-12-07T19:00:00Z",
    "seconds_left": 11520,
    "locale": "en-GB",
    "time_zone": "Europe/London",
    "text": {
        "countdown": "Order within 3 hrs, 12 mins to get it by Tue 15 Dec",
        "promise": "Get it by Tue 15 Dec",
        "window": "Arrives Tue 8 – Mon 14 Dec",
        "promise_day": "Tue 15 Dec",
        "p50_day": "Wed 9 Dec",
        "time_left": "3 hrs, 12 mins",
        "cutoff_time": "19:00",
        "cutoff_day": "Mon 7 Dec",
    },
}


class EstimateDates(BaseModel):
    earliest: str = Field(description="ISO date: fast case (~P10).")
    p50: str = Field(description="ISO date: the most likely delivery day.")
    latest: str = Field(description="ISO date: slow case (~P90).")
    promise: str = Field(
        description="ISO date to promise: delivered on or before it with `confidence`."
    )
    hand_over: str = Field(description="ISO date the carrier gets the parcel.")


class EstimateTexts(BaseModel):
    countdown: str = Field(description="'Order within 3 hr, 12 min to get it by Thu, Dec 10'")
    promise: str
    window: str
    promise_day: str
    p50_day: str
    time_left: str
    cutoff_time: str = Field(description="The cut-off on the shopper's clock.")
    cutoff_day: str


class CheckoutEstimate(BaseModel):
    """Delivery dates for an order placed now, with the countdown to the cut-off."""

    model_config = ConfigDict(json_schema_extra={"examples": [dict(EXAMPLE)]})

    layer: str = Field(description="Which layer answered: `rules` or `model:<version>`.")
    model: str = Field(description="The engine's model name (`rules/default` for rules).")
    precise: bool = Field(description="False when `reason` says what the engine had to guess.")
    reason: str | None = Field(
        description="Why the answer is less precise than it could be: e.g. 'postal code not "
        "located' (a valid code we cannot place: the country-wide rules answer), 'origin "
        "unknown' (the merchant has not set where it ships from)."
    )
    service_level: str
    confidence: float
    dates: EstimateDates
    cutoff_at: str = Field(description="ISO 8601 UTC: order before this for these dates.")
    seconds_left: int = Field(
        description="Seconds to `cutoff_at`, counted from the end of the current minute (the "
        "answer is the same all minute; it errs short by under a minute)."
    )
    locale: str
    time_zone: str = Field(description="IANA zone the texts use.")
    text: EstimateTexts


def _quotes(request: Request) -> CheckoutQuotes:
    state = request.app.state
    quotes: CheckoutQuotes | None = getattr(state, "checkout_quotes", None)
    engine_for = getattr(state, ENGINE_FOR_STATE, None) or rules_engine_for
    if quotes is None or quotes.engine_for is not engine_for:
        quotes = CheckoutQuotes(engine_for, calendar_for)
        state.checkout_quotes = quotes
    return quotes


def _callers(request: Request) -> CallerCache:
    cache: CallerCache | None = getattr(request.app.state, "checkout_callers", None)
    if cache is None:
        clock = request.app.state.platform.clock
        cache = CallerCache(now=lambda: clock.now().timestamp())
        request.app.state.checkout_callers = cache
    return cache


async def _caller(request: Request, key: str | None) -> Caller | None:
    """The key's merchant, from memory when fresh. One read per key at a time: requests
    arriving while it runs wait for it, or, when the key was known, get the last answer
    (so the many requests that find an entry expired at once do not each read it)."""
    if not key:
        return None
    cache = _callers(request)
    found, caller = cache.cached(key)
    if found:
        return caller
    loads: dict[str, asyncio.Future[Caller | None]] | None = getattr(
        request.app.state, "checkout_loads", None
    )
    if loads is None:
        loads = request.app.state.checkout_loads = {}
    load = loads.get(key)
    if load is None:
        load = asyncio.ensure_future(run_in_threadpool(cache.load, request.app.state.platform, key))
        loads[key] = load
        load.add_done_callback(lambda _: loads.pop(key, None))
    known, last = cache.last(key)
    if known and last is not None:
        return last
    return await asyncio.shield(load)


def _cors(caller: Caller | None, origin: str | None) -> dict[str, str]:
    if caller is None or origin is None or not caller.merchant.settings.allows(origin):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSE_HEADERS}


def _problem(exc: DomainError, headers: dict[str, str]) -> Response:
    status = 422 if isinstance(exc, InvalidInput) else 400
    return problem_response(
        status,
        "Invalid request",
        exc.message,
        field=exc.field or "query",
        headers={**headers, "Vary": VARY, "Cache-Control": "no-store"},
    )


Text = Annotated[str | None, Query()]


@router.get(
    "/checkout",
    response_model=CheckoutEstimate,
    responses={
        200: {"content": {"application/json": {"example": EXAMPLE}}},
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
        403: {
            "description": "The key cannot read estimates.",
            "content": RESPONSES[401]["content"],
        },
    },
)
async def checkout_estimate(
    request: Request,
    *,
    country: Annotated[
        str,
        Query(
            description="Destination country, ISO 3166-1 alpha-2.",
            examples=["GB"],
            pattern=r"^[A-Za-z]{2}$",
        ),
    ],
    postal_code: Annotated[
        str | None,
        Query(
            description="Destination postal code (checked against the country's format "
            "where we know it).",
            examples=["SW1A 1AA"],
        ),
    ] = None,
    method: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Shipping method: a service level (economy, standard, express, "
            "next_day, same_day) or the method's title as the store shows it "
            "('UPS Next Day Air').",
            examples=["standard"],
        ),
    ],
    items: Annotated[
        str | None,
        Query(description="Cart as SKU:qty pairs, comma separated.", examples=["MUG-1:2,TEE-M:1"]),
    ] = None,
    weight: Annotated[
        str | None,
        Query(description="Parcel weight in grams.", examples=["1200"], pattern=r"^[0-9]{1,9}$"),
    ] = None,
    region: Annotated[
        str | None, Query(description="State or province code, if known.", examples=["NY"])
    ] = None,
    locale: Annotated[
        str | None,
        Query(
            description="Shopper's locale (BCP 47); default: the merchant's.", examples=["en-GB"]
        ),
    ] = None,
    tz: Annotated[
        str | None,
        Query(
            description="Shopper's IANA time zone; default: from the destination country "
            "(or the merchant's zone when it is in that country).",
            examples=["Europe/London"],
        ),
    ] = None,
    key: Annotated[
        str | None,
        Query(
            description="Publishable key (pk_...), when not sent as 'Authorization: "
            "Bearer'. In the URL, the request needs no CORS preflight.",
            examples=["pk_3mZt0S5q9yXxk2R8bN1cV7wE4pL6hJ0a"],
        ),
    ] = None,
) -> Response:
    """Delivery dates for an order placed now: P50, window, promise date, and the countdown
    to the merchant's cut-off, in the shopper's locale and time zone.

    Authenticate with the merchant's **publishable key** (`pk_...`, from `postpurchase
    merchant publishable-key SLUG` or `POST /api/v1/merchant/publishable-keys`), as
    `Authorization: Bearer pk_...` or `?key=pk_...`. A secret API key works too, for
    server-side rendering; never put one in a page. Browsers on the merchant's
    `storefront_origins` may read the answer (CORS); other origins get no CORS headers.

    Bad input is a 422 problem naming the field: an unknown country (`country`), a postal
    code that breaks the country's format (`postal_code`), an unreadable shipping method
    (`method`), a bad `locale` or `tz`. A well-formed postal code we cannot place gets the
    country-wide rules estimate, with `precise: false` and the `reason`.
    """
    origin = request_origin(request.headers.get("origin"))
    credential = key or bearer_key(request)
    caller = await _caller(request, credential)
    if caller is None:
        return problem_response(
            401,
            "Unauthorized",
            "send the merchant's publishable key as ?key=pk_... or 'Authorization: Bearer'",
            field="key" if key else "Authorization",
            headers={"WWW-Authenticate": 'Bearer realm="postpurchase"', "Vary": VARY},
        )
    cors = _cors(caller, origin)
    try:
        return _answer(
            request,
            caller,
            cors,
            country=country,
            postal_code=postal_code,
            method=method,
            items=items,
            weight=weight,
            region=region,
            locale=locale,
            tz=tz,
        )
    except DomainError as exc:
        return _problem(exc, cors)


def _required(name: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidInput(f"{name} is required", field=name)
    return value


def _weight(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 9:
        raise InvalidInput(f"{raw!r} is not a weight in whole grams", field="weight")
    return int(raw.strip())


def _answer(request: Request, caller: Caller, cors: dict[str, str], **q: str | None) -> Response:
    query = CheckoutQuery.parse(
        country=_required("country", q["country"]),
        postal_code=q["postal_code"],
        method=_required("method", q["method"]),
        items=q["items"],
        weight_grams=_weight(q["weight"]),
        region=q["region"],
    )
    locale_tag = (q["locale"] or caller.locale or "en").strip()
    babel_id = babel_locale(locale_tag)
    if q["tz"]:
        shopper_tz = zone(q["tz"].strip())
        if shopper_tz is None:
            raise InvalidInput(f"{q['tz']!r} is not an IANA time zone", field="tz")
    else:
        shopper_tz = shopper_zone(None, caller.merchant.timezone, query.country, query.region)
    now = request.app.state.platform.clock.now()
    quote = _quotes(request).quote(caller.merchant, query, now)
    # The answer is the same for the whole minute: counted from the minute's end, it never
    # overstates the time left, and a cache may keep it until then (never past the cut-off).
    minute_end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    fresh_until = min(minute_end, quote.cutoff_at)
    left = countdown(fresh_until, quote.cutoff_at)
    e = quote.estimate
    body: dict[str, Any] = {
        "layer": quote.layer,
        "model": e.model,
        "precise": quote.reason is None,
        "reason": quote.reason,
        "service_level": query.level.value,
        "confidence": e.confidence,
        "dates": {
            "earliest": e.p10.isoformat(),
            "p50": e.p50.isoformat(),
            "latest": e.p90.isoformat(),
            "promise": e.promise.isoformat(),
            "hand_over": quote.hand_over.isoformat(),
        },
        "cutoff_at": quote.cutoff_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds_left": left.seconds,
        "locale": locale_tag,
        "time_zone": shopper_tz.key,
        "text": Texts(locale_tag, babel_id).fields(
            promise=e.promise,
            earliest=e.p10,
            latest=e.p90,
            p50=e.p50,
            cutoff_at=quote.cutoff_at,
            left=left,
            tz=shopper_tz,
        ),
    }
    content = orjson.dumps(body)
    etag = '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'
    max_age = max(0, int((fresh_until - now).total_seconds()))
    headers = {
        **cors,
        "Cache-Control": f"public, max-age={min(max_age, MAX_AGE_SECONDS)}",
        "ETag": etag,
        "Vary": VARY,
    }
    if etag in _if_none_match(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)


def _if_none_match(raw: str | None) -> set[str]:
    if not raw:
        return set()
    return {tag.strip().removeprefix("W/") for tag in raw.split(",")}


@router.options("/checkout", status_code=204, responses={204: {"description": "CORS preflight."}})
async def checkout_preflight(
    request: Request,
    key: Annotated[str | None, Query(description="Publishable key, if in the URL.")] = None,
) -> Response:
    """CORS preflight for a storefront origin: allowed for the key's merchant's
    `storefront_origins` (or, without a key in the URL, any merchant's: the estimate itself is
    readable only by the key's own merchant's origins). Other origins get no CORS headers."""
    origin = request_origin(request.headers.get("origin"))
    headers = {"Vary": "Origin"}
    allowed = False
    if origin is not None:
        if key:
            caller = await _caller(request, key)
            allowed = caller is not None and caller.merchant.settings.allows(origin)
        else:
            index = _origins(request)
            if not index.fresh():
                await run_in_threadpool(index.load, request.app.state.platform)
            allowed = index.contains(origin)
    if allowed and origin is not None:
        headers.update(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET",
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
            }
        )
    return Response(status_code=204, headers=headers)


def _origins(request: Request) -> OriginIndex:
    index: OriginIndex | None = getattr(request.app.state, "checkout_origins", None)
    if index is None:
        index = request.app.state.checkout_origins = OriginIndex()
    return index
