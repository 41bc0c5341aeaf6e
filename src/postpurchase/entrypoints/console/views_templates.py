"""The message template editor (owners): every flow and channel with its current version;
one template per locale edited as subject, text and HTML, previewed on sample data in the
store's branding before it is saved, and reset to the built-in one.

The page calls the templates service the API calls (``/api/v1/templates``): a template
that does not render is refused at save with the part, line and error; every save and reset
is a new version, audited (``templates.save``/``templates.reset`` by ``user:<email>``) in its
own transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.domain.console import Principal
from postpurchase.domain.errors import DomainError
from postpurchase.domain.notifications import SUPPORTED_LOCALES
from postpurchase.entrypoints.console.auth import ConsoleNotFound, Owner, platform_of
from postpurchase.entrypoints.console.rendering import render
from postpurchase.service_layer.templates import history, overview, preview, reset, save_version

router = APIRouter(prefix="/console/settings/templates", include_in_schema=False)
RENDERER = JinjaRenderer()
LOCALES = tuple(SUPPORTED_LOCALES)
Source = Annotated[str, Form(max_length=20000)]


@router.get("")
async def templates(request: Request, me: Owner) -> Response:
    platform = platform_of(request)
    rows = await run_in_threadpool(overview, platform.uow(), me.merchant_id)
    return render(request, me, "console/templates.html", nav="settings", rows=rows)


@router.get("/{flow}/{channel}")
async def editor(request: Request, me: Owner, flow: str, channel: str) -> Response:
    locale = request.query_params.get("locale", "en")
    return await _editor(request, me, flow[:48], channel[:16], locale[:8])


async def _editor(
    request: Request,
    me: Principal,
    flow: str,
    channel: str,
    locale: str,
    *,
    draft: dict[str, str] | None = None,
    status_code: int = 200,
    error: DomainError | None = None,
) -> Response:
    platform = platform_of(request)

    def load() -> dict[str, Any]:
        versions, _ = history(platform.uow(), me.merchant_id, flow, channel)
        current = versions[0] if versions else None
        stored = current.for_locale(locale) if current else None
        source = draft or (stored.as_dict() if stored else {})
        shown = None
        try:
            _, shown = preview(platform.uow(), RENDERER, me.merchant_id, flow, channel, locale,
                               draft=draft)  # fmt: skip
        except DomainError as exc:  # a draft that does not render: said next to the form
            if draft is None:
                raise
            nonlocal error
            error = error or exc
        return {"versions": versions, "source": source, "shown": shown}

    try:
        data = await run_in_threadpool(load)
    except DomainError:
        raise ConsoleNotFound(me, "template") from None
    return render(
        request, me, "console/template.html", status_code=status_code if not error else 400,
        nav="settings", flow=flow, channel=channel, locale=locale, locales=LOCALES,
        error=f"{error.field}: {error.message}" if error and error.field else
        (error.message if error else None), error_field=error.field if error else None, **data,
    )  # fmt: skip


@router.post("/{flow}/{channel}")
async def save(
    request: Request,
    me: Owner,
    flow: str,
    channel: str,
    locale: Annotated[str, Form(max_length=8)] = "en",
    subject: Source = "",
    text: Source = "",
    html: Source = "",
    action: Annotated[str, Form(max_length=16)] = "preview",
) -> Response:
    platform = platform_of(request)
    flow, channel = flow[:48], channel[:16]
    draft = {k: v for k, v in (("subject", subject), ("text", text), ("html", html)) if v}
    if action == "preview":
        return await _editor(request, me, flow, channel, locale, draft=draft)
    try:
        if action == "reset":
            await run_in_threadpool(
                lambda: reset(platform.uow(), me.merchant_id, flow, channel, me.actor)
            )
        else:
            await run_in_threadpool(
                lambda: save_version(platform.uow(), RENDERER, me.merchant_id, flow, channel,
                                     {locale: draft}, me.actor)
            )  # fmt: skip
    except DomainError as exc:
        return await _editor(request, me, flow, channel, locale, draft=draft, error=exc)
    target = f"/console/settings/templates/{flow}/{channel}?locale={locale}&flash=saved"
    return RedirectResponse(target, status_code=303)
