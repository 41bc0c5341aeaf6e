"""``POST /api/v1/integrations/woocommerce``: connect the merchant's WooCommerce store."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from postpurchase.adapters.storefronts.woocommerce import connect as woo
from postpurchase.adapters.storefronts.woocommerce.client import WooError
from postpurchase.adapters.storefronts.woocommerce.wiring import client_for_credentials
from postpurchase.domain.errors import NotFound
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.routes.integrations import connection_out

router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])


class WooConnectIn(BaseModel):
    """A REST API key the merchant created in WooCommerce -> Settings -> Advanced -> REST API
    (permissions: Read/Write). Write-only: the key is sealed at rest and never shown."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://shop.example.com",
                    "consumer_key": "ck_" + "0123456789abcdef" * 2 + "01234567",
                    "consumer_secret": "cs_" + "fedcba9876543210" * 2 + "76543210",
                }
            ]
        },
    )

    url: str = Field(
        max_length=300, pattern=r"^https?://[^\s/?#]+[^\s?#]*$",
        description="The store's address, https://… (WordPress's address when WooCommerce "
        "runs in a folder: https://example.com/shop).",
    )  # fmt: skip
    consumer_key: str = Field(pattern=r"^ck_[0-9a-f]{40}$", description="ck_ and 40 hex digits.")
    consumer_secret: str = Field(pattern=r"^cs_[0-9a-f]{40}$", description="cs_ and 40 hex digits.")


class WooWebhooksOut(BaseModel):
    created: list[str]
    updated: list[str]
    kept: list[str]


class WooConnectOut(BaseModel):
    shop: str
    delivery_url: str = Field(description="Where the store now sends its webhooks.")
    new_connection: bool
    webhooks: WooWebhooksOut


@router.get("/woocommerce")
def get_woocommerce(merchant: MerchantDep, platform: PlatformDep) -> dict[str, Any]:
    """The connected WooCommerce store: its address, when it was connected, the shop's
    currency, and where each backfill stands (`orders`, `products`: status, the page to
    resume at as `cursor`, imported and skipped, the error that stopped it)."""
    with platform.uow() as uow:
        connection = uow.connections.get(merchant.id, StorePlatform.WOOCOMMERCE)
    if connection is None:
        raise NotFound(
            "no WooCommerce store is connected: POST /api/v1/integrations/woocommerce",
            field="platform",
        )
    return connection_out(connection)


@router.post("/woocommerce", response_model=WooConnectOut)
async def connect_woocommerce(
    body: WooConnectIn, merchant: MerchantDep, platform: PlatformDep
) -> WooConnectOut:
    """Check the key against the store, keep it (sealed), and subscribe our
    `/webhooks/woocommerce/{merchant}` endpoint to order.created, order.updated,
    order.deleted, product.created, product.updated and product.deleted with a webhook
    secret generated here (stored as the merchant's `woocommerce_webhook_secret`).
    Idempotent: run again, existing webhooks are kept or re-keyed and missing ones created.
    A key WooCommerce refuses is a 422 naming `consumer_key`."""
    try:
        credentials = woo.Credentials.checked(body.url, body.consumer_key, body.consumer_secret)
    except Exception as exc:
        field = getattr(exc, "field", None)
        raise Problem(422, "Invalid request", str(exc),
                      field={"key": "consumer_key", "secret": "consumer_secret"}.get(
                          field or "", field or "url")) from None  # fmt: skip

    def run() -> woo.Connected:
        return woo.connect(
            platform.uow(), platform.clock, merchant.slug, credentials,
            base_url=platform.settings.base_url,
            client_for=client_for_credentials(max_attempts=2),
        )  # fmt: skip

    try:
        done = await run_in_threadpool(run)
    except WooError as exc:
        raise Problem(502, "Bad gateway", f"the store refused a webhook change: {exc}",
                      field="url") from None  # fmt: skip
    except Exception as exc:
        field = getattr(exc, "field", None)
        if field in ("key", "secret"):
            raise Problem(422, "Invalid request", str(exc),
                          field=f"consumer_{field}") from None  # fmt: skip
        raise
    return WooConnectOut(
        shop=done.shop,
        delivery_url=done.delivery_url,
        new_connection=done.new_connection,
        webhooks=WooWebhooksOut(created=done.created, updated=done.updated, kept=done.kept),
    )
