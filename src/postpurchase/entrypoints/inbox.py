"""Processing store deliveries from the webhook inbox: translate, run, settle or retry.

The route stores a verified delivery and answers at once; this module does the work right
after (in the API process) and again from the worker's sweep when that failed, with
backoff. Outcomes:

* processed: settled with what it produced (order id, shipments, warnings);
* refused for good (the payload is wrong, e.g. a currency that is not ISO 4217): settled
  with the error and the field; retrying would fail the same way;
* waiting for its order (a fulfilment or refund that came before the order): retried with
  backoff, and woken as soon as an order of that merchant is stored;
* failed for another reason (database down, a bug): retried with backoff;
* a delivery that still fails after ``GIVE_UP`` is settled as given up (and listed).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.inbox_store import InboxItem
from postpurchase.adapters.db.leases import LEASE, heartbeat
from postpurchase.adapters.storefronts import shopify, woocommerce
from postpurchase.adapters.storefronts.shopify.fulfillments import as_command
from postpurchase.bootstrap import Platform
from postpurchase.domain import commands
from postpurchase.domain.errors import DomainError, NotFound
from postpurchase.domain.privacy import ErasureReport
from postpurchase.entrypoints import metrics
from postpurchase.service_layer.handlers import Created, FulfillmentResult

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
GIVE_UP = timedelta(days=3)


def translate(
    item_topic: str | None, body: bytes, merchant_id: str, source: str = shopify.SOURCE
) -> Any:
    """The command a store delivery stands for (pure; raises InvalidInput naming the
    field), or a tuple of commands run in order (a WooCommerce order snapshot carries its
    refunds and tracking numbers). The route calls it before storing, so a malformed
    delivery is refused at the door, and processing calls it again on the stored bytes."""
    if source == woocommerce.SOURCE:
        return woocommerce.parse_webhook(item_topic, body, merchant_id=merchant_id)
    parsed = shopify.parse_webhook(item_topic, body, merchant_id=merchant_id)
    if isinstance(parsed, shopify.ShopifyFulfillment):
        return as_command(parsed, merchant_id)
    return parsed  # PlaceOrder (orders/*), RecordRefund, EraseCustomer, the app's topics


def _outcome(result: Any) -> dict[str, Any]:
    if isinstance(result, FulfillmentResult):
        return {
            "result": "processed",
            "shipment_ids": [c.id for c in result.shipments],
            "warnings": list(result.warnings),
        }
    if isinstance(result, ErasureReport):
        return {"result": "processed", "erased": asdict(result)}
    if isinstance(result, Created):
        return {"result": "processed", "order_id": result.id, "created": result.created}
    if isinstance(result, dict):  # e.g. a privacy data request: where its export is
        return {"result": "processed", **result}
    return {"result": "processed", "changed": bool(result)}


def _run_steps(platform: Platform, steps: tuple[Any, ...]) -> dict[str, Any]:
    """Run a delivery's commands in order (each idempotent, so a retry converges); the
    outcome is the first one's, with what the others produced added."""
    if not steps:
        return {"result": "processed", "changed": False}
    bus = platform.bus()
    outcome = _outcome(bus.handle(steps[0]))
    for step in steps[1:]:
        result = bus.handle(step)
        if isinstance(step, commands.RecordRefund):
            outcome.setdefault("refunds", []).append(
                {"refund_external_id": step.refund_external_id, "recorded": bool(result)}
            )
        elif isinstance(result, FulfillmentResult):
            outcome.setdefault("shipment_ids", []).extend(c.id for c in result.shipments)
            outcome.setdefault("warnings", []).extend(result.warnings)
    return outcome


def waiting_for(order_external_id: str) -> str:
    """What a delivery that came before its order waits for: that one order."""
    return f"order:{order_external_id}"


def retry_delay(attempts: int) -> timedelta:
    """30 s doubling to 1 h (the exponent is capped: a waiting delivery may be woken and
    claimed many times in a busy shop)."""
    return min(FIRST_RETRY * int(2 ** min(max(attempts - 1, 0), 16)), MAX_RETRY)


