"""The tracking page's view models: frozen dataclasses of what the shopper is told.

Kept apart so the builder (``page``, ``page_parts``), the template and the JSON twin
(``page_json``) share one vocabulary without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from postpurchase.entrypoints.web.branding import Branding, CustomBlock, Faq, PromoBanner
from postpurchase.entrypoints.web.order_summary import OrderSummary


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    label: str
    state: str  # done | current | todo
    problem: bool = False


@dataclass(frozen=True, slots=True)
class EstimateView:
    kind: str  # date | window | delivered | pickup | none | unavailable
    label: str
    text: str
    note: str | None = None
    source: str | None = None
    start: date | None = None
    end: date | None = None
    late: bool = False
    late_since: date | None = None  # the first day past the date that was not kept
    revised: str | None = None  # the new estimate shown under a late notice
    layer: str | None = None  # engine layer behind the date: rules | learned | live
    model: str | None = None
    model_version: int | None = None  # the merchant's registry version of that model


@dataclass(frozen=True, slots=True)
class EventView:
    at: datetime
    local_iso: str
    time_text: str
    title: str
    description: str | None
    location: str | None
    status: str
    substatus: str | None


@dataclass(frozen=True, slots=True)
class DayGroup:
    day: str
    events: tuple[EventView, ...]


@dataclass(frozen=True, slots=True)
class ItemView:
    name: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PickupView:
    name: str | None
    address: tuple[str, ...]
    hours: str | None
    directions_url: str | None


@dataclass(frozen=True, slots=True)
class ShipmentCard:
    id: str
    index: int
    total: int
    carrier: str | None
    carrier_name: str | None
    service: str | None
    tracking_number: str
    carrier_url: str | None
    status: str
    substatus: str | None
    tone: str
    headline: str
    detail: str
    estimate: EstimateView
    steps: tuple[Step, ...]
    items: tuple[ItemView, ...]
    recent: tuple[DayGroup, ...]
    older: tuple[DayGroup, ...]
    events: tuple[EventView, ...]
    pickup: PickupView | None
    reschedule_url: str | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Help:
    urgent: bool
    email: str | None
    email_href: str | None
    phone: str | None
    phone_href: str | None
    url: str | None
    chat_url: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.email or self.phone or self.url or self.chat_url)


@dataclass(frozen=True, slots=True)
class Rating:
    allowed: bool
    score: int | None
    options: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class TrackingPage:
    token: str
    lang: str
    languages: Mapping[str, str]
    timezone: str
    zone_name: str
    branding: Branding
    order_number: str
    order_status: str
    placed_at: datetime
    placed_text: str
    destination: str | None
    destination_fields: Mapping[str, str | None]
    headline: str
    detail: str
    tone: str
    estimate: EstimateView
    steps: tuple[Step, ...]
    shipments: tuple[ShipmentCard, ...]
    unshipped: tuple[ItemView, ...]
    all_items: tuple[ItemView, ...]
    help: Help
    returns_url: str | None
    rating: Rating
    custom_block: CustomBlock | None
    summary: OrderSummary | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    our_promise: date | None = None  # the date we promised at purchase (set once at intake)
    promo: PromoBanner | None = None  # the merchant's banner, when inside its dates
    faq: tuple[Faq, ...] = ()
