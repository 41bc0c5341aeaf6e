"""Builds the ASGI app. Entrypoints translate HTTP into commands; nothing more."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from postpurchase import __version__
from postpurchase.bootstrap import Platform
from postpurchase.entrypoints import console, kpis_console
from postpurchase.entrypoints.api import problems, telemetry, webhook_schemas
from postpurchase.entrypoints.api.checkout_fastpath import CheckoutFastPath
from postpurchase.entrypoints.api.deps import KeyCache
from postpurchase.entrypoints.api.headers import SecurityHeaders
from postpurchase.entrypoints.api.limits import RequestLimits
from postpurchase.entrypoints.api.routes import (
    audit,
    carriers,
    checkout,
    checkout_admin,
    customers,
    docs,
    edd_models,
    health,
    integrations,
    integrations_woocommerce,
    kpis,
    labels,
    merchant,
    notifications,
    orders,
    public_track,
    recommendations,
    remedies,
    returns,
    returns_gift,
    returns_insights,
    returns_labels,
    returns_parcel_label,
    returns_store,
    returns_tracking,
    shopify_app,
    support,
    webhooks,
    woocommerce_webhooks,
)
from postpurchase.entrypoints.api.routes import (
    settings as settings_routes,
)
from postpurchase.entrypoints.api.routes import survey as survey_answers
from postpurchase.entrypoints.api.routes import (
    templates as templates_routes,
)
from postpurchase.entrypoints.web import (
    returns_counter,
    returns_parcel,
    returns_together,
    returns_views,
    survey,
    views,
)
from postpurchase.entrypoints.web.loader import TrackingPageFastPath

_frozen = False
_warm_up_freezes = 0
WARM_UP_FREEZES = 5  # full collections after start-up whose survivors are frozen too


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """After a full collection every object left is reachable, so freezing them leaks
    nothing. What the first views load (locale data, templates, compiled queries, pools) is
    frozen this way, a few times, and later full collections scan only what came since."""
    global _warm_up_freezes
    if phase == "stop" and info["generation"] == 2 and _warm_up_freezes < WARM_UP_FREEZES:
        _warm_up_freezes += 1
        gc.freeze()


# The event loop every server of ours runs on (`postpurchase serve`, the demo, tests):
# asyncio's, not uvloop's. With 100 back-to-back clients on one process uvloop answered a few
# requests in a hundred after 0.3-0.7 s, the static CSS included, where asyncio's loop kept
# p99 within 2-3 times p50 at the same CPU per request (docs/benchmarks-tracking-page.md).
EVENT_LOOP = "asyncio"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Everything loaded by the first start-up (modules, templates, settings) lives as long as
    # the process: freeze it out of the cyclic collector's reach, once. A full collection
    # scanning it stalled every request in flight for ~90 ms (docs/benchmarks-tracking-page.md).
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
        gc.callbacks.append(_freeze_survivors)
    yield
    page = getattr(app.state, "tracking_page", None)  # made on a page's first view
    platform = getattr(app.state, "platform", None)
    if page is not None and platform is not None:
        page.shown.close(platform.engine)
    reads = getattr(app.state, "page_reads", None)  # made on a page's first read
    if reads is not None:
        reads.close()


def served_estimator(platform: Platform) -> Any:
    from postpurchase.adapters.model_serving import models_for
    from postpurchase.entrypoints.web.served_estimates import ServedEstimator

    return ServedEstimator(models_for(platform.engine))


def served_checkout_engines(platform: Platform) -> Any:
    """merchant id -> the engine answering its checkout estimates: its active model once this
    process has loaded it (never waited for on the event loop), else the rules layer. The
    same object while the active model is unchanged, as the checkout's answer cache needs."""
    from postpurchase.adapters.checkout.rules_engine import rules_engine_for
    from postpurchase.adapters.model_serving import models_for

    models = models_for(platform.engine)

    def engine_for(merchant_id: str) -> Any:
        active = models.engine_for(merchant_id, wait=False)
        return active.engine if active is not None else rules_engine_for(merchant_id)

    return engine_for


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(
        title="postpurchase",
        version=__version__,
        description="Orders, shipments and unified tracking for the post-purchase experience.",
        docs_url=None,  # /docs and /redoc without a CDN: routes/docs.py
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    app.state.platform = platform
    app.state.key_cache = KeyCache()
    app.state.delivery_estimator = served_estimator(platform)  # issue 16: the active model
    app.state.checkout_engine_for = served_checkout_engines(platform)  # the same, at checkout
    problems.install(app)
    # The shopper's tracking page first: FastAPI tries the included routers in order, and a
    # page view used to walk every API router before reaching its own (a quarter of a first
    # view's CPU). Their paths (/t/..., /track, /static/tracking/...) are no other router's.
    app.include_router(survey.router)  # before views: /t/{token}/survey is more specific
    app.include_router(views.router)  # shopper pages: /t/{token}, /track
    app.include_router(docs.router)
    app.include_router(health.router)
    app.include_router(orders.router)
    app.include_router(merchant.router)
    app.include_router(audit.router)  # the audit log of admin actions
    app.include_router(carriers.router)
    app.include_router(labels.router)
    app.include_router(customers.router)
    app.include_router(webhooks.router)
    app.include_router(shopify_app.router)  # install, OAuth callback, app webhooks
    app.include_router(integrations.router)  # connected stores, catalogue, store refunds
    app.include_router(woocommerce_webhooks.router)
    app.include_router(integrations_woocommerce.router)
    app.include_router(notifications.router)
    app.include_router(settings_routes.router)
    app.include_router(settings_routes.media_router)  # uploaded logos, public
    app.include_router(templates_routes.router)
    app.include_router(edd_models.router)
    app.include_router(public_track.router)
    app.include_router(checkout.router)  # storefront estimates; checkout_engine_for: the engine
    app.include_router(checkout_admin.router)
    app.include_router(returns_insights.router)  # before returns: /returns/policy/simulate
    app.include_router(returns_labels.router)
    app.include_router(returns_gift.router)
    app.include_router(returns_parcel_label.router)  # before returns_tracking
    app.include_router(returns_store.router)
    app.include_router(returns_tracking.router)
    app.include_router(returns.router)
    app.include_router(recommendations.router)  # rules, preview, /r/{link}, KPI
    app.include_router(remedies.router)  # late-delivery remedy: rule, ledger, KPI
    app.include_router(kpis.router)  # issue 14: KPIs on our own data, CSV and SVG
    app.include_router(support.router)  # support contacts and the helpdesk webhook
    app.include_router(survey_answers.router)  # post-delivery survey answers
    app.include_router(returns_views.router)  # /returns: the shopper's returns portal
    app.include_router(returns_counter.router)  # in-store: the code a counter scans (first:
    # returns_parcel's /r/{id}/{what} would take /counter-code)
    app.include_router(returns_parcel.router)  # the portal's label and tracking-number forms
    app.include_router(returns_together.router)  # the portal's one label for several returns
    console.install(app)  # /console: the merchant console (issue 14)
    app.include_router(kpis_console.router)  # /console/kpis: the KPI pages and their charts
    app.add_middleware(TrackingPageFastPath)  # repeat views of /t/{token} from memory
    app.add_middleware(CheckoutFastPath)  # repeat checkout questions from memory
    settings = platform.settings
    app.add_middleware(  # body limits and the API key header, before any body is read
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_batch_body_bytes=settings.max_batch_body_bytes,
        max_upload_body_bytes=settings.max_upload_body_bytes,
    )
    app.add_middleware(SecurityHeaders, production=settings.environment == "production")
    webhook_schemas.install(app)  # the tracking webhook's body formats, in /openapi.json
    telemetry.install(app)  # request ids and request metrics, outermost
    return app
