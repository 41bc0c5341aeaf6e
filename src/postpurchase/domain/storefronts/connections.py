"""A merchant's connection to their store: which platform, which shop, what we may do there.

Why domain: both store platforms (Shopify as an installed app, WooCommerce with REST API
keys) follow the same rules: a shop belongs to one merchant, a merchant has at most one
connection per platform, an uninstalled connection stops processing but keeps its history,
and a stopped backfill resumes from where it stopped. Credentials are carried in the clear
only in memory; the repository seals them before they are stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from postpurchase.domain.errors import Conflict, InvalidInput


class StorePlatform(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    UNINSTALLED = "uninstalled"  # the store removed us: history kept, nothing processed


_MYSHOPIFY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}(:[0-9]{1,5})?$")


def normalise_shop(platform: StorePlatform, value: str, *, field: str = "shop") -> str:
    """The shop as we key it: a Shopify shop's ``*.myshopify.com`` domain (lower case, as
    Shopify sends it in the install and webhook headers); a WooCommerce store's base URL
    (``https://host[:port][/path]``, no trailing slash)."""
    raw = value.strip() if isinstance(value, str) else ""
    if platform is StorePlatform.SHOPIFY:
        shop = raw.lower()
        if not _MYSHOPIFY.fullmatch(shop):
            raise InvalidInput("must be a shop domain such as my-shop.myshopify.com", field=field)
        return shop
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("must be the store's URL, e.g. https://shop.example.com", field=field)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput("the store's URL has no query, fragment or credentials", field=field)
    host = parts.netloc.lower()
    if not _HOST.fullmatch(host):
        raise InvalidInput("the store's URL has an invalid host", field=field)
    return f"{parts.scheme}://{host}{parts.path.rstrip('/')}"


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """What the merchant chose for this connection."""

    # Send tracking numbers the store does not have (from a carrier, a label, a 3PL) back
    # to it as fulfilments with tracking info.
    write_back_tracking: bool = False
    # What the store told us about itself (not the merchant's to set): the shop's currency,
    # which product prices in its webhooks are in.
    currency: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"write_back_tracking": self.write_back_tracking, "currency": self.currency}

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> ConnectionSettings:
        data = data or {}
        currency = data.get("currency")
        return cls(
            write_back_tracking=bool(data.get("write_back_tracking", False)),
            currency=currency if isinstance(currency, str) and currency else None,
        )


class BackfillStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"  # an error stopped it; the next run resumes from ``cursor``
    DONE = "done"


@dataclass(frozen=True, slots=True)
class BackfillState:
    """Where an import of a store's history stands, so a stopped run resumes.

    ``kind`` is what is imported (``orders``, ``products``); ``cursor`` is the platform's
    page position (a GraphQL ``endCursor``, a REST page number) after the last page fully
    imported; ``since`` the earliest creation date asked for.
    """

    kind: str
    since: date | None
    status: BackfillStatus
    cursor: str | None = None
    imported: int = 0
    skipped: int = 0  # items the store sent that we refused (named in the run's report)
    last_error: str | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None

    def resumes(self, since: date | None) -> bool:
        """Whether a new run for ``since`` continues this one (same range, not finished)."""
        return self.status is not BackfillStatus.DONE and self.since == since

    def advanced(
        self, cursor: str | None, imported: int, at: datetime, skipped: int = 0
    ) -> BackfillState:
        return replace(
            self, cursor=cursor, imported=self.imported + imported, updated_at=at,
            skipped=self.skipped + skipped, status=BackfillStatus.RUNNING, last_error=None,
        )  # fmt: skip

    def stopped(self, error: str, at: datetime) -> BackfillState:
        return replace(self, status=BackfillStatus.STOPPED, last_error=error[:500], updated_at=at)

    def done(self, at: datetime) -> BackfillState:
        return replace(self, status=BackfillStatus.DONE, last_error=None, updated_at=at)


@dataclass(slots=True)
class StoreConnection:
    """One merchant's store on one platform."""

    id: str
    merchant_id: str
    platform: StorePlatform
    shop: str
    scopes: tuple[str, ...]
    credentials: dict[str, str] = field(repr=False)  # Shopify: access_token; Woo: key+secret
    installed_at: datetime
    status: ConnectionStatus = ConnectionStatus.ACTIVE
    settings: ConnectionSettings = ConnectionSettings()
    uninstalled_at: datetime | None = None
    backfills: dict[str, BackfillState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shop = normalise_shop(self.platform, self.shop)

    @property
    def active(self) -> bool:
        return self.status is ConnectionStatus.ACTIVE

    def credential(self, name: str) -> str:
        value = self.credentials.get(name)
        if not value:
            raise Conflict(f"the {self.platform} connection has no {name}", field="connection")
        return value

    def uninstall(self, at: datetime) -> bool:
        """The store removed us. Returns False when it already had (a redelivery)."""
        if self.status is ConnectionStatus.UNINSTALLED:
            return False
        self.status = ConnectionStatus.UNINSTALLED
        self.uninstalled_at = at
        self.credentials = {}  # a revoked token is worth nothing; don't keep it
        return True

    def reinstall(
        self, scopes: tuple[str, ...], credentials: Mapping[str, str], at: datetime
    ) -> None:
        """Installed again (or re-authorised with new scopes): fresh credentials, active."""
        self.scopes = scopes
        self.credentials = dict(credentials)
        self.status = ConnectionStatus.ACTIVE
        self.installed_at = at
        self.uninstalled_at = None

    def backfill(self, kind: str) -> BackfillState | None:
        return self.backfills.get(kind)
