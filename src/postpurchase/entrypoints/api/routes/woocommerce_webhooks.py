"""``POST /webhooks/woocommerce/{merchant_slug}``: WooCommerce's order and product webhooks,
through the same durable inbox as Shopify's (checked, stored, answered, then processed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse

from postpurchase.adapters import signatures
from postpurchase.adapters.storefronts import woocommerce
from postpurchase.adapters.tracking_sources.common import load_json
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.secrets import SecretKind
from postpurchase.entrypoints.api.deps import PlatformDep
from postpurchase.entrypoints.api.problems import Problem
from postpurchase.entrypoints.api.routes.webhooks import _body, _signed_merchant, store_delivery

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_DELIVERY_ID = 128


def _header(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": {"type": "string", "maxLength": 256, **schema}}  # fmt: skip


# What WooCommerce sends, for /openapi.json (the route reads the raw body itself: the
# signature is over its exact bytes).
OPENAPI: dict[str, Any] = {
    "parameters": [
        _header(woocommerce.TOPIC_HEADER, "order.created, order.updated, order.deleted, "
                "product.created, product.updated or product.deleted.",
                enum=sorted(woocommerce.TOPICS)),
        _header(woocommerce.SIGNATURE_HEADER,
                "base64 HMAC-SHA256 of the raw body with the webhook's secret."),
        _header(woocommerce.DELIVERY_ID_HEADER, "Unique per delivery: a redelivery is a no-op."),
    ],
    "requestBody": {
        "required": True,
        "description": "The order or product exactly as WooCommerce's REST API v3 gives it "
        "(`{\"id\": N}` for a deletion); the ping on save is the form body `webhook_id=N`.",
        "content": {
            "application/json": {
                "schema": {"type": "object"},
                "example": {
                    "id": 727, "number": "727", "status": "processing", "currency": "USD",
                    "date_created_gmt": "2017-03-22T19:28:02",
                    "date_modified_gmt": "2017-03-22T19:28:08", "total": "29.35",
                    "prices_include_tax": False,
                    "shipping": {"first_name": "John", "last_name": "Doe",
                                 "address_1": "969 Market", "city": "San Francisco",
                                 "state": "CA", "postcode": "94103", "country": "US"},
                    "line_items": [{"id": 315, "name": "Woo Single #1", "product_id": 93,
                                    "quantity": 2, "subtotal": "6.00", "total": "6.00",
                                    "total_tax": "0.45", "sku": ""}],
                },
            },
        },
    },
}  # fmt: skip


@router.post("/woocommerce/{merchant_slug}", openapi_extra=OPENAPI)
async def woocommerce_webhook(
    merchant_slug: str, request: Request, platform: PlatformDep, background: BackgroundTasks
) -> JSONResponse:
    """WooCommerce topics order.created, order.updated (a refund arrives as one, with the
    order's `refunds`), order.deleted (the order is cancelled here; its history stays),
    product.created, product.updated and product.deleted, verified with
    `X-WC-Webhook-Signature` (base64 HMAC-SHA256 of the raw body) against the webhook
    secret: the one `postpurchase woocommerce connect` registered, or the one you set with
    `merchant secrets --woocommerce-secret`.

    Order bodies are full snapshots: the newest by `date_modified_gmt` wins whatever the
    order of arrival. A redelivery (same `X-WC-Webhook-Delivery-ID`) changes nothing;
    `GET /api/v1/merchant/webhook-deliveries/woocommerce/{delivery id}` shows the outcome.
    The unsigned `webhook_id=N` ping WooCommerce sends when a webhook is saved is answered
    200 and stores nothing.
    """
    body = await _body(request)
    if woocommerce.is_ping(body, request.headers.get("content-type")) and not request.headers.get(
        woocommerce.TOPIC_HEADER
    ):
        return JSONResponse({"ping": True})
    header = request.headers.get(woocommerce.SIGNATURE_HEADER)
    merchant = _signed_merchant(
        platform,
        merchant_slug,
        SecretKind.WOOCOMMERCE_WEBHOOK,
        woocommerce.SIGNATURE_HEADER,
        lambda secret: signatures.verify_woocommerce(body, header, secret),
    )
    delivery_id = (request.headers.get(woocommerce.DELIVERY_ID_HEADER) or "").strip()
    if not delivery_id or len(delivery_id) > MAX_DELIVERY_ID:
        raise Problem(
            400, "Bad request", "missing delivery id header", field=woocommerce.DELIVERY_ID_HEADER
        )
    try:
        load_json(body)
    except InvalidInput:
        raise Problem(400, "Bad request", "the body is not JSON", field="body") from None
    topic = request.headers.get(woocommerce.TOPIC_HEADER)
    return await store_delivery(
        request, platform, background, merchant, woocommerce.SOURCE, delivery_id, topic, body,
        counted=topic if topic in woocommerce.TOPICS else "other",
    )  # fmt: skip
