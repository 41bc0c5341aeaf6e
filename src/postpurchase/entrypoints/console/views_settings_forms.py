"""Settings forms (owners) over the one settings service: brand and logo, sender, tracking
page, notifications with quiet hours and the survey, checkout.

Each form becomes a JSON Merge Patch of its section and goes through ``update_settings``
(the service ``PATCH /api/v1/settings`` calls): the same validation, the same messages
naming the dotted field, and the audit entry (``settings.update`` by ``user:<email>``)
written in the change's own transaction. An emptied field is ``null``: back to its default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters.notifications import service_for
from postpurchase.bootstrap import Platform
from postpurchase.domain.console import Principal
from postpurchase.domain.errors import DomainError, InvalidInput
from postpurchase.domain.notification_flows import FLOWS
from postpurchase.domain.notification_vocabulary import Channel
from postpurchase.entrypoints.console.auth import Owner, platform_of
from postpurchase.service_layer.settings import (
    SettingsInvalid,
    get_settings,
    update_settings,
    upload_logo,
)

router = APIRouter(prefix="/console/settings", include_in_schema=False, tags=["console"])

Field_ = Annotated[str, Form(max_length=2000)]
BRAND = ("display_name", "logo_url", "primary_color", "accent_color", "background_color",
         "text_color", "font_family")  # fmt: skip
SENDER = ("sender_name", "from_email", "reply_to")
SUPPORT = ("email", "phone", "url", "chat_url")
FORM_SECTIONS = ("brand", "tracking", "notifications", "checkout")
TIMING = ("collapse_seconds", "max_event_age_hours", "estimate_change_min_days",
          "pickup_hold_days")  # fmt: skip


def _text(value: str | None) -> str | None:
    """A form field as a setting: trimmed, and empty meaning "back to the default"."""
    value = (value or "").strip()
    return value or None


def _whole(value: Any) -> int | str | None:
    """A number field: empty is the default; anything not digits goes to the schema as
    typed, which names the field and says it wants a whole number."""
    text = _text(str(value or ""))
    return int(text) if text is not None and text.isdigit() else text


def _getter(form: Any) -> Callable[[str], str | None]:
    def get(key: str) -> str | None:
        return _text(str(form.get(key) or ""))

    return get


def load(platform: Platform, merchant_id: str, section: str) -> dict[str, Any]:
    """What a form section shows: the stored settings and, for the flows, what is on now."""
    settings = get_settings(platform.uow(), merchant_id)
    data: dict[str, Any] = {"settings": settings}
    if section == "checkout":
        with platform.uow() as uow:
            merchant = uow.merchants.get(merchant_id)
        data["timezone"] = merchant.timezone if merchant else None
    if section == "notifications":
        prefs = service_for(platform).preferences_of(merchant_id)
        data["flows"] = [
            (name, flow.description, {c.value: prefs.enabled(flow, c) for c in Channel})
            for name, flow in sorted(FLOWS.items())
        ]
        data["channels"] = [c.value for c in Channel]
    return data


async def _save(request: Request, me: Principal, section: str, patch: dict[str, Any]) -> Response:
    platform = platform_of(request)
    try:
        await run_in_threadpool(
            lambda: update_settings(platform.uow(), me.merchant_id, patch, me.actor)
        )
    except DomainError as exc:
        return await _refused(request, me, section, exc)
    return RedirectResponse(f"/console/settings/{section}?flash=saved", status_code=303)


async def _refused(request: Request, me: Principal, section: str, exc: DomainError) -> Response:
    from postpurchase.entrypoints.console.views_settings import page

    problems = exc.errors if isinstance(exc, SettingsInvalid) else []
    message = f"{exc.field}: {exc.message}" if exc.field and not problems else exc.message
    if len(problems) > 1:
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return await page(request, me, section, 400, error=message, error_field=exc.field)


@router.post("/brand")
async def save_brand(request: Request, me: Owner) -> Response:
    form = await request.form()
    fields = {k: _text(str(form.get(k) or "")) for k in (*BRAND, *SENDER)}
    return await _save(request, me, "brand", {"branding": fields})


@router.post("/brand/logo")
async def save_logo(
    request: Request, me: Owner, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    platform = platform_of(request)
    limit = platform.settings.logo_max_bytes
    data = await file.read(limit + 1) if file is not None else b""
    name = file.filename if file is not None else None
    try:
        if not data:
            raise InvalidInput("choose an image (PNG, JPEG, WebP or GIF)", field="file")
        await run_in_threadpool(
            lambda: upload_logo(platform.uow(), me.merchant_id, data, me.actor,
                                max_bytes=limit, filename=name)
        )  # fmt: skip
    except DomainError as exc:
        return await _refused(request, me, "brand", exc)
    return RedirectResponse("/console/settings/brand?flash=saved", status_code=303)


@router.post("/tracking")
async def save_tracking(request: Request, me: Owner) -> Response:
    form = await request.form()
    get = _getter(form)
    banner_text = get("promo_text")
    banner = None
    if banner_text:
        banner = {"text": banner_text, "link_url": get("promo_link_url"),
                  "link_label": get("promo_link_label"),
                  "starts_at": _moment(get("promo_starts_at"), "promo_banner.starts_at"),
                  "ends_at": _moment(get("promo_ends_at"), "promo_banner.ends_at")}  # fmt: skip
    page = {
        "support": {k: get(f"support_{k}") for k in SUPPORT},
        "returns_url": get("returns_url"),
        "default_locale": get("default_locale"),
        "promo_banner": banner,
        "reschedule_url": get("reschedule_url"),
        "pickup_hours": get("pickup_hours"),
        "cors_origins": [x.strip() for x in str(form.get("cors_origins") or "").split()] or None,
    }
    return await _save(request, me, "tracking", {"tracking_page": page})


def _moment(value: str | None, field: str) -> str | None:
    """A ``datetime-local`` field (no zone) read as UTC, as the page says."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None).isoformat() + "Z"
    except ValueError:
        return value  # the schema names the field and the problem


