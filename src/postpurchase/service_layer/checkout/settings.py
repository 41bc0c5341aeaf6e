"""Reading and changing a merchant's checkout settings (cut-off, handling days, ship-from,
storefront origins), validated in the domain, stored in ``Merchant.settings``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postpurchase.domain.checkout.settings import SETTINGS_KEY, CheckoutSettings, settings_of
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.service_layer.settings import record_change
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def is_zone(name: str) -> bool:
    """An IANA zone name the zone database knows (``Europe/Berlin``; not ``CET+1``)."""
    if not name or len(name) > 64 or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def get(uow: AbstractUnitOfWork, merchant_id: str) -> tuple[CheckoutSettings, str]:
    """The settings and the merchant's time zone (the cut-off is a time of day in it)."""
    with uow:
        merchant = uow.merchants.get(merchant_id)
        if merchant is None:
            raise NotFound("no such merchant", field="merchant")
        return settings_of(merchant.settings), merchant.timezone


def update(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    changes: Mapping[str, Any],
    *,
    timezone: str | None = None,
    actor: str = "system:checkout",
) -> tuple[CheckoutSettings, str]:
    """Apply ``changes`` (all or nothing) and, when given, a new merchant time zone (IANA);
    audited as ``actor`` like every settings change."""
    with uow:
        merchant = uow.merchants.get(merchant_id)
        if merchant is None:
            raise NotFound("no such merchant", field="merchant")
        before = {
            "checkout": settings_of(merchant.settings).as_dict(),
            "timezone": merchant.timezone,
        }
        updated = settings_of(merchant.settings).updated(changes)
        if timezone is not None:
            if not is_zone(timezone):
                raise InvalidInput(f"{timezone!r} is not an IANA time zone", field="timezone")
            merchant.timezone = timezone
        merchant.settings = {**merchant.settings, SETTINGS_KEY: updated.as_dict()}
        uow.merchants.update(merchant)
        after = {"checkout": updated.as_dict(), "timezone": merchant.timezone}
        record_change(uow, merchant_id, actor, "settings.checkout", "settings", before, after)
        uow.commit()
        return updated, merchant.timezone
