"""Request ids on every log line and response, and request metrics, for the API app."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI

from postpurchase.entrypoints import metrics
from postpurchase.entrypoints.observability import Receive, RequestIdMiddleware, Scope, Send


class MetricsMiddleware:
    """Times each HTTP request by route template, method and status class."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            metrics.HTTP_REQUESTS.labels(
                metrics.route_of(scope), scope.get("method", "GET"), metrics.status_class(status)
            ).observe(time.perf_counter() - started)


def install(app: FastAPI) -> None:
    """Outermost middlewares: every response, even a fast-path one, is counted and tagged."""
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
