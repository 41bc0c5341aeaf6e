"""Handlers for connected stores' lifecycle, privacy and catalogue commands (the bus runs
them for webhooks and backfills alike)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from postpurchase.domain import events
from postpurchase.domain.commands import Command
from postpurchase.domain.privacy import ErasureReport, normalise_email
from postpurchase.domain.storefronts import StorePlatform
from postpurchase.domain.storefronts import commands as c
from postpurchase.domain.storefronts.events import CustomerDataRequested, StoreUninstalled
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def uninstall_store(cmd: c.UninstallStore, uow: AbstractUnitOfWork, clock: Clock) -> bool:
    """Stop processing the shop and forget its token; history stays. Idempotent."""
    with uow:
        connection = uow.connections.get(cmd.merchant_id, StorePlatform(cmd.platform))
        if connection is None or connection.shop != cmd.shop:
            return False
        at = cmd.at or clock.now()
        changed = connection.uninstall(at)
        if changed:
            uow.connections.save(connection)
            uow.raised.append(StoreUninstalled(cmd.merchant_id, cmd.platform, cmd.shop, at))
        uow.commit()
    return changed


def redact_shop(cmd: c.RedactShop, uow: AbstractUnitOfWork, clock: Clock) -> ErasureReport:
    """Pseudonymise every shopper of the merchant (the customer erasure, for each one), in
    one transaction; redacting twice finds nothing left."""
    totals = dict.fromkeys(("customers", "orders", "shipments", "messages", "store_payloads"), 0)
    with uow:
        for email in uow.shop_data.customer_emails(cmd.merchant_id):
            try:
                address = normalise_email(email)
            except Exception:
                continue
            report = uow.privacy.erase(cmd.merchant_id, address, ())
            for key in totals:
                totals[key] += getattr(report, key)
        result = ErasureReport(**totals)
        uow.raised.append(
            events.CustomerErased(cmd.merchant_id, result.orders, f"{cmd.platform}:shop_redact",
                                  clock.now())
        )  # fmt: skip
        uow.commit()
    return result


def record_data_request(
    cmd: c.RecordDataRequest, uow: AbstractUnitOfWork, clock: Clock
) -> dict[str, Any]:
    """Recorded as an event (the merchant's ops hear of it) and in the delivery's outcome,
    with the export the merchant sends the shopper."""
    email = normalise_email(cmd.email)
    with uow:
        uow.raised.append(
            CustomerDataRequested(cmd.merchant_id, "shopify", cmd.request_id, clock.now())
        )
        uow.commit()
    return {
        "data_request": cmd.request_id,
        "export": f"/api/v1/customers/export?email={quote(email)}",
        "orders_requested": list(cmd.order_external_ids),
    }


def sync_product(cmd: c.SyncProduct, uow: AbstractUnitOfWork, clock: Clock) -> bool:
    """Replace what is held of the product; prices without a currency (a webhook's) get the
    shop's currency the connection recorded."""
    with uow:
        product = cmd.product
        connection = uow.connections.get(cmd.merchant_id, StorePlatform(product.platform))
        if connection is not None:
            product = product.priced_in(connection.settings.currency)
        changed = uow.catalogue.upsert(cmd.merchant_id, product, clock.now())
        uow.commit()
    return changed


def remove_product(cmd: c.RemoveProduct, uow: AbstractUnitOfWork, clock: Clock) -> bool:
    with uow:
        changed = uow.catalogue.remove(
            cmd.merchant_id, cmd.platform, cmd.external_id, cmd.at or clock.now()
        )
        uow.commit()
    return changed


COMMAND_HANDLERS: dict[type[Command], Callable[..., Any]] = {
    c.UninstallStore: uninstall_store,
    c.RedactShop: redact_shop,
    c.RecordDataRequest: record_data_request,
    c.SyncProduct: sync_product,
    c.RemoveProduct: remove_product,
}
