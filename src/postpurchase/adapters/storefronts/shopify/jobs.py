"""The Shopify app's background work, run by the worker through the outbox (and by the
CLI directly): backfills in slices, and tracking write-back.

Registered on the platform like the notification subscribers (``register``); each
subscriber reads what it needs in short transactions and calls Shopify between them, never
inside one. A subscriber that raises is retried by the outbox with backoff (a network
error, Shopify down); one that has nothing to do returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from postpurchase.adapters.storefronts.shopify.admin_api import AccessRevoked, AdminApi
from postpurchase.adapters.storefronts.shopify.app import ShopifyApp
from postpurchase.adapters.storefronts.shopify.backfill import (
    ShopifyOrderPages,
    ShopifyProductPages,
)
from postpurchase.adapters.storefronts.shopify.topics import SOURCE
from postpurchase.adapters.storefronts.shopify.write_back import WriteBack, write_back
from postpurchase.domain.errors import Conflict
from postpurchase.domain.storefronts import BackfillState, StoreConnection, StorePlatform
from postpurchase.domain.storefronts.events import BackfillRequested
from postpurchase.service_layer.storefronts import backfill as runner

logger = logging.getLogger(__name__)

SLICE_SECONDS = 20.0  # one outbox delivery imports this long, then hands over the rest
KINDS = ("orders", "products")


def _source(kind: str, api: AdminApi, merchant_id: str) -> runner.PageSource:
    if kind == "orders":
        return ShopifyOrderPages(api, merchant_id)
    if kind == "products":
        return ShopifyProductPages(api, merchant_id)
    raise Conflict(f"unknown backfill kind {kind!r}; one of {', '.join(KINDS)}", field="kind")


def run_backfill(
    platform: Any,
    merchant_id: str,
    kind: str,
    since: date | None,
    *,
    restart: bool = False,
    budget_seconds: float | None = None,
    on_page: Callable[[BackfillState, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> runner.BackfillReport:
    """Start or resume one kind's backfill and import until done (or ``budget_seconds``).
    Raises ``BackfillStopped`` (state saved) when Shopify or the database fails."""
    app = ShopifyApp.from_settings(platform.settings)
    connection, state = runner.start(
        platform.uow(), platform.clock, merchant_id, StorePlatform.SHOPIFY, kind, since,
        restart=restart,
    )  # fmt: skip
    with app.http() as client:
        api = app.api(connection, client, sleep=sleep)
        source = _source(kind, api, merchant_id)
        report = runner.run(
            platform.uow(), platform.clock, lambda cmd: platform.bus().handle(cmd), source,
            connection, state, budget_seconds=budget_seconds, on_page=on_page,
        )  # fmt: skip
    currency = getattr(source, "currency", None)
    if currency and connection.settings.currency != currency:
        _remember_currency(platform, merchant_id, currency)
    return report


def _remember_currency(platform: Any, merchant_id: str, currency: str) -> None:
    from dataclasses import replace

    with platform.uow() as uow:
        connection = uow.connections.get(merchant_id, StorePlatform.SHOPIFY)
        if connection is not None:
            connection.settings = replace(connection.settings, currency=currency)
            uow.connections.save(connection)
            uow.commit()


def request_backfill(
    platform: Any, merchant_id: str, kind: str, since: date | None, *, restart: bool = False
) -> BackfillState:
    """Queue a backfill for the worker: its state is saved as running and an event is
    written to the outbox in the same transaction."""
    if kind not in KINDS:
        raise Conflict(f"unknown backfill kind {kind!r}; one of {', '.join(KINDS)}", field="kind")
    _, state = runner.start(
        platform.uow(), platform.clock, merchant_id, StorePlatform.SHOPIFY, kind, since,
        restart=restart,
    )  # fmt: skip
    with platform.uow() as uow:
        uow.raised.append(BackfillRequested(merchant_id, SOURCE, kind, since, restart=False))
        uow.commit()
    platform.queue.nudge_outbox()
    return state


def _on_backfill(platform: Any) -> Callable[[int, str, dict[str, Any]], None]:
    def deliver(row_id: int, topic: str, payload: dict[str, Any]) -> None:
        if payload.get("platform") != SOURCE:
            return
        merchant_id = payload["merchant_id"]
        raw = payload.get("since")
        since = date.fromisoformat(raw) if raw else None
        try:
            report = run_backfill(
                platform, merchant_id, payload["kind"], since, budget_seconds=SLICE_SECONDS
            )
        except runner.BackfillStopped as stopped:
            logger.warning("shopify backfill stopped: %s", stopped)
            return  # saved; the merchant resumes it
        except Conflict as gone:  # uninstalled meanwhile
            logger.info("shopify backfill not run: %s", gone.message)
            return
        if not report.complete:  # more pages: hand the rest to another delivery
            with platform.uow() as uow:
                uow.raised.append(BackfillRequested(merchant_id, SOURCE, payload["kind"], since))
                uow.commit()
            platform.queue.nudge_outbox()

    return deliver


def _is_store_fulfilment(external_id: str | None) -> bool:
    """Shipments made from Shopify's own fulfilments carry its id (``123`` or ``123:1``)."""
    return bool(external_id) and str(external_id).split(":", 1)[0].isdigit()


def push_tracking(platform: Any, merchant_id: str, shipment_id: str) -> WriteBack | None:
    """Write one shipment's tracking number back to its Shopify order, when the merchant
    asked for it and the number did not come from Shopify. None: nothing to do."""
    with platform.uow() as uow:
        connection: StoreConnection | None = uow.connections.get(merchant_id, StorePlatform.SHOPIFY)
        if connection is None or not connection.active:
            return None
        if not connection.settings.write_back_tracking:
            return None
        shipment = uow.shipments.get(merchant_id, shipment_id)
        if shipment is None or _is_store_fulfilment(shipment.external_id):
            return None
        order = uow.orders.get(merchant_id, shipment.order_id)
        if order is None or order.source != SOURCE:
            return None
        by_id = {line.id: line.facts.external_id for line in order.lines}
        lines: dict[str, int] | None = None
        if shipment.lines:
            lines = {}
            for sl in shipment.lines:
                store_line = by_id.get(sl.line_id)
                if store_line:
                    lines[store_line] = lines.get(store_line, 0) + sl.quantity
        number, carrier = shipment.tracking_number, shipment.carrier
        url = shipment.tracking_url
        order_store_id = order.external_id
    app = ShopifyApp.from_settings(platform.settings)
    with app.http() as client:
        api = app.api(connection, client)
        return write_back(api, order_store_id, number, carrier=carrier, url=url, line_ids=lines)


def _on_shipment(platform: Any) -> Callable[[int, str, dict[str, Any]], None]:
    def deliver(row_id: int, topic: str, payload: dict[str, Any]) -> None:
        try:
            done = push_tracking(platform, payload["merchant_id"], payload["shipment_id"])
        except AccessRevoked as revoked:  # retrying will not help; the uninstall will come
            logger.warning("tracking write-back refused: %s", revoked)
            return
        if done is not None:
            logger.info("tracking written back to shopify: %s", done.outcome)

    return deliver


def register(platform: Any) -> None:
    """Subscribe the app's jobs to the outbox (the worker drains it)."""
    platform.subscribe("BackfillRequested", _on_backfill(platform))
    platform.subscribe("ShipmentCreated", _on_shipment(platform))
