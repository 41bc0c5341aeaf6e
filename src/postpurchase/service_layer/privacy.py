"""Erasing a shopper (GDPR art. 17, CCPA deletion, Shopify's customers/redact)."""

from __future__ import annotations

from postpurchase.domain import commands, events
from postpurchase.domain.privacy import ErasureReport, normalise_email
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def erase_customer(
    cmd: commands.EraseCustomer, uow: AbstractUnitOfWork, clock: Clock
) -> ErasureReport:
    """Pseudonymise the shopper in one transaction; erasing twice is harmless (the second
    finds nothing left to erase)."""
    email = normalise_email(cmd.email)
    with uow:
        report = uow.privacy.erase(cmd.merchant_id, email, cmd.order_external_ids)
        uow.raised.append(
            events.CustomerErased(cmd.merchant_id, report.orders, cmd.requested_by, clock.now())
        )
        uow.commit()
    return report
