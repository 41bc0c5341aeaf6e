"""The message template editor (owners): every flow and channel with its current version;
one template per locale edited as subject, text and HTML, previewed on sample data in the
store's branding before it is saved, and reset to the built-in one. Below the editor: a
holdout and a split between versions (``set_split``) and a test send (``send_test``).

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

from postpurchase.adapters.notifications import service_for
from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.domain.console import Principal
from postpurchase.domain.errors import DomainError, InvalidInput
from postpurchase.domain.notifications import SUPPORTED_LOCALES
from postpurchase.domain.templates import Split
from postpurchase.entrypoints.console.auth import ConsoleNotFound, Owner, platform_of
from postpurchase.entrypoints.console.rendering import render
from postpurchase.service_layer.templates import (
    history,
    overview,
    preview,
    reset,
    save_version,
    send_test,
    set_split,
)

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
    **extra: Any,
) -> Response:
    platform = platform_of(request)

    def load() -> dict[str, Any]:
        versions, split = history(platform.uow(), me.merchant_id, flow, channel)
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
        return {"versions": versions, "source": source, "shown": shown, "split": split}

    try:
        data = await run_in_threadpool(load)
    except DomainError:
        raise ConsoleNotFound(me, "template") from None
    return render(
        request, me, "console/template.html", status_code=status_code if not error else 400,
        nav="settings", flow=flow, channel=channel, locale=locale, locales=LOCALES,
        error=f"{error.field}: {error.message}" if error and error.field else
        (error.message if error else None), error_field=error.field if error else None, **data,
        **extra,
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


@router.post("/{flow}/{channel}/split")
async def save_split(request: Request, me: Owner, flow: str, channel: str) -> Response:
    """Hold out a share of orders and/or share the rest between versions by weight; an
    emptied form (or "Remove") is no split: everyone gets the current version."""
    platform = platform_of(request)
    flow, channel = flow[:48], channel[:16]
    form = await request.form()
    locale = str(form.get("locale") or "en")[:8]
    typed = {"holdout_percent": str(form.get("holdout_percent") or "").strip()}
    try:
        split = None
        if form.get("action") != "remove":
            split = _split_from(form, typed)
        await run_in_threadpool(
            lambda: set_split(platform.uow(), me.merchant_id, flow, channel, split, me.actor)
        )
    except DomainError as exc:
        return await _editor(request, me, flow, channel, locale, error=exc, split_typed=typed)
    target = f"/console/settings/templates/{flow}/{channel}?locale={locale}&flash=saved"
    return RedirectResponse(target, status_code=303)


def _split_from(form: Any, typed: dict[str, str]) -> Split | None:
    def whole(raw: str, field: str) -> int:
        if not raw.isdigit():
            raise InvalidInput("a whole number", field=field)
        return int(raw)

    holdout = whole(typed["holdout_percent"] or "0", "holdout_percent")
    variants: dict[int, int] = {}
    for key in form:
        if not key.startswith("weight."):
            continue
        raw = str(form.get(key) or "").strip()
        typed[key] = raw
        if raw:
            version = whole(key.removeprefix("weight."), key)
            variants[version] = whole(raw, f"variants.{version}")
    return Split(holdout, variants) if holdout or variants else None


@router.post("/{flow}/{channel}/test")
async def test_send(
    request: Request,
    me: Owner,
    flow: str,
    channel: str,
    to: Annotated[str, Form(max_length=320)] = "",
    locale: Annotated[str, Form(max_length=8)] = "en",
    version: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Send the chosen version (default: the current one) on sample data to ``to``, subject
    marked [TEST], through the channel real messages use."""
    platform = platform_of(request)
    flow, channel = flow[:48], channel[:16]
    channels = service_for(platform).channels
    try:
        if version.strip() and not version.strip().isdigit():
            raise InvalidInput("a version number", field="version")
        chosen = int(version) if version.strip() else None
        await run_in_threadpool(
            lambda: send_test(platform.uow, RENDERER, channels, me.merchant_id, flow, channel,
                              locale, to, me.actor, version=chosen)
        )  # fmt: skip
    except DomainError as exc:
        return await _editor(request, me, flow, channel, locale, error=exc, test_to=to)
    target = f"/console/settings/templates/{flow}/{channel}?locale={locale}&flash=test_sent"
    return RedirectResponse(target, status_code=303)