def process(platform: Platform, item: InboxItem) -> dict[str, Any]:
    """Run one claimed delivery and settle it (or schedule its retry). Never raises: an
    error while recording the outcome leaves the delivery claimed, due again when its
    lease ends."""
    now = platform.clock.now()
    outcome: dict[str, Any]
    retry = False
    command: Any = None
    try:
        command = translate(item.topic, item.body, item.merchant_id, item.source)
        steps = command if isinstance(command, tuple) else (command,)
        outcome = _run_steps(platform, steps)
        if steps and isinstance(steps[0], commands.PlaceOrder):
            outcome["order_external_id"] = steps[0].external_id
    except NotFound as exc:
        order = getattr(command, "order_external_id", None) or "?"
        outcome = {"result": "waiting", "waiting_for": waiting_for(order), "error": exc.message}
        retry = True
    except DomainError as exc:
        outcome = {"result": "refused", "error": exc.message, "field": exc.field}
    except Exception as exc:
        logger.exception("webhook delivery %s failed", item.delivery_id)
        outcome = {"result": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
        retry = True
    try:
        with platform.uow() as uow:
            if retry and now - item.received_at < GIVE_UP:
                record = {**outcome, "attempts": item.attempts}
                uow.inbox.retry_at(item.id, record, now + retry_delay(item.attempts))
            else:
                if retry:
                    outcome = {**outcome, "result": "given_up"}
                uow.inbox.settle(item.id, {**outcome, "attempts": item.attempts}, now)
            if outcome.get("order_external_id"):
                woken = uow.inbox.wake(
                    item.merchant_id, waiting_for(outcome["order_external_id"]), now
                )
                outcome = {**outcome, "woke": woken}
            uow.commit()
    except Exception:
        logger.exception("recording the outcome of delivery %s failed", item.delivery_id)
        return {**outcome, "recorded": False}
    metrics.INBOX_OUTCOMES.labels(item.source, outcome["result"]).inc()
    logger.info(
        "store delivery %s", outcome["result"],
        extra={"delivery_id": item.delivery_id, "topic": item.topic,
               "merchant_id": item.merchant_id, "attempts": item.attempts},
    )  # fmt: skip
    return outcome


def _order_arrived(platform: Platform, item: InboxItem, outcome: dict[str, Any]) -> bool:
    """A delivery just marked waiting whose order was stored meanwhile (its wake ran before
    this delivery's wait was committed): due now, instead of in 30 s."""
    reason = str(outcome.get("waiting_for", ""))
    if outcome.get("result") != "waiting" or not reason.startswith("order:"):
        return False
    with platform.uow() as uow:
        if uow.orders.get_by_external_id(item.merchant_id, reason[len("order:") :]) is None:
            return False
        uow.inbox.wake(item.merchant_id, reason, platform.clock.now())
        uow.commit()
    return True


def _kept(platform: Platform, items: list[InboxItem]) -> AbstractContextManager[None]:
    """Hold the claimed items' short lease while they are processed (see ``leases``)."""
    return heartbeat(platform.engine, t.webhook_inbox, [i.id for i in items], platform.clock.now)


def process_one(platform: Platform, item_id: int) -> dict[str, Any] | None:
    """Process the delivery the route just stored, then what it woke; None when another
    process holds it. Bounded: a handful of rounds, the rest is the worker's."""
    outcome: dict[str, Any] | None = None
    for _ in range(3):
        with platform.uow() as uow:
            item = uow.inbox.claim(item_id, platform.clock.now(), LEASE)
            uow.commit()
        if item is None:
            return outcome
        with _kept(platform, [item]):
            outcome = process(platform, item)
        if outcome.get("woke"):
            drain(platform, merchant_id=item.merchant_id)  # what waited for this order
        if not _order_arrived(platform, item, outcome):
            return outcome
    return outcome


def drain(platform: Platform, limit: int = 100, merchant_id: str | None = None) -> int:
    """Process every due delivery (of one merchant, when given), a batch at a time;
    returns how many were processed."""
    done = 0
    while True:
        with platform.uow() as uow:
            items = uow.inbox.claim_due(platform.clock.now(), LEASE, limit, merchant_id)
            uow.commit()
        with _kept(platform, items):
            for item in items:
                process(platform, item)
        done += len(items)
        if len(items) < limit:
            return done
