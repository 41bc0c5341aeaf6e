"""Commands from connected stores beyond orders: lifecycle, privacy and catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postpurchase.domain.commands import Command
from postpurchase.domain.storefronts.catalogue import Product


@dataclass(frozen=True, slots=True)
class UninstallStore(Command):
    """The store removed our app (Shopify ``app/uninstalled``): stop, keep history."""

    platform: str
    shop: str
    at: datetime | None = None  # None: when the delivery is processed


@dataclass(frozen=True, slots=True)
class RedactShop(Command):
    """Erase every shopper's personal data of the merchant's shop (``shop/redact``, sent
    48 hours after an uninstall)."""

    platform: str
    shop: str


@dataclass(frozen=True, slots=True)
class RecordDataRequest(Command):
    """A shopper asked the store for their data (``customers/data_request``): recorded,
    with where the merchant fetches the export to send them."""

    request_id: str
    email: str
    order_external_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncProduct(Command):
    product: Product


@dataclass(frozen=True, slots=True)
class RemoveProduct(Command):
    platform: str
    external_id: str
    at: datetime | None = None
