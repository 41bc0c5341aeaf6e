"""Publishable keys: the credential a storefront's page carries to ask for delivery dates.

They are public (anyone can read them in the page) but revocable, and they can do one thing:
read checkout estimates. Stored as a SHA-256 hash like API keys, shown once at creation;
lists show the first characters (``hint``) so a merchant can tell them apart.
"""

from __future__ import annotations

import secrets as random
from dataclasses import replace

from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.errors import NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.merchants import hash_api_key
from postpurchase.service_layer.checkout.ports import PublishableKeyRow
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

PUBLISHABLE_PREFIX = "pk_"
HINT_LENGTH = 11  # "pk_" and 8 characters: enough to tell keys apart, useless to guess


def is_publishable(key: str) -> bool:
    return key.startswith(PUBLISHABLE_PREFIX)


def issue(
    uow: AbstractUnitOfWork,
    clock: Clock,
    merchant_id: str,
    *,
    label: str = "storefront",
    revoke_others: bool = False,
    audit: AuditEntry | None = None,
) -> tuple[str, PublishableKeyRow]:
    """A new key (returned once) and its stored row. ``revoke_others`` is a rotation: every
    other key of the merchant stops working at once."""
    key = PUBLISHABLE_PREFIX + random.token_urlsafe(24)
    now = clock.now()
    row = PublishableKeyRow(
        new_id(),
        merchant_id,
        hash_api_key(key),
        key[:HINT_LENGTH],
        label.strip()[:100] or "storefront",
        now,
        None,
    )
    with uow:
        if uow.merchants.get(merchant_id) is None:
            raise NotFound("no such merchant", field="merchant")
        if revoke_others:
            uow.publishable_keys.revoke_all(merchant_id, now)
        uow.publishable_keys.add(row)
        if audit is not None:  # a person's key: audited in its transaction, with its id
            changes = {"label": [None, row.label], "hint": [None, row.hint]}
            uow.audit.record(replace(audit, subject=f"publishable_key:{row.id}", changes=changes))
        uow.commit()
    return key, row


def list_keys(uow: AbstractUnitOfWork, merchant_id: str) -> list[PublishableKeyRow]:
    with uow:
        return uow.publishable_keys.list(merchant_id)


def revoke(
    uow: AbstractUnitOfWork,
    clock: Clock,
    merchant_id: str,
    key_id: str,
    *,
    audit: AuditEntry | None = None,
) -> None:
    """Revoke one of the merchant's keys (a key of another merchant is "not found");
    ``audit`` commits with the revocation."""
    with uow:
        if not uow.publishable_keys.revoke(merchant_id, key_id, clock.now()):
            raise NotFound("no such publishable key", field="key_id")
        if audit is not None:
            uow.audit.record(audit)
        uow.commit()


def merchant_of(uow: AbstractUnitOfWork, key: str) -> str | None:
    if not is_publishable(key):
        return None
    with uow:
        return uow.publishable_keys.merchant_of(hash_api_key(key))
