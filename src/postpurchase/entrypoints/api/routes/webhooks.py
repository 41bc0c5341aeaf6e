"""Inbound webhooks: tracking sources and store platforms.

Each is verified (HMAC or API key), idempotent (scan fingerprints, delivery ids) and
replay-safe (signed timestamps for ours, delivery-id receipts for Shopify).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from postpurchase.adapters import signatures
from postpurchase.adapters.tracking_sources import normalised
from postpurchase.bootstrap import Platform
from postpurchase.domain import commands
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.merchants import Merchant
from postpurchase.entrypoints.api.deps import PlatformDep, bearer_key
from postpurchase.entrypoints.api.problems import Problem

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BODY = 8 * 1024 * 1024


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise Problem(413, "Payload too large", f"body over {MAX_BODY} bytes", field="body")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, "Payload too large", f"body over {MAX_BODY} bytes", field="body")
    return body


def _merchant_by_slug(platform: Platform, slug: str | None) -> Merchant:
    if not slug:
        raise Problem(
            401,
            "Unauthorized",
            "name the merchant (?merchant=<slug>) and sign the body, or send an API key",
            field="merchant",
        )
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        # Same answer as a bad signature: the endpoint does not reveal which slugs exist.
        raise Problem(401, "Unauthorized", "signature does not match", field="signature")
    return merchant


def _authenticate(
    request: Request,
    platform: Platform,
    body: bytes,
    header: str,
    secret_of: Callable[[Merchant], str | None],
    verify: Callable[[bytes, str | None, str], bool],
) -> Merchant:
    key = bearer_key(request)
    if key is not None:
        merchant: Merchant | None = request.app.state.key_cache.lookup(platform, key)
        if merchant is None:
            raise Problem(401, "Unauthorized", "the API key is not valid", field="Authorization")
        return merchant
    merchant = _merchant_by_slug(platform, request.query_params.get("merchant"))
    secret = secret_of(merchant)
    if not secret or not verify(body, request.headers.get(header), secret):
        raise Problem(401, "Unauthorized", "signature does not match", field=header)
    return merchant


@router.post("/tracking/{source}")
async def tracking_webhook(source: str, request: Request, platform: PlatformDep) -> JSONResponse:
    """Batches of scans. `source` is `postpurchase` (our format), `aftership` or `easypost`."""
    body = await _body(request)
    now = platform.clock.now()
    if source == "postpurchase":
        tolerance = timedelta(seconds=platform.settings.webhook_tolerance_seconds)
        merchant = _authenticate(
            request,
            platform,
            body,
            "X-Postpurchase-Signature",
            lambda m: m.tracking_secret,
            lambda b, h, s: signatures.verify_postpurchase(b, h, s, now, tolerance),
        )
        batch = normalised.parse_batch(body, now=now, max_events=platform.settings.max_batch_events)
        updates, errors = batch.updates, list(batch.errors)
    elif source in _EXTERNAL_SOURCES:
        header, secret_of, verify, parse = _EXTERNAL_SOURCES[source]
        merchant = _authenticate(request, platform, body, header, secret_of, verify)
        updates, errors = parse(body, now), []
    else:
        raise Problem(404, "Not found", f"unknown tracking source {source!r}", field="source")
    results: list[dict[str, Any]] = []
    if updates:
        results = await _run(platform, commands.RecordTracking(merchant.id, tuple(updates)))
    accepted = sum(r["new_events"] + r["duplicates"] for r in results if r["result"] == "accepted")
    status = 200 if results or not errors else 422
    payload = {
        "accepted": accepted,
        "rejected": len(errors)
        + sum(r["new_events"] + r["duplicates"] for r in results if r["result"] != "accepted"),
        "results": results,
        "errors": errors,
    }
    if status == 422:
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


async def _run(platform: Platform, command: commands.Command) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(platform.bus().handle, command)


def _parse_external(kind: str) -> Callable[[bytes, Any], list[commands.TrackingUpdate]]:
    def parse(body: bytes, now: Any) -> list[commands.TrackingUpdate]:
        if kind == "aftership":
            from postpurchase.adapters.tracking_sources import aftership

            return list(aftership.parse_webhook(body))
        from postpurchase.adapters.tracking_sources import easypost

        return list(easypost.parse_webhook(body))

    return parse


_EXTERNAL_SOURCES: dict[str, tuple[str, Any, Any, Any]] = {
    "aftership": (
        "aftership-hmac-sha256",
        lambda m: m.aftership_secret,
        signatures.verify_aftership,
        _parse_external("aftership"),
    ),
    "easypost": (
        "X-Hmac-Signature",
        lambda m: m.easypost_secret,
        signatures.verify_easypost,
        _parse_external("easypost"),
    ),
}

__all__ = ["InvalidInput", "router"]
