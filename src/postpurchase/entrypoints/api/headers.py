"""Security headers on every response: a pure ASGI middleware, outermost, so the 413s and
401s of ``limits``, the tracking page's replayed responses and every route get them.

A header a route already set is left as it is (the tracking page has its own
Content-Security-Policy with the brand style's hash; ReDoc has one that lets its bundle
run). What is missing is added:

* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (tokens travel in
  paths: /t/{token}, /api/v1/public/track/{token}, unsubscribe links) and
  ``X-Frame-Options: DENY`` everywhere; no page of ours is meant to be framed
  (docs/tracking-page.md).
* ``Content-Security-Policy``: on HTML, scripts from our origin only and no framing; the
  API docs page (Swagger UI) is started by an inline script FastAPI writes, so ``/docs``
  also allows inline script. On everything else ``default-src 'none'``: a JSON answer
  opened in a browser runs nothing and loads nothing.
* ``Strict-Transport-Security`` in production only (its ``base_url`` is https; a
  development server on http must not pin browsers to https for a year).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from postpurchase.entrypoints.api.limits import route_path

HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's Swagger UI page starts the bundle with an inline <script> (our own template,
# nothing from the request); /docs/oauth2-redirect is one inline script too.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_PREFIX = "/docs"
HSTS = "max-age=31536000"

_CSP = b"content-security-policy"
_TYPE = b"content-type"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if production:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.common: tuple[tuple[bytes, bytes], ...] = tuple(common)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(scope, message)}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, scope: Scope, message: Message) -> list[tuple[bytes, bytes]]:
        headers = list(message.get("headers", ()))
        present = {bytes(name).lower() for name, _ in headers}
        headers.extend(h for h in self.common if h[0] not in present)
        if _CSP not in present:
            headers.append((_CSP, self._csp(scope, headers).encode()))
        return headers

    @staticmethod
    def _csp(scope: Scope, headers: list[tuple[bytes, bytes]]) -> str:
        kind = next((bytes(v) for k, v in headers if bytes(k).lower() == _TYPE), b"")
        if not kind.lower().startswith(b"text/html"):
            return OTHER_CSP
        path = route_path(scope)
        if path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/"):
            return DOCS_CSP
        return HTML_CSP
