"""Setting, rotating and checking a merchant's integration secrets.

Platform-issued secrets (Shopify, EasyPost, AfterShip, WooCommerce) are set by the merchant
through the API or the CLI; we never invent them, because a secret the platform does not
know can never verify its webhooks. Our own tracking-webhook secret is generated here and
shown once. Every write goes through ``uow.secrets``, which seals before storing.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Mapping

from postpurchase.domain.errors import NotFound
from postpurchase.domain.secrets import MerchantSecret, SecretKind, validate_secret
from postpurchase.service_layer.ports import Clock, SecretSummary
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

TRACKING_SECRET_PREFIX = "ppwh_"
HELPDESK_SECRET_PREFIX = "pphd_"


def new_tracking_secret() -> str:
    return TRACKING_SECRET_PREFIX + random.token_urlsafe(32)


def store_secrets(
    uow: AbstractUnitOfWork,
    clock: Clock,
    merchant_id: str,
    values: Mapping[SecretKind, str | None],
) -> None:
    """Within an open unit of work: set (or, with ``None``, remove) each secret given.

    A replaced secret stays honoured for the grace period (see ``MerchantSecret.accepted``);
    a removed one is refused at once.
    """
    now = clock.now()
    for kind, value in values.items():
        if value is None:
            uow.secrets.remove(merchant_id, kind)
            continue
        clean = validate_secret(value, field=kind.field)
        existing = uow.secrets.get(merchant_id, kind)
        if existing is None:
            uow.secrets.put(MerchantSecret(merchant_id, kind, clean, now))
        else:
            rotated = existing.rotate(clean, now)
            if rotated is not existing:
                uow.secrets.put(rotated)


def set_secrets(
    uow: AbstractUnitOfWork,
    clock: Clock,
    merchant_id: str,
    values: Mapping[SecretKind, str | None],
) -> list[SecretSummary]:
    """Set or remove secrets in one transaction: one refused secret stores none of them
    (the unit of work rolls back unless committed)."""
    with uow:
        if uow.merchants.get(merchant_id) is None:
            raise NotFound("no such merchant", field="merchant")
        store_secrets(uow, clock, merchant_id, values)
        summaries = uow.secrets.summaries(merchant_id)
        uow.commit()
    return summaries


def rotate_tracking_secret(uow: AbstractUnitOfWork, clock: Clock, merchant_id: str) -> str:
    """A new secret for our own tracking webhook, returned once; the old one is honoured for
    the grace period."""
    secret = new_tracking_secret()
    set_secrets(uow, clock, merchant_id, {SecretKind.TRACKING_WEBHOOK: secret})
    return secret


def secret_summaries(uow: AbstractUnitOfWork, merchant_id: str) -> list[SecretSummary]:
    with uow:
        return uow.secrets.summaries(merchant_id)


def rotate_helpdesk_secret(uow: AbstractUnitOfWork, clock: Clock, merchant_id: str) -> str:
    """A new secret for the helpdesk webhook (support contacts), returned once; the old one
    is honoured for the grace period."""
    secret = HELPDESK_SECRET_PREFIX + random.token_urlsafe(32)
    set_secrets(uow, clock, merchant_id, {SecretKind.HELPDESK_WEBHOOK: secret})
    return secret