@router.post("/notifications")
async def save_notifications(request: Request, me: Owner) -> Response:
    form = await request.form()
    flows = {
        name: {c.value: form.get(f"flow.{name}.{c.value}") == "on" for c in Channel}
        for name in FLOWS
    }
    quiet: dict[str, Any] = {"enabled": form.get("quiet_enabled") == "on"}
    for key in ("start", "end"):
        if value := _text(str(form.get(f"quiet_{key}") or "")):
            quiet[key] = value
    timing = {k: _whole(form.get(k)) for k in TIMING}
    patch = {
        "notifications": {"flows": flows, "quiet_hours": quiet, **timing},
        "survey": {"enabled": form.get("survey_enabled") == "on"},
    }
    return await _save(request, me, "notifications", patch)


@router.post("/checkout")
async def save_checkout(request: Request, me: Owner) -> Response:
    form = await request.form()
    get = _getter(form)
    days = get("handling_days")
    origins = [x.strip() for x in str(form.get("storefront_origins") or "").split() if x.strip()]
    checkout: dict[str, Any] = {
        "cutoff": get("cutoff"),
        "ship_from_country": get("ship_from_country"),
        "ship_from_postal_code": get("ship_from_postal_code"),
        "storefront_origins": origins or None,
        "handling_days": int(days) if days and days.isdigit() else days,
    }
    zone = get("timezone")
    if zone:  # the store's time zone (outside the settings schema): checkout's own service
        platform = platform_of(request)
        from postpurchase.service_layer.checkout import settings as checkout_settings

        try:
            await run_in_threadpool(
                lambda: checkout_settings.update(platform.uow(), me.merchant_id, {},
                                                 timezone=zone, actor=me.actor)
            )  # fmt: skip
        except DomainError as exc:
            return await _refused(request, me, "checkout", exc)
    return await _save(request, me, "checkout", {"checkout": checkout})
