"""Repeat checkout questions answered from memory, before routing.

A storefront asks the same few questions all day (the same cart page, the same countries),
and an answer is the same for the rest of its minute (``routes/checkout.py``). This pure
ASGI middleware keeps each 200 the route produced, keyed by the request's query string,
credential and ``Origin``, and replays it while it is fresh: until its own ``max-age`` runs
out (the end of the minute, never past the cut-off) and for no longer than the time a
revoked key or changed setting may take anyway (the caller cache's TTL,
``checkout_access.TTL_SECONDS``). Every other request, and every miss, goes on to the app.
A replayed answer is byte for byte what the route would have sent; the outer middlewares
add the request id and security headers as for any answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from postpurchase.entrypoints.api.checkout_access import TTL_SECONDS

PATH = "/api/v1/estimates/checkout"
MAX_KEEP_SECONDS = TTL_SECONDS
MAX_ENTRIES = 20_000
_BODY_HEADERS = frozenset({b"content-length", b"content-type"})
_Entry = tuple[datetime, list[tuple[bytes, bytes]], bytes, bytes]  # until, headers, body, etag


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


def _max_age(headers: list[tuple[bytes, bytes]]) -> int:
    for key, value in headers:
        if key.lower() == b"cache-control" and value.startswith(b"public, max-age="):
            return int(value.rsplit(b"=", 1)[1])
    return 0


class CheckoutFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.entries: dict[tuple[bytes, ...], _Entry] = {}
        self.hits = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        app: Any = scope.get("app")
        if app is None:
            await self.app(scope, receive, send)
            return
        now: datetime = app.state.platform.clock.now()
        key = (scope.get("query_string", b""), _header(scope, b"authorization"),
               _header(scope, b"origin"))  # fmt: skip
        entry = self.entries.get(key)
        if entry is not None and now < entry[0]:
            self.hits += 1
            _, headers, body, etag = entry
            if etag and etag in _header(scope, b"if-none-match"):
                status, out = 304, b""
                headers = [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]
            else:
                status, out = 200, body
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": out})
            return
        captured: dict[str, Any] = {"body": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
                if not message.get("more_body") and captured.get("status") == 200:
                    callers = getattr(app.state, "checkout_callers", None)
                    ttl = callers.ttl if callers is not None else MAX_KEEP_SECONDS
                    self._keep(key, now, captured["headers"], b"".join(captured["body"]), ttl)
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(
        self, key: tuple[bytes, ...], now: datetime, headers: list[tuple[bytes, bytes]],
        body: bytes, ttl: float,
    ) -> None:  # fmt: skip
        keep = min(_max_age(headers), ttl)
        if keep <= 0:
            return
        if len(self.entries) >= MAX_ENTRIES:
            self.entries = {k: v for k, v in self.entries.items() if v[0] > now}
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
        etag = next((v for k, v in headers if k.lower() == b"etag"), b"")
        self.entries[key] = (now + timedelta(seconds=keep), headers, body, etag)
