"""``/api/v1/settings``: every merchant setting through one schema (issue 14).

``GET`` shows the document (unset values ``null``: the platform default applies); ``PATCH``
takes a JSON Merge Patch (RFC 7396): objects merge key by key, ``null`` resets a key,
anything else replaces. An unknown key at any depth, a wrong type or a broken rule (a colour
below WCAG contrast, a font off the allow-list) is a 422 whose ``field`` is the dotted path
and whose ``errors`` lists every problem. Every change is audited (``GET /api/v1/audit``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from postpurchase.adapters.notifications.wiring import service_for
from postpurchase.domain.errors import NotFound
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep, api_actor
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.service_layer.settings import get_settings, update_settings
from postpurchase.service_layer.settings.schema import MerchantSettings
from postpurchase.service_layer.settings.services import SettingsInvalid, logo, upload_logo

router = APIRouter(prefix="/api/v1/settings", tags=["settings"])
media_router = APIRouter(tags=["settings"])

_EXAMPLE = {
    "branding": {"display_name": "Northwind", "primary_color": "#14532d", "font_family": "Inter"},
    "tracking_page": {
        "support": {"email": "help@northwind.example", "chat_url": "https://chat.example/nw"},
        "promo_banner": {
            "text": "15% off your next order: THANKS15",
            "link_url": "https://northwind.example/new",
            "ends_at": "2026-12-31T23:00:00Z",
        },
        "faq": [{"question": "Can I change my address?", "answer": "Reply to your email."}],
        "custom_domains": ["track.northwind.example"],
        "default_locale": "en",
    },
    "notifications": {"flows": {"shipped": {"sms": True}}, "quiet_hours": {"enabled": False}},
    "survey": {"enabled": True},
}


def invalid(exc: SettingsInvalid, *, strip: str = "", legacy: bool = False) -> Problem:
    """The 422 for refused settings. ``legacy``: list items as ``.0`` (the deprecated
    endpoint's naming) rather than ``[0]``."""

    def name(field: str) -> str:
        field = field.removeprefix(strip)
        return re.sub(r"\[(\d+)\]", r".\1", field) if legacy else field

    errors = [{"field": name(e["field"]), "message": e["message"]} for e in exc.errors]
    first = errors[0]
    return Problem(
        422,
        "Invalid request",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


@router.get("", response_model=MerchantSettings, response_model_exclude_none=False)
async def read(merchant: MerchantDep, platform: PlatformDep) -> MerchantSettings:
    """Your settings: brand, tracking page, notifications, survey, checkout."""
    return await run_in_threadpool(get_settings, platform.uow(), merchant.id)


def _patch_schema() -> dict[str, Any]:
    """The body of a JSON Merge Patch (RFC 7396): any section, each may be ``null`` (back to
    its defaults); the sections' own schemas are the document's."""
    document = MerchantSettings.model_json_schema(ref_template="#/components/schemas/{model}")
    return {
        "title": "MerchantSettingsPatch",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            name: {"anyOf": [schema, {"type": "null"}]}
            for name, schema in document["properties"].items()
        },
    }


_PATCH_SCHEMA = _patch_schema()


@router.patch(
    "",
    response_model=MerchantSettings,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/merge-patch+json": {
                    "schema": _PATCH_SCHEMA,
                    "example": _EXAMPLE,
                },
                "application/json": {
                    "schema": _PATCH_SCHEMA,
                    "example": _EXAMPLE,
                },
            },
        }
    },
)
async def change(
    request: Request,
    merchant: MerchantDep,
    platform: PlatformDep,
    patch: Annotated[Any, Body(include_in_schema=False)],
) -> MerchantSettings:
    """Change some settings (JSON Merge Patch, RFC 7396): all or nothing, audited."""
    check = getattr(service_for(platform).channels.ops, "check_url", None)
    try:
        settings = await run_in_threadpool(
            lambda: update_settings(
                platform.uow(), merchant.id, patch, api_actor(request), check_url=check
            )
        )
    except SettingsInvalid as exc:
        raise invalid(exc) from None
    service_for(platform).forget_merchant(merchant.id)
    return settings


@router.post("/logo", response_model=MerchantSettings)
async def change_logo(
    request: Request,
    merchant: MerchantDep,
    platform: PlatformDep,
    file: Annotated[UploadFile, File(description="PNG, JPEG, WebP or GIF (not SVG).")],
) -> MerchantSettings:
    """Upload the brand's logo (multipart form, field ``file``). It is recognised by its
    bytes, not its name; over ``POSTPURCHASE_LOGO_MAX_BYTES`` (512 KiB) or not an image is
    a 422 naming ``file``. Stored where every process sees it, served at
    ``branding.logo_media_id``'s ``/media/logos/{merchant}/{id}``, audited."""
    limit = platform.settings.logo_max_bytes
    data = await file.read(limit + 1)
    settings = await run_in_threadpool(
        lambda: upload_logo(
            platform.uow(), merchant.id, data, api_actor(request),
            max_bytes=limit, filename=_safe_name(file.filename),
        )
    )  # fmt: skip
    service_for(platform).forget_merchant(merchant.id)
    return settings


def _safe_name(name: str | None) -> str | None:
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[:200] if base and base not in (".", "..") else None


@media_router.get(
    "/media/logos/{merchant_id}/{media_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "image/gif": {}}}
    },
)
async def logo_file(merchant_id: str, media_id: str, platform: PlatformDep) -> Response:
    """A merchant's uploaded logo (public: it is on their tracking page and messages).
    An id never changes content, so it is cached for a year."""
    found = await run_in_threadpool(logo, platform.uow(), merchant_id, media_id)
    if found is None:
        raise NotFound("no such logo", field="media_id")
    return Response(
        found.data,
        media_type=found.ref.content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
