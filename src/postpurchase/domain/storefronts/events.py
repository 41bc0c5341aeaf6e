"""Events of connected stores (written to the outbox like every domain event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from postpurchase.domain.events import Event


@dataclass(frozen=True, slots=True)
class StoreUninstalled(Event):
    platform: str
    shop: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CustomerDataRequested(Event):
    """A shopper asked for their data through the store; the merchant sends them the
    export (``/api/v1/customers/export``). No personal data in the event: the request id."""

    platform: str
    request_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class BackfillRequested(Event):
    """Import (the rest of) a store's history in the worker: one slice per delivery, a
    continuation raised until the last page."""

    platform: str
    kind: str
    since: date | None
    restart: bool = False
