"""RFC 9457 problem details for every error, each naming the field at fault, and declared
in /openapi.json: every operation lists the 4xx it can answer (:data:`RESPONSES`) as
``application/problem+json`` with the ``Problem`` schema, and a 405 says ``Allow``."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, InvalidatePoolError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from postpurchase.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from postpurchase.entrypoints.api.schemas import LINE_PATTERN

logger = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


class Problem(Exception):
    """Raise from a route for a 4xx with a field name, e.g. a bad signature header."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.field = status, title, detail, field
        self.headers = headers
        self.extra = extra


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://postpurchase.dev/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    # a tagged union's tag ("karrio:ups" in routes/carriers.py) is not a field of the body
    parts = [
        p
        for p in loc
        if p not in ("body", "query", "path", "header") and not (isinstance(p, str) and ":" in p)
    ]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or (str(loc[0]) if loc else "body")


def field_of(loc: tuple[Any, ...]) -> str:
    """A Pydantic error's location as the field a problem names (``keep_it.default.lable``,
    ``lines[0].quantity``), for callers that validate a document themselves."""
    return _loc(loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _loc(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return problem_response(
            422,
            "Invalid request",
            f"{first['field']}: {first['message']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422
        title = {404: "Not found", 409: "Conflict"}.get(status, "Invalid request")
        if not isinstance(exc, NotFound | Conflict | InvalidInput):
            status, title = 400, "Bad request"
        return problem_response(status, title, exc.message, field=exc.field)

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, field=exc.field, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(InvalidatePoolError)
    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        # The database went away (restarted, failed over, unreachable) or stayed locked. A 503
        # with Retry-After tells carriers and stores to send again (scans, deliveries and
        # orders by external id are idempotent); a 500 with a traceback said "our bug".
        logger.warning("database unavailable: %s", type(exc).__name__, exc_info=exc)
        return problem_response(
            503,
            "Service unavailable",
            "the database is not reachable right now; retry shortly",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {
            400: "Bad request",
            401: "Unauthorized",
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
        }.get(exc.status_code, "Error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # RFC 9110: every method the path answers, not one route's
            headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
        return problem_response(exc.status_code, title, str(exc.detail), headers=headers)

    document(app)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the app answers on this request's path."""
    found = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            found.append(method)
    return found


# --------------------------------------------------------------------------- OpenAPI

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `field` names the input at fault; some "
    "answers carry more members (`errors` for validation, `max_bytes` for a body too large, "
    "the batch result for a refused tracking webhook).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}
PROBLEM_CONTENT: dict[str, Any] = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
# The 4xx answers an operation can give, every one a problem document.
_DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON).",
    401: "No API key, or not a valid one (`Authorization: Bearer <key>`).",
    404: "Nothing of yours has this id.",
    409: "Conflicts with the current state.",
    413: "The body is over the size limit (`POSTPURCHASE_MAX_BODY_BYTES`, or "
    "`POSTPURCHASE_MAX_BATCH_BODY_BYTES` under /webhooks).",
    422: "Invalid input; `field` names it.",
}
RESPONSES: dict[int, dict[str, Any]] = {
    code: {"description": text, "content": PROBLEM_CONTENT} for code, text in _DESCRIPTIONS.items()
}
_WRITES = {"post", "put", "patch", "delete"}


def statuses_of(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """Which of :data:`RESPONSES` the operation ``method path`` can answer."""
    codes = {422} if operation.get("parameters") or operation.get("requestBody") else set()
    authenticated = path.startswith("/api/v1/") and not path.startswith("/api/v1/public/")
    if authenticated or path.startswith("/webhooks/"):
        codes |= {401}
    if "{" in path or authenticated:
        codes |= {404}  # an id of the path, or one the command names (a customer, an order)
    if method in _WRITES:
        codes |= {400, 413, 422}
        if authenticated:
            codes |= {409}
    return codes


def document(app: FastAPI) -> None:
    """Declare in /openapi.json the problem documents every operation can answer."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        for path, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                if isinstance(operation, dict) and "responses" in operation:
                    _declare(path, method, operation)
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        used = json.dumps(spec["paths"])
        for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, replaced
            if f'"#/components/schemas/{name}"' not in used:
                components.pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _declare(path: str, method: str, operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") in ("path", "query"):  # api/limits.py refuses them there
            _no_control_characters(parameter.get("schema", {}))
    responses: dict[str, Any] = operation["responses"]
    for status in statuses_of(path, method, operation):
        responses.setdefault(str(status), copy.deepcopy(RESPONSES[status]))
    for code, response in responses.items():
        if not code.startswith("4"):
            continue
        if code == "413":  # the limit is api/limits.py's, whatever a route wrote
            response["description"] = RESPONSES[413]["description"]
        content = response.setdefault("content", {})
        if code == "422" or not content or set(content) == {"application/json"}:
            content.clear()  # FastAPI's default 422 says application/json; we answer problem+json
        content.setdefault(PROBLEM, {})
        content[PROBLEM].setdefault("schema", {"$ref": "#/components/schemas/Problem"})


def _no_control_characters(schema: dict[str, Any]) -> None:
    """Show a path or query string's rule: no control characters, in any parameter."""
    for option in [schema, *schema.get("anyOf", ())]:
        if option.get("type") == "string" and not {"pattern", "enum", "format"} & set(option):
            option["pattern"] = LINE_PATTERN
