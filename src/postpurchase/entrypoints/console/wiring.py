"""The console's action service over the platform: reshipments through the shipment command,
shipping refunds through the connected store's refund port (the refund ledger of our own
``refunds`` table when the order came from no connected store)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import Request

from postpurchase.adapters.db.console import SqlConsoleUnitOfWork
from postpurchase.bootstrap import Platform
from postpurchase.domain import commands
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.storefronts import RefundRequest, StorePlatform
from postpurchase.entrypoints.console.auth import platform_of
from postpurchase.service_layer.console import ParcelOfOrder, ShipmentActions


class BusReshipper:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def reship(
        self,
        merchant_id: str,
        order_id: str,
        tracking_number: str,
        carrier: str | None,
        audit: AuditEntry,
    ) -> str:
        created = self.platform.bus().handle(
            commands.CreateShipment(
                merchant_id, order_id, tracking_number, carrier=carrier, audit=audit
            )
        )
        return str(created.id)


class PortRefunder:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _connected(self, parcel: ParcelOfOrder) -> StorePlatform | None:
        try:
            store = StorePlatform(parcel.order_source)
        except ValueError:
            return None
        with self.platform.uow() as uow:
            connection = uow.connections.get(parcel.merchant_id, store)
        return store if connection is not None and connection.active else None

    def refund_shipping(self, parcel: ParcelOfOrder, key: str, audit: AuditEntry) -> str:
        store = self._connected(parcel)
        platform = self.platform
        if store is None:  # no store to pay it back: our own refunds ledger records it
            platform.bus().handle(
                commands.RecordRefund(
                    parcel.merchant_id, parcel.order_external_id, key, platform.clock.now(),
                    amount=parcel.shipping_fee, shipping=parcel.shipping_fee,
                    note="shipping fee refunded from the console",
                    audit=replace(audit, changes={**audit.changes,
                                                  "refund.reference": [None, f"ledger:{key}"]}),
                )
            )  # fmt: skip
            return f"ledger:{key}"
        from postpurchase.adapters.storefronts.refund_ports import REFUND_PORTS
        from postpurchase.service_layer.storefronts.refunds import refund_order

        request = RefundRequest(
            parcel.order_external_id, parcel.shipping_fee.currency,
            shipping=parcel.shipping_fee, note="shipping fee refunded from the console",
            idempotency_key=key,
        )  # fmt: skip
        with REFUND_PORTS[store](platform) as stores:
            outcome = refund_order(
                platform.uow(), platform.clock, stores, parcel.merchant_id, parcel.order_id,
                request, audit=audit,
            )  # fmt: skip
        return f"{store.value}:{outcome.result.store_refund_id}"


def actions_for(platform: Platform) -> ShipmentActions:
    return ShipmentActions(
        lambda: SqlConsoleUnitOfWork(platform.engine),
        platform.clock.now,
        no_scan_days=platform.settings.no_scan_days,
        reshipper=BusReshipper(platform),
        refunder=PortRefunder(platform),
    )


def actions_of(request: Request) -> ShipmentActions:
    state = request.app.state
    found: ShipmentActions | None = getattr(state, "console_actions", None)
    if found is None:
        found = state.console_actions = actions_for(platform_of(request))
    return found
