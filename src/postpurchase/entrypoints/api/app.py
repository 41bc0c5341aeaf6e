"""Builds the ASGI app. Entrypoints translate HTTP into commands; nothing more."""

from __future__ import annotations

from fastapi import FastAPI

from postpurchase import __version__
from postpurchase.bootstrap import Platform
from postpurchase.entrypoints.api import problems
from postpurchase.entrypoints.api.deps import KeyCache
from postpurchase.entrypoints.api.routes import (
    health,
    notifications,
    orders,
    public_track,
    webhooks,
)
from postpurchase.entrypoints.web import survey, views


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(
        title="postpurchase",
        version=__version__,
        description="Orders, shipments and unified tracking for the post-purchase experience.",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.platform = platform
    app.state.key_cache = KeyCache()
    problems.install(app)
    app.include_router(health.router)
    app.include_router(orders.router)
    app.include_router(webhooks.router)
    app.include_router(notifications.router)
    app.include_router(public_track.router)
    app.include_router(survey.router)  # before views: /t/{token}/survey is more specific
    app.include_router(views.router)  # shopper pages: /t/{token}, /track
    return app
