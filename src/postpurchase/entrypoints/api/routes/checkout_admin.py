"""The merchant's side of checkout estimates: publishable keys and checkout settings.

``/api/v1/merchant/publishable-keys`` (list, create or rotate, revoke) and
``/api/v1/merchant/checkout-settings`` (cut-off, handling days, ship-from, storefront
origins, the merchant's time zone). Secret API key only: a publishable key is refused here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from postpurchase.entrypoints.api.deps import ApiActorDep, MerchantDep, PlatformDep
from postpurchase.service_layer.checkout import keys
from postpurchase.service_layer.checkout import settings as checkout_settings
from postpurchase.service_layer.checkout.ports import PublishableKeyRow

router = APIRouter(prefix="/api/v1/merchant", tags=["checkout estimates"])


class KeyOut(BaseModel):
    id: str
    hint: str = Field(description="The key's first characters, to tell keys apart.")
    label: str
    created_at: datetime
    revoked_at: datetime | None


class KeysOut(BaseModel):
    keys: list[KeyOut]


class NewKeyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"label": "storefront"}, {"rotate": True}]},
    )
    label: str = Field(default="storefront", max_length=100)
    rotate: StrictBool = Field(
        default=False,
        description="Revoke every other publishable key of yours at once (a leaked or "
        "abused key). Without it, old keys keep working until you DELETE them, so a "
        "storefront can switch over first.",
    )


class NewKeyOut(KeyOut):
    key: str = Field(description="Shown once: only a hash is stored.")


def _out(row: PublishableKeyRow) -> KeyOut:
    return KeyOut(
        id=row.id,
        hint=row.hint,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.get("/publishable-keys", response_model=KeysOut)
async def list_publishable_keys(merchant: MerchantDep, platform: PlatformDep) -> KeysOut:
    """Your publishable keys (newest first), revoked ones included."""
    rows = await run_in_threadpool(keys.list_keys, platform.uow(), merchant.id)
    return KeysOut(keys=[_out(r) for r in rows])


@router.post("/publishable-keys", response_model=NewKeyOut, status_code=201)
async def create_publishable_key(
    merchant: MerchantDep, platform: PlatformDep, body: NewKeyIn | None = None
) -> NewKeyOut:
    """A new publishable key for your storefront (shown once). It can only read checkout
    estimates (`GET /api/v1/estimates/checkout`)."""
    body = body or NewKeyIn()
    key, row = await run_in_threadpool(
        lambda: keys.issue(
            platform.uow(), platform.clock, merchant.id, label=body.label, revoke_others=body.rotate
        )
    )
    return NewKeyOut(key=key, **_out(row).model_dump())


@router.delete("/publishable-keys/{key_id}", status_code=204)
async def revoke_publishable_key(
    key_id: str, merchant: MerchantDep, platform: PlatformDep
) -> Response:
    """Revoke one key; it stops working within 10 seconds."""
    await run_in_threadpool(keys.revoke, platform.uow(), platform.clock, merchant.id, key_id)
    return Response(status_code=204)


class CheckoutSettingsIn(BaseModel):
    """Fields left out are unchanged; ``null`` resets one to its default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "cutoff": "14:00",
                    "handling_days": 1,
                    "timezone": "Europe/London",
                    "ship_from_country": "GB",
                    "ship_from_postal_code": "M1 1AE",
                    "storefront_origins": ["https://shop.example.co.uk"],
                }
            ]
        },
    )
    cutoff: str | None = Field(
        default=None,
        pattern=r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$",
        description="Local time of day (HH:MM, 24 h) in your time zone after "
        "which an order leaves a business day later. Default 14:00.",
        examples=["14:00"],
    )
    handling_days: StrictInt | None = Field(
        default=None, ge=0, le=30, description="Business days to pick and pack (0-30). Default 1."
    )
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="Your IANA time zone: the cut-off's clock.",
        examples=["Europe/London"],
    )
    ship_from_country: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2}$",
        description="Where parcels leave from (ISO 3166-1 alpha-2): its public "
        "holidays are not business days, and it decides domestic or international.",
    )
    ship_from_postal_code: str | None = Field(default=None, max_length=16)
    storefront_origins: list[str] | None = Field(
        default=None,
        description="https origins of your storefront allowed to call the "
        "checkout estimate from a browser (CORS), e.g. https://shop.example.com.",
    )


class CheckoutSettingsOut(BaseModel):
    cutoff: str
    handling_days: int
    timezone: str
    ship_from_country: str | None
    ship_from_postal_code: str | None
    storefront_origins: list[str]


def _settings_out(pair: tuple[Any, str]) -> CheckoutSettingsOut:
    s, tz = pair
    return CheckoutSettingsOut(timezone=tz, **s.as_dict())


@router.get("/checkout-settings", response_model=CheckoutSettingsOut)
async def get_checkout_settings(
    merchant: MerchantDep, platform: PlatformDep
) -> CheckoutSettingsOut:
    """Cut-off, handling days, ship-from and storefront origins for checkout estimates."""
    return _settings_out(
        await run_in_threadpool(checkout_settings.get, platform.uow(), merchant.id)
    )


@router.patch("/checkout-settings", response_model=CheckoutSettingsOut)
async def patch_checkout_settings(
    body: CheckoutSettingsIn, merchant: MerchantDep, platform: PlatformDep, actor: ApiActorDep
) -> CheckoutSettingsOut:
    """Change some settings (all or nothing: one bad field changes none). Estimates use
    them within 10 seconds."""
    given = body.model_dump(include=body.model_fields_set)
    timezone = given.pop("timezone", None)
    return _settings_out(
        await run_in_threadpool(
            lambda: checkout_settings.update(
                platform.uow(), merchant.id, given, timezone=timezone, actor=actor
            )
        )
    )
