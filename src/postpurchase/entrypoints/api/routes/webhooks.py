"""Inbound webhooks: tracking sources and store platforms.

Each is verified (HMAC or API key), idempotent (scan fingerprints, delivery ids) and
replay-safe (signed timestamps for ours, delivery-id receipts for Shopify).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from postpurchase.adapters import signatures
from postpurchase.adapters.storefronts import shopify
from postpurchase.adapters.storefronts.shopify.topics import LIFECYCLE_TOPICS
from postpurchase.adapters.tracking_sources import aftership, easypost, normalised
from postpurchase.bootstrap import Platform
from postpurchase.domain import commands
from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.errors import DomainError
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.secrets import SecretKind
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.entrypoints import inbox, metrics
from postpurchase.entrypoints.api import webhook_schemas
from postpurchase.entrypoints.api.deps import PlatformDep, bearer_key
from postpurchase.entrypoints.api.problems import Problem

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


async def _body(request: Request) -> bytes:
    """The raw body. Its size was bounded while it streamed in (``api/limits.py``,
    ``POSTPURCHASE_MAX_BATCH_BODY_BYTES``); checked again for an app mounted without it."""
    limit = request.app.state.platform.settings.max_batch_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Payload too large", f"body over {limit} bytes", field="body")
    body = await request.body()
    if len(body) > limit:
        raise Problem(413, "Payload too large", f"body over {limit} bytes", field="body")
    return body


def _signed_merchant(
    platform: Platform,
    slug: str | None,
    kind: SecretKind,
    header: str,
    verify: Callable[[str], bool],
) -> Merchant:
    """The merchant ``slug`` names, when ``verify`` accepts one of its secrets of ``kind``
    (the previous one too, within the grace period after a rotation); else 401, the same
    whether the slug exists or not. One read for the merchant and its secret."""
    if not slug:
        raise Problem(
            401,
            "Unauthorized",
            "name the merchant (?merchant=<slug>) and sign the body, or send an API key",
            field="merchant",
        )
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
        stored = uow.secrets.get(merchant.id, kind) if merchant is not None else None
    grace = timedelta(hours=platform.settings.secret_grace_hours)
    accepted = stored.accepted(platform.clock.now(), grace) if stored is not None else ()
    results = [verify(secret) for secret in accepted]  # every one is tried, no early exit
    if merchant is None or not any(results):
        raise Problem(401, "Unauthorized", "signature does not match", field=header)
    return merchant


def _authenticate(
    request: Request,
    platform: Platform,
    body: bytes,
    header: str,
    kind: SecretKind,
    verify: Callable[[bytes, str | None, str], bool],
) -> Merchant:
    key = bearer_key(request)
    if key is not None:
        merchant: Merchant | None = request.app.state.key_cache.lookup(platform, key)
        if merchant is None:
            raise Problem(401, "Unauthorized", "the API key is not valid", field="Authorization")
        return merchant
    signature = request.headers.get(header)
    return _signed_merchant(
        platform,
        request.query_params.get("merchant"),
        kind,
        header,
        lambda secret: verify(body, signature, secret),
    )


@router.post("/tracking/{source}", **webhook_schemas.TRACKING_ROUTE)
async def tracking_webhook(source: str, request: Request, platform: PlatformDep) -> JSONResponse:
    """Batches of scans. `source` is `postpurchase` (our format), `aftership` or `easypost`.

    Authenticate with `Authorization: Bearer <API key>`, or name the merchant with
    `?merchant=<slug>` and sign the raw body with the merchant's secret for that source.

    The answer gives, per tracking number, how many scans were new and how many were
    duplicates. With `POSTPURCHASE_TRACKING_INGEST=deferred` it comes as soon as the scans
    are stored, and statuses, order statuses and notifications follow when the worker
    folds them: within the worker's polling interval when it is idle; a burst queues and
    drains at the fold rate (docs/benchmarks.md).
    """
    body = await _body(request)
    now = platform.clock.now()
    delivery_id: str | None = None
    if source == "postpurchase":
        tolerance = timedelta(seconds=platform.settings.webhook_tolerance_seconds)
        merchant = _authenticate(
            request,
            platform,
            body,
            signatures.POSTPURCHASE_HEADER,
            SecretKind.TRACKING_WEBHOOK,
            lambda b, h, s: signatures.verify_postpurchase(b, h, s, now, tolerance),
        )
        batch = normalised.parse_batch(
            body, now=now, max_events=platform.settings.max_batch_events, known_carriers=CARRIERS
        )
        updates, errors = batch.updates, list(batch.errors)
    elif source == "aftership":
        merchant = _authenticate(
            request, platform, body, signatures.AFTERSHIP_HEADER,
            SecretKind.AFTERSHIP_WEBHOOK, signatures.verify_aftership,
        )  # fmt: skip
        parsed = aftership.parse_webhook(body, now=now)
        updates, errors, delivery_id = parsed.updates, list(parsed.errors), parsed.delivery_id
    elif source == "easypost":
        merchant = _authenticate(
            request, platform, body, signatures.EASYPOST_HEADER,
            SecretKind.EASYPOST_WEBHOOK, signatures.verify_easypost,
        )  # fmt: skip
        parsed = easypost.parse_webhook(body, now=now)
        updates, errors, delivery_id = parsed.updates, list(parsed.errors), parsed.delivery_id
    else:
        raise Problem(404, "Not found", f"unknown tracking source {source!r}", field="source")
    if delivery_id and await _seen(platform, merchant.id, source, delivery_id):
        return JSONResponse({"duplicate": True, "accepted": 0, "results": [], "errors": []})
    results: list[dict[str, Any]] = []
    if updates:
        results = await _run(platform, commands.RecordTracking(merchant.id, tuple(updates)))
    if delivery_id:
        await _remember(platform, merchant.id, source, delivery_id)
    accepted = sum(r["new_events"] + r["duplicates"] for r in results if r["result"] == "accepted")
    _count_scans(source, results, len(errors))
    payload: dict[str, Any] = {
        "accepted": accepted,
        "rejected": len(errors),
        "results": results,
        "errors": errors,
    }
    if errors and not results:
        first = errors[0]
        payload.update(
            type="https://postpurchase.dev/problems/invalid-request",
            title="Invalid request",
            status=422,
            detail=f"{first['field']}: {first['error']}",
            field=first["field"],
        )
        return JSONResponse(payload, status_code=422, media_type="application/problem+json")
    return JSONResponse(payload)


@router.post("/shopify/{merchant_slug}")
async def shopify_webhook(
    merchant_slug: str, request: Request, platform: PlatformDep, background: BackgroundTasks
) -> JSONResponse:
    """Shopify topics orders/create, orders/updated, orders/cancelled (full order snapshots:
    the newest by `updated_at` wins, whatever the order of arrival), refunds/create,
    fulfillments/create and fulfillments/update, verified with `X-Shopify-Hmac-Sha256`
    against the secret you set (`PUT /api/v1/merchant/secrets`) or, for a shop that
    installed the Shopify app, the app's client secret; with the app also
    products/create|update|delete, app/uninstalled and the privacy topics.

    The delivery is checked, stored and answered at once (Shopify waits 5 s at most); it is
    processed right after, and retried with backoff if that fails (a fulfilment that comes
    before its order waits for it). A redelivery (same `X-Shopify-Webhook-Id`) changes
    nothing. After `app/uninstalled` the shop's deliveries are answered and ignored (the
    privacy topics excepted). `GET /api/v1/merchant/webhook-deliveries/shopify/{id}` shows
    the outcome.
    """
    body = await _body(request)
    header = request.headers.get(signatures.SHOPIFY_HEADER)
    merchant, connection = _shopify_merchant(
        platform, merchant_slug, lambda secret: signatures.verify_shopify(body, header, secret)
    )
    return await receive_shopify(request, platform, background, merchant, connection, body)


def _shopify_merchant(
    platform: Platform, slug: str, verify: Callable[[str], bool]
) -> tuple[Merchant, StoreConnection | None]:
    """Like ``_signed_merchant``, accepting the app's client secret too for a shop that
    installed the app (its deliveries are signed with it); the connection comes along."""
    app_secret = platform.settings.shopify_client_secret.strip()
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
        stored = uow.secrets.get(merchant.id, SecretKind.SHOPIFY_WEBHOOK) if merchant else None
        connection = uow.connections.get(merchant.id, StorePlatform.SHOPIFY) if merchant else None
    grace = timedelta(hours=platform.settings.secret_grace_hours)
    accepted = stored.accepted(platform.clock.now(), grace) if stored is not None else ()
    if connection is not None and app_secret:
        accepted = (*accepted, app_secret)
    results = [verify(secret) for secret in accepted]  # every one is tried, no early exit
    if merchant is None or not any(results):
        raise Problem(
            401, "Unauthorized", "signature does not match", field=signatures.SHOPIFY_HEADER
        )
    return merchant, connection


async def receive_shopify(
    request: Request,
    platform: Platform,
    background: BackgroundTasks,
    merchant: Merchant,
    connection: StoreConnection | None,
    body: bytes,
) -> JSONResponse:
    """A verified Shopify delivery: checked, stored in the inbox, answered, processed."""
    webhook_id = (request.headers.get(shopify.WEBHOOK_ID_HEADER) or "").strip()
    if not webhook_id or len(webhook_id) > 128:
        raise Problem(
            400, "Bad request", "missing webhook id header", field=shopify.WEBHOOK_ID_HEADER
        )
    topic = request.headers.get(shopify.TOPIC_HEADER)
    counted = topic if topic in shopify.TOPICS else "other"
    if connection is not None and not connection.active and topic not in LIFECYCLE_TOPICS:
        metrics.STORE_DELIVERIES.labels("shopify", counted, "ignored").inc()
        return JSONResponse({"ignored": "the shop uninstalled the app", "delivery": webhook_id})
    return await store_delivery(
        request, platform, background, merchant, shopify.SOURCE, webhook_id, topic, body,
        counted=counted,
    )  # fmt: skip


async def store_delivery(
    request: Request,
    platform: Platform,
    background: BackgroundTasks,
    merchant: Merchant,
    source: str,
    delivery_id: str,
    topic: str | None,
    body: bytes,
    *,
    counted: str,
) -> JSONResponse:
    """A verified store delivery: translated once (a malformed one is refused naming the
    field, and nothing is stored), stored in the inbox (a redelivery is a no-op), answered,
    then processed in the background. ``counted`` is the topic as the metrics count it."""
    try:
        inbox.translate(topic, body, merchant.id, source)
    except DomainError:
        metrics.STORE_DELIVERIES.labels(source, counted, "refused").inc()
        raise
    item_id = await run_in_threadpool(
        _accept, platform, merchant.id, source, delivery_id, topic or "", body
    )
    if item_id is None:
        metrics.STORE_DELIVERIES.labels(source, counted, "duplicate").inc()
        return JSONResponse({"duplicate": True, "delivery": delivery_id})
    metrics.STORE_DELIVERIES.labels(source, counted, "received").inc()
    background.add_task(_process, request, platform, item_id)
    return JSONResponse({"received": True, "topic": topic, "delivery": delivery_id})


def _accept(
    platform: Platform, merchant_id: str, source: str, delivery_id: str, topic: str, body: bytes
) -> int | None:
    with platform.uow() as uow:
        item_id = uow.inbox.accept(
            merchant_id, source, delivery_id, topic, body, platform.clock.now()
        )
        uow.commit()
    return item_id


# Deliveries processed at once by one API process; the rest wait on the event loop (not in
# threads), so answering new deliveries never queues behind a burst of processing.
PROCESSING_SLOTS = 2


async def _process(request: Request, platform: Platform, item_id: int) -> None:
    slots: asyncio.Semaphore | None = getattr(request.app.state, "inbox_slots", None)
    if slots is None:
        slots = request.app.state.inbox_slots = asyncio.Semaphore(PROCESSING_SLOTS)
    async with slots:
        await run_in_threadpool(inbox.process_one, platform, item_id)


def _count_scans(source: str, results: list[dict[str, Any]], rejected: int) -> None:
    new = sum(r["new_events"] for r in results)
    duplicates = sum(r["duplicates"] for r in results)
    for result, n in (("new", new), ("duplicate", duplicates), ("rejected", rejected)):
        if n:
            metrics.TRACKING_EVENTS.labels(source, result).inc(n)


async def _run(platform: Platform, command: commands.Command) -> Any:
    return await run_in_threadpool(platform.bus().handle, command)


def _receipt(
    platform: Platform, merchant_id: str, source: str, delivery_id: str, *, record: bool
) -> bool:
    """Receipts are written after the work succeeded, so a failed delivery can be retried."""
    with platform.uow() as uow:
        if not record:
            return uow.receipts.seen(merchant_id, source, delivery_id)
        first = uow.receipts.first_time(merchant_id, source, delivery_id, platform.clock.now())
        uow.commit()
        return first


async def _seen(platform: Platform, merchant_id: str, source: str, delivery_id: str) -> bool:
    return await run_in_threadpool(
        _receipt, platform, merchant_id, source, delivery_id, record=False
    )


async def _remember(platform: Platform, merchant_id: str, source: str, delivery_id: str) -> None:
    await run_in_threadpool(_receipt, platform, merchant_id, source, delivery_id, record=True)
