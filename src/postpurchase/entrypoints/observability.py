"""Structured logs for every process of ours (API, worker, CLI), with personal data redacted.

Why structlog on top of the standard library: every module keeps its plain
``logging.getLogger(__name__)``; a ``ProcessorFormatter`` renders those records and
structlog's own the same way, one line per event, JSON in production (for a log
pipeline) and readable key=value on a terminal. Context bound for the span of a request or
a job (``request_id``, ``delivery_id``, ``merchant_id``) rides along on every line through
``contextvars``, so one "where is my order?" can be traced from the webhook that brought the
order to the message it caused.

Redaction: shoppers' e-mails, phones, names and addresses never reach a log line. Known
keys are replaced whole; any e-mail address left in free text is masked.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog

PII_KEYS = frozenset(
    {
        "email", "phone", "recipient", "to", "name", "customer_name", "address",
        "shipping_address", "billing_address", "line1", "line2", "signed_by", "note",
    }
)  # fmt: skip
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED = "[redacted]"
REQUEST_ID_HEADER = "x-request-id"


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: PII keys blanked, e-mails in any string masked."""
    for key, value in list(event.items()):
        if key in PII_KEYS and value is not None:
            event[key] = REDACTED
        elif isinstance(value, str) and "@" in value:
            event[key] = _EMAIL.sub("[email]", value)
    return event


def configure_logging(*, json: bool, level: int = logging.INFO) -> None:
    """Route the standard library's records and structlog's through one renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "httpx", "httpcore", "huey.consumer.Scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def wants_json(environment: str, log_format: str) -> bool:
    return log_format == "json" or (log_format == "auto" and environment == "production")


def configure_from(settings: Any) -> None:
    """``configure_logging`` as the settings say (``log_format``, ``log_level``)."""
    configure_logging(
        json=wants_json(settings.environment, settings.log_format),
        level=getattr(logging, str(settings.log_level).upper(), logging.INFO),
    )


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class RequestIdMiddleware:
    """Binds a request id (the caller's ``X-Request-Id`` when sane, else a new one) to every
    log line of the request, and returns it in the response so a caller can quote it."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for key, value in scope.get("headers", ()):
            if key == REQUEST_ID_HEADER.encode():
                given = value.decode("latin-1")
                break
        request_id = given if re.fullmatch(r"[\w.:-]{1,64}", given) else uuid.uuid4().hex
        raw_id = request_id.encode()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER.encode(), raw_id))
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)
