"""The merchant's own settings: /api/v1/merchant (integration secrets for now)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from postpurchase.domain.errors import NotFound
from postpurchase.domain.secrets import (
    MAX_LENGTH,
    MIN_LENGTH,
    PATTERN,
    PLATFORM_ISSUED,
    SecretKind,
)
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.service_layer import merchant_secrets
from postpurchase.service_layer.ports import SecretSummary

router = APIRouter(prefix="/api/v1/merchant", tags=["merchant"])


class SecretsIn(BaseModel):
    """Secrets the platforms issue, as the merchant copies them. Write-only: they are sealed
    at rest and never shown again. A field left out is unchanged; ``null`` removes the
    secret (that platform's webhooks are then refused). A replaced secret stays valid for
    ``POSTPURCHASE_SECRET_GRACE_HOURS`` so no delivery is lost while you switch over."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"shopify_webhook_secret": "shpss_0123456789abcdef0123456789abcdef"},
                {
                    "easypost_webhook_secret": "a-long-random-string-you-chose",
                    "aftership_webhook_secret": None,
                },
            ]
        },
    )

    shopify_webhook_secret: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description="Shopify: the app's client secret, or the key shown under Settings -> "
        "Notifications -> Webhooks ('Your webhooks will be signed with ...').",
    )
    easypost_webhook_secret: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description="EasyPost: the webhook_secret you chose when creating the webhook.",
    )
    aftership_webhook_secret: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description="AfterShip: the webhook secret under Settings -> Webhooks.",
    )
    woocommerce_webhook_secret: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description="WooCommerce: the Secret of the webhook (WooCommerce -> Settings -> "
        "Advanced -> Webhooks).",
    )
    helpdesk_webhook_secret: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description="Zendesk: the signing secret of the webhook that posts to "
        "/webhooks/helpdesk/{merchant} (or let us issue one: "
        "POST /api/v1/merchant/secrets/helpdesk-webhook/rotate). See docs/support-contacts.md.",
    )


class SecretOut(BaseModel):
    last4: str
    updated_at: datetime
    rotated_at: datetime | None = Field(
        description="When the secret was last replaced; the previous one is accepted until "
        "the grace period after this has passed."
    )
    previous_accepted_until: datetime | None


class SecretsOut(BaseModel):
    """What is set, shown by its last four characters only."""

    shopify_webhook_secret_last4: str | None = None
    easypost_webhook_secret_last4: str | None = None
    aftership_webhook_secret_last4: str | None = None
    woocommerce_webhook_secret_last4: str | None = None
    tracking_webhook_secret_last4: str | None = None
    helpdesk_webhook_secret_last4: str | None = None
    details: dict[str, SecretOut] = Field(
        default_factory=dict, description="Per secret field: last4 and rotation dates."
    )


class TrackingSecretOut(BaseModel):
    tracking_webhook_secret: str = Field(
        description="Shown once. Sign our batch tracking webhook with it "
        "(X-Postpurchase-Signature)."
    )
    tracking_webhook_secret_last4: str


def _out(summaries: list[SecretSummary], platform: PlatformDep) -> SecretsOut:
    grace = timedelta(hours=platform.settings.secret_grace_hours)
    out = SecretsOut()
    for s in summaries:
        setattr(out, f"{s.kind.field}_last4", s.last4)
        until = s.rotated_at + grace if s.previous_honoured and s.rotated_at else None
        out.details[s.kind.field] = SecretOut(
            last4=s.last4, updated_at=s.updated_at, rotated_at=s.rotated_at,
            previous_accepted_until=until,
        )  # fmt: skip
    return out


@router.get("/secrets", response_model=SecretsOut)
async def get_secrets(merchant: MerchantDep, platform: PlatformDep) -> SecretsOut:
    """Which integration secrets are set (last four characters only)."""
    summaries = await run_in_threadpool(
        merchant_secrets.secret_summaries, platform.uow(), merchant.id
    )
    return _out(summaries, platform)


@router.put("/secrets", response_model=SecretsOut)
async def put_secrets(body: SecretsIn, merchant: MerchantDep, platform: PlatformDep) -> SecretsOut:
    """Set the webhook secrets the platforms issued to you. Write-only."""
    given = body.model_dump(include=body.model_fields_set)
    values = {kind: given[kind.field] for kind in PLATFORM_ISSUED if kind.field in given}
    if SecretKind.HELPDESK_WEBHOOK.field in given:  # ours or Zendesk's: settable too
        values[SecretKind.HELPDESK_WEBHOOK] = given[SecretKind.HELPDESK_WEBHOOK.field]
    summaries = await run_in_threadpool(
        merchant_secrets.set_secrets, platform.uow(), platform.clock, merchant.id, values
    )
    return _out(summaries, platform)


@router.post("/secrets/tracking-webhook/rotate", response_model=TrackingSecretOut)
async def rotate_tracking_secret(merchant: MerchantDep, platform: PlatformDep) -> TrackingSecretOut:
    """A new secret for our own tracking webhook, shown once; the previous one is accepted
    for the grace period."""
    secret = await run_in_threadpool(
        merchant_secrets.rotate_tracking_secret, platform.uow(), platform.clock, merchant.id
    )
    return TrackingSecretOut(
        tracking_webhook_secret=secret, tracking_webhook_secret_last4=secret[-4:]
    )


class HelpdeskSecretOut(BaseModel):
    helpdesk_webhook_secret: str = Field(
        description="Shown once. Sign POST /webhooks/helpdesk/{merchant} with it "
        "(X-Postpurchase-Signature), or send it as X-Postpurchase-Token (Gorgias)."
    )
    helpdesk_webhook_secret_last4: str


@router.post("/secrets/helpdesk-webhook/rotate", response_model=HelpdeskSecretOut)
async def rotate_helpdesk_secret(merchant: MerchantDep, platform: PlatformDep) -> HelpdeskSecretOut:
    """A new secret for the helpdesk webhook (support contacts), shown once; the previous
    one is accepted for the grace period."""
    secret = await run_in_threadpool(
        merchant_secrets.rotate_helpdesk_secret, platform.uow(), platform.clock, merchant.id
    )
    return HelpdeskSecretOut(
        helpdesk_webhook_secret=secret, helpdesk_webhook_secret_last4=secret[-4:]
    )


class DeliveryOut(BaseModel):
    """A store delivery we received, and what processing it produced."""

    topic: str
    received_at: datetime
    attempts: int
    processed_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When it is tried again, if not settled")
    outcome: dict[str, Any] | None = Field(
        description="result: processed | waiting | refused | failed | given_up, with the ids "
        "it produced (order_id, shipment_ids), warnings, or the error and its field."
    )


@router.get("/webhook-deliveries/{source}/{delivery_id}", response_model=DeliveryOut)
async def get_delivery(
    source: str, delivery_id: str, merchant: MerchantDep, platform: PlatformDep
) -> DeliveryOut:
    """What became of one store delivery (e.g. Shopify's X-Shopify-Webhook-Id)."""

    def read() -> dict[str, Any] | None:
        with platform.uow() as uow:
            return uow.inbox.get(merchant.id, source, delivery_id)

    found = await run_in_threadpool(read)
    if found is None:
        raise NotFound("no such delivery", field="delivery_id")
    return DeliveryOut(**{k: v for k, v in found.items() if k != "id"})
