"""The API's edge on its own: the two ASGI middlewares (request limits, security headers),
the cursor decoder, the schema types that bound every string, and production's refusal of
mail without TLS. No database, no server."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from postpurchase.adapters.db.read_models import decode_cursor, encode_cursor
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.domain.errors import InvalidInput
from postpurchase.entrypoints.api import schemas
from postpurchase.entrypoints.api.headers import DOCS_CSP, HTML_CSP, OTHER_CSP, SecurityHeaders
from postpurchase.entrypoints.api.limits import RequestLimits
from tests import aio

# --------------------------------------------------------------------------- ASGI harness


class Recorder:
    """An app that reads its whole body, then answers with the headers it was given."""

    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.headers = headers or [(b"content-type", b"application/json")]
        self.read = 0
        self.called = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        more = True
        while more:
            message = await receive()
            self.read += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"{}"})


def call(
    app: Any,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    chunks: tuple[bytes, ...] = (),
    query: bytes = b"",
) -> tuple[int, dict[str, str], int]:
    sent: list[dict[str, Any]] = []
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled <= len(chunks):
            return {
                "type": "http.request",
                "body": chunks[pulled - 1],
                "more_body": pulled < len(chunks),
            }
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": "POST", "path": path, "root_path": "",
             "query_string": query, "headers": raw}  # fmt: skip
    aio.run(app(scope, receive, send))  # a loop of its own (see tests/aio.py)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, pulled


def limited(inner: Any) -> RequestLimits:
    return RequestLimits(inner, max_body_bytes=1000, max_batch_body_bytes=5000)


KEY = {"authorization": "Bearer pp_key"}
CHUNKED = {**KEY, "transfer-encoding": "chunked"}

# --------------------------------------------------------------------------- limits


def test_a_declared_length_over_the_limit_never_reaches_the_app() -> None:
    inner = Recorder()
    status, headers, pulled = call(
        limited(inner), "/api/v1/orders", headers={**KEY, "content-length": "1001"}
    )
    assert status == 413 and not inner.called and pulled == 0
    assert headers["content-type"] == "application/problem+json"


def test_a_streamed_body_is_cut_at_the_limit() -> None:
    inner = Recorder()
    status, _, pulled = call(
        limited(inner), "/api/v1/orders", headers=CHUNKED, chunks=(b"x" * 400,) * 100
    )
    assert status == 413 and pulled == 3 and inner.read == 800  # the app never saw past it


def test_within_the_limit_the_app_answers() -> None:
    inner = Recorder()
    status, _, _ = call(limited(inner), "/api/v1/orders", headers=CHUNKED, chunks=(b"x" * 400,) * 2)
    assert status == 200 and inner.read == 800


def test_batch_routes_have_their_own_limit() -> None:
    body = (b"x" * 1000,) * 4
    assert (
        call(limited(Recorder()), "/webhooks/tracking/aftership", headers=CHUNKED, chunks=body)[0]
        == 200
    )
    assert call(limited(Recorder()), "/api/v1/orders", headers=CHUNKED, chunks=body)[0] == 413
    assert (
        call(limited(Recorder()), "/webhooks/shopify/x", headers=CHUNKED, chunks=body * 2)[0] == 413
    )


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "bearer"])
def test_the_api_needs_a_bearer_key_before_anything_is_read(header: str | None) -> None:
    inner = Recorder()
    headers = {"authorization": header} if header is not None else {}
    status, answer, pulled = call(limited(inner), "/api/v1/orders", headers=headers, chunks=(b"x",))
    assert status == 401 and not inner.called and pulled == 0
    assert answer["www-authenticate"] == 'Bearer realm="postpurchase"'


@pytest.mark.parametrize(
    "path", ["/api/v1/public/track/tok", "/webhooks/tracking/easypost", "/t/tok", "/healthz"]
)
def test_public_routes_need_no_key(path: str) -> None:
    assert call(limited(Recorder()), path)[0] == 200


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/api/v1/orders/a\x00b", b"", 404),
        ("/t/tok\x1b", b"", 404),
        ("/api/v1/orders", b"email=a%00b", 422),
        ("/api/v1/orders", b"email=a%0Ab", 422),
        ("/api/v1/orders", b"email=a%C2%85b", 422),  # C1 (NEL) in UTF-8
        ("/api/v1/orders", b"x%7F=1", 422),
        ("/api/v1/orders", b"email=z%C3%B6e%40example.com", 200),
    ],
)
def test_control_characters_in_path_or_query_are_refused(
    path: str, query: bytes, status: int
) -> None:
    assert call(limited(Recorder()), path, headers=KEY, query=query)[0] == status


# --------------------------------------------------------------------------- headers


def secured(inner: Any, *, production: bool = False) -> SecurityHeaders:
    return SecurityHeaders(inner, production=production)


def test_json_gets_nosniff_and_a_policy_that_runs_nothing() -> None:
    _, headers, _ = call(secured(Recorder()), "/api/v1/public/track/tok")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == OTHER_CSP
    assert headers["referrer-policy"] == "no-referrer" and headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers


def test_html_gets_a_policy_and_docs_one_that_lets_swagger_start() -> None:
    html = [(b"content-type", b"text/html; charset=utf-8")]
    assert (
        call(secured(Recorder(html)), "/notifications/unsubscribe/x")[1]["content-security-policy"]
        == HTML_CSP
    )
    assert call(secured(Recorder(html)), "/docs")[1]["content-security-policy"] == DOCS_CSP
    assert (
        call(secured(Recorder(html)), "/docs/oauth2-redirect")[1]["content-security-policy"]
        == DOCS_CSP
    )
    assert (
        "frame-ancestors 'none'" in HTML_CSP
        and "'unsafe-inline'" not in HTML_CSP.split("style-src")[0]
    )


def test_headers_a_route_set_are_kept() -> None:
    own = [
        (b"content-type", b"text/html"),
        (b"Content-Security-Policy", b"img-src 'self' data:"),
        (b"referrer-policy", b"same-origin"),
    ]
    _, headers, _ = call(secured(Recorder(own)), "/redoc")
    assert headers["Content-Security-Policy"] == "img-src 'self' data:"
    assert "content-security-policy" not in headers  # not added twice under another case
    assert headers["referrer-policy"] == "same-origin"


def test_hsts_in_production_only() -> None:
    headers = call(secured(Recorder(), production=True), "/healthz")[1]
    assert headers["strict-transport-security"] == "max-age=31536000"


# --------------------------------------------------------------------------- cursors


def raw_cursor(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "AAAA",
        "%%%",
        "é",
        raw_cursor(b"2026-01-01T00:00:00|abc"),
        raw_cursor(b"9999-12-31T23:00:00-05:00|abc"),
        raw_cursor(b"0001-01-01T00:30:00+01:00|abc"),
        raw_cursor(b"2026-01-01T00:00:00+00:00|a\x00b"),
        raw_cursor(b"2026-01-01T00:00:00+00:00|"),
        raw_cursor(b"2026-01-01T00:00:00+00:00|" + b"a" * 65),
        raw_cursor(b"\xff\xfe|abc"),
        raw_cursor(b"no bar at all"),
    ],
)
def test_a_cursor_we_did_not_issue_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor)
    assert refused.value.field == "cursor"


def test_a_cursor_we_issued_decodes_to_the_same_place() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, "01a24d3ae2737304ad75a729a228831b")) == (
        at,
        "01a24d3ae2737304ad75a729a228831b",
    )


# --------------------------------------------------------------------------- schema types


class Probe(BaseModel):
    currency: schemas.Currency = "USD"
    zone: schemas.TimeZone | None = None
    email: schemas.Email | None = None
    line: schemas.Str200 = "x"
    text: schemas.Text2000 = ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "ZZZ"),
        ("currency", "usdx"),
        ("zone", "Mars/Phobos"),
        ("zone", "America/New_York\x00"),
        ("email", "a" * 65 + "@example.com"),
        ("email", "a@" + "b" * 250 + ".com"),
        ("email", "a b@example.com"),
        ("line", "two\nlines"),
        ("line", "nul\x00"),
        ("line", "c1\x85in the middle"),
        ("text", "bell\x07"),
    ],
)
def test_edge_types_refuse(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Probe(**{field: value})
    assert refused.value.errors()[0]["loc"][0] == field


def test_edge_types_accept() -> None:
    probe = Probe(
        currency="eur", zone="Asia/Kolkata", email="a" * 64 + "@x.example", text="a\r\n\tb"
    )
    assert probe.currency == "EUR"
    assert "USD" in schemas.currencies() and "ZZZ" not in schemas.currencies()


def test_the_openapi_shows_each_rule() -> None:
    properties = Probe.model_json_schema()["properties"]
    assert "USD" in properties["currency"]["enum"]
    assert "Europe/Paris" in properties["zone"]["anyOf"][0]["enum"]
    assert properties["line"]["pattern"] == schemas.LINE_PATTERN
    assert properties["text"]["pattern"] == schemas.TEXT_PATTERN


# --------------------------------------------------------------------------- production mail


@pytest.mark.parametrize("url", ["smtp://mail.example.com:25", "smtps://mail.example.com?verify=false",
                                 "smtp+starttls://u:p@mail.example.com:587?verify=0"])  # fmt: skip
def test_production_refuses_mail_without_tls_or_checks(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTPURCHASE_ENVIRONMENT", "production")
    monkeypatch.setenv("POSTPURCHASE_SMTP_URL", url)
    with pytest.raises(ValidationError, match="POSTPURCHASE_ALLOW_INSECURE_SMTP"):
        NotifySettings()
    monkeypatch.setenv("POSTPURCHASE_ALLOW_INSECURE_SMTP", "true")
    assert NotifySettings().smtp_url == url


@pytest.mark.parametrize("url", ["smtps://mail.example.com", "smtp+starttls://mail.example.com:587",
                                 "smtp://mail.example.com:587?starttls=1"])  # fmt: skip
def test_production_takes_mail_over_tls(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTPURCHASE_ENVIRONMENT", "production")
    assert NotifySettings(smtp_url=url).smtp_url == url


def test_development_takes_any_mail_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTPURCHASE_ENVIRONMENT", raising=False)
    assert NotifySettings(smtp_url="smtp://127.0.0.1:1025?verify=false").smtp_url
