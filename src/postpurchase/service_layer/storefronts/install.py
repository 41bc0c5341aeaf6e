"""Linking an installed store to a merchant.

A shop that was connected before (installed, uninstalled, installed again) goes back to
its merchant with fresh credentials; a new shop gets a new merchant named after it, with
its first API key (returned once, like ``merchant create``). The shop is the key: it can
belong to one merchant only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from postpurchase.domain.errors import Conflict, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer import handlers
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True, slots=True)
class Installed:
    merchant: Merchant
    connection: StoreConnection
    api_key: str | None  # a new merchant's first key, shown once; None for a known shop
    tracking_secret: str | None


def _name(platform: StorePlatform, shop: str) -> str:
    if platform is StorePlatform.SHOPIFY:
        return shop.removesuffix(".myshopify.com")
    return shop.split("://", 1)[-1]


def install(
    uow: AbstractUnitOfWork,
    clock: Clock,
    platform: StorePlatform,
    shop: str,
    scopes: tuple[str, ...],
    credentials: Mapping[str, str],
    *,
    currency: str | None = None,
) -> Installed:
    """Store the credentials on the shop's connection, creating merchant and connection
    for a shop seen for the first time."""
    with uow:
        held = uow.connections.get_by_shop(platform, shop)
        if held is not None:
            merchant = uow.merchants.get(held.merchant_id)
            if merchant is None:
                raise NotFound("the shop's merchant is gone", field="shop")
            held.reinstall(scopes, credentials, clock.now())
            if currency:
                held.settings = replace(held.settings, currency=currency)
            uow.connections.save(held)
            uow.commit()
            return Installed(merchant, held, None, None)
    name = _name(platform, shop)
    for attempt in range(5):  # the slug may be taken by a merchant in manual mode
        slug = name if attempt == 0 else f"{name}-{new_id()[-6:]}"
        try:
            created = handlers.create_merchant(uow, clock, name, slug=slug)
            break
        except Conflict:
            continue
    else:
        raise Conflict(f"no free merchant slug for {shop}", field="shop")
    connection = StoreConnection(
        id=new_id(),
        merchant_id=created.merchant.id,
        platform=platform,
        shop=shop,
        scopes=scopes,
        credentials=dict(credentials),
        installed_at=clock.now(),
    )
    if currency:
        connection.settings = replace(connection.settings, currency=currency)
    with uow:
        uow.connections.add(connection)
        uow.commit()
    return Installed(created.merchant, connection, created.api_key, created.tracking_secret)


def set_write_back(
    uow: AbstractUnitOfWork, merchant_id: str, platform: StorePlatform, enabled: bool
) -> StoreConnection:
    with uow:
        connection = uow.connections.get(merchant_id, platform)
        if connection is None:
            raise NotFound(f"the merchant has no {platform} store connected", field="platform")
        connection.settings = replace(connection.settings, write_back_tracking=enabled)
        uow.connections.save(connection)
        uow.commit()
    return connection
