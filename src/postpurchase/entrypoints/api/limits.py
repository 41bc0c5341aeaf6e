"""What a request may cost before any route runs: a pure ASGI middleware in front of FastAPI.

* **Body size, per route class, while it streams.** A declared ``Content-Length`` over the
  limit is refused at once, unread; a body without one (chunked) is counted as
  ``receive()`` yields it and refused the moment it passes the limit. Nothing is parsed
  first and nothing larger than the limit is ever held, so a 150 MB upload costs what
  the first megabyte does. API writes get ``max_body_bytes`` (1 MiB), the batch routes
  under ``/webhooks`` ``max_batch_body_bytes`` (5 MiB), the photo uploads
  ``max_upload_body_bytes`` (16 MiB). The answer is a 413 problem
  document naming ``body``.
* **No API key, no body.** A request to ``/api/v1`` (but ``/api/v1/public``, where a token
  in the path is the credential) without ``Authorization: Bearer <key>`` gets its 401
  here, before its body is read. Only the header's presence is checked: the key itself is
  looked up by the route's dependency, as before.
* **No control characters in the path or the query.** No id, token or filter of ours has
  one (PostgreSQL refuses NUL in text outright): a path with one is a 404, a query
  parameter with one a 422 naming it, before any route or database sees them.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from postpurchase.entrypoints.api.problems import problem_response

API_PREFIX = "/api/v1/"
PUBLIC_PREFIXES = (
    "/api/v1/public/",  # the token in the path is the credential
    "/api/v1/estimates/",  # a publishable key, also as ?key=; CORS preflights carry none
)
BATCH_PREFIXES = ("/webhooks/",)  # tracking batches and store deliveries
# Routes that take photos: the API's upload and the returns portal's review step.
UPLOAD_PATHS = re.compile(r"^(?:/api/v1/orders/[^/]+/returns/photos|/returns/o/[^/]+/review)$")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="postpurchase"'}


# NUL and the other control characters (C0, DEL, C1), which no path or query parameter of
# ours takes (and PostgreSQL refuses NUL in text: a 500 if one got through to a query).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
QUERY_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF]|[cC]2%[89][0-9a-fA-F])|[\x00-\x1f\x7f]")


class BodyTooLarge(Exception):
    """Raised into the app from ``receive()`` once the body passed its limit."""


def route_path(scope: Scope) -> str:
    """The path the routes see: without the prefix a proxy serves us under (root_path)."""
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def has_bearer_key(scope: Scope) -> bool:
    """The same test as ``deps.bearer_key``: ``Bearer`` and something after it."""
    raw = _header(scope, b"authorization")
    if raw is None:
        return False
    scheme, _, value = raw.decode("latin-1").partition(" ")
    return scheme.lower() == "bearer" and bool(value.strip())


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_batch_body_bytes: int,
        max_upload_body_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_batch_body_bytes = max_batch_body_bytes
        self.max_upload_body_bytes = max_upload_body_bytes or max_body_bytes

    def limit_for(self, path: str) -> int:
        if path.startswith(BATCH_PREFIXES):
            return self.max_batch_body_bytes
        if UPLOAD_PATHS.match(path):
            return self.max_upload_body_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if (
            path.startswith(API_PREFIX)
            and not path.startswith(PUBLIC_PREFIXES)
            and not has_bearer_key(scope)
        ):
            await _unauthorized()(scope, receive, send)
            return
        if CONTROL.search(path):
            await _no_such_path()(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if query and QUERY_CONTROL.search(query):
            await _bad_query(query)(scope, receive, send)
            return
        limit = self.limit_for(path)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit():
            if int(declared) > limit:
                await _too_large(limit)(scope, receive, send)
                return
            # The server delivers no more than the declared length (h11 enforces it).
            await self.app(scope, receive, send)
            return
        if declared is None and _header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)  # no length, not chunked: no body at all
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        refused = False  # the 413 went out (or the answer had begun): drop what follows
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused, started
            if refused:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        started = True
                        await _too_large(limit)(scope, receive, send)
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # whatever the app makes of the aborted read, the 413 was the answer
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # Our abort, or what the app made of it (FastAPI turns a failed read into a
            # 400): the 413 has been sent. Anything else is the app's own error.
            if not refused:
                raise


def _too_large(limit: int) -> JSONResponse:
    return problem_response(
        413,
        "Payload too large",
        f"the request body is over {limit} bytes",
        field="body",
        max_bytes=limit,
    )


def _no_such_path() -> JSONResponse:
    return problem_response(404, "Not found", "no resource has this path", field="path")


def _bad_query(query: bytes) -> JSONResponse:
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, errors="replace")
    name = next((k for k, v in pairs if CONTROL.search(k) or CONTROL.search(v)), "query")
    return problem_response(
        422,
        "Invalid request",
        f"{name}: control characters (NUL and the like) are not allowed",
        field=name if not CONTROL.search(name) else "query",
    )


def _unauthorized() -> JSONResponse:
    return problem_response(
        401,
        "Unauthorized",
        "send your API key as 'Authorization: Bearer <key>'",
        field="Authorization",
        headers=CHALLENGE,
    )
