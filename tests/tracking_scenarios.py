"""Orders in every state the tracking page must explain, with realistic scan histories.

Shared by the HTML integration tests, the browser tests and the screenshots, so the pages
people look at in docs/screenshots are the pages the tests check. Everything goes through
the message bus (the public write path); times are relative to :data:`NOW`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update

from postpurchase.adapters.db import tables as t
from postpurchase.bootstrap import Platform
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import Discount, OrderDetails, OrderTotals
from postpurchase.domain.orders import OrderLineInput, Promise
from postpurchase.domain.status import ShipmentStatus as S
from postpurchase.domain.tracking import Location, TrackingEvent
from postpurchase.service_layer import handlers
from tests.factories import ref, ups_number

NOW = datetime(2026, 11, 19, 20, 30, tzinfo=UTC)  # Thursday 15:30 in New York

BRANDING: dict[str, Any] = {
    "branding": {
        "display_name": "Northwind Outfitters",
        "primary_color": "#14532d",
        "accent_color": "#f59e0b",
        "background_color": "#f3f5f1",
    },
    "support": {
        "email": "help@northwind.example",
        "phone": "+1 555 0100",
        "url": "https://northwind.example/help",
    },
    "returns_url": "https://northwind.example/returns?order={order_number}",
    "tracking_page": {
        "custom_domains": ["track.northwind.example"],
        "cors_origins": ["https://www.northwind.example"],
        "pickup_hours": "Mon-Fri 8:00-19:00, Sat 9:00-14:00",
        "custom_block": {
            "title": "15% off your next order",
            "html": "<p>Thanks for shopping with us. Use code <strong>THANKS15</strong> "
            "at checkout.</p><script>alert('x')</script>",
            "link_url": "https://northwind.example/new",
            "link_label": "Shop new arrivals",
        },
    },
}

BROOKLYN = Address("US", "11201", "NY", "Brooklyn", "200 Court St", name="Sam Rivera")
NEWARK = Location("Newark", "NJ", "07102", "US")
PHILLY = Location("Philadelphia", "PA", "19153", "US")
BROOKLYN_LOC = Location("Brooklyn", "NY", "11201", "US")

KINDS = (
    "unfulfilled",
    "info_received",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "available_for_pickup",
    "delivered",
    "delayed",
    "lost",
    "address_issue",
    "expired",
    "split",
    "cancelled",
)


@dataclass(frozen=True, slots=True)
class Seeded:
    kind: str
    token: str
    order_id: str
    number: str
    email: str


def merchant(platform: Platform, settings: dict[str, Any] | None = None, **kw: Any) -> Merchant:
    """A merchant with (by default) full branding settings."""
    m, _, *_ = handlers.create_merchant(
        platform.uow(), platform.clock, kw.pop("name", "Shop " + ref())
    )
    set_settings(platform.engine, m.id, BRANDING if settings is None else settings, **kw)
    return m


def set_settings(engine: Engine, merchant_id: str, settings: dict[str, Any], **cols: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(t.merchants)
            .where(t.merchants.c.id == merchant_id)
            .values(settings=settings, **cols)
        )


def _ev(
    hours_ago: float,
    status: S,
    substatus: str | None = None,
    description: str | None = None,
    location: Location | None = None,
    eta: date | None = None,
) -> TrackingEvent:
    return TrackingEvent(
        occurred_at=NOW - timedelta(hours=hours_ago),
        status=status,
        substatus=substatus,
        description=description,
        location=location,
        estimated_delivery=eta,
        source="ups",
    )


TODAY = date(2026, 11, 19)
JOURNEY = (
    _ev(
        70, S.INFO_RECEIVED, "label_created", "Shipper created a label", None, TODAY + timedelta(2)
    ),
    _ev(52, S.IN_TRANSIT, "picked_up", "Pickup Scan", NEWARK),
    _ev(46, S.IN_TRANSIT, "hub_departure", "Departed from Facility", NEWARK),
    _ev(30, S.IN_TRANSIT, "hub_arrival", "Arrived at Facility", PHILLY),
    _ev(26, S.IN_TRANSIT, "hub_departure", "Departed from Facility", PHILLY),
    _ev(9, S.IN_TRANSIT, "hub_arrival", "Arrived at Facility", BROOKLYN_LOC),
    _ev(7.5, S.IN_TRANSIT, None, "Processing at UPS Facility", BROOKLYN_LOC),
)


def _events(kind: str) -> tuple[TrackingEvent, ...]:
    j = JOURNEY
    if kind == "info_received":
        return j[:1]
    if kind == "in_transit":
        return j
    if kind == "out_for_delivery":
        return (*j, _ev(3, S.OUT_FOR_DELIVERY, None, "Out For Delivery Today", BROOKLYN_LOC))
    if kind == "attempt_failed":
        return (
            *j,
            _ev(6, S.OUT_FOR_DELIVERY, None, "Out For Delivery Today", BROOKLYN_LOC),
            _ev(2, S.ATTEMPT_FAILED, None, "Customer not available", BROOKLYN_LOC),
        )
    if kind == "available_for_pickup":
        held = Location("Brooklyn", "NY", "11201", "US")
        return (
            *j,
            _ev(4, S.AVAILABLE_FOR_PICKUP, None, "UPS Access Point: Court St Pharmacy", held),
        )
    if kind == "delivered":
        return (
            *j,
            _ev(6, S.OUT_FOR_DELIVERY, None, "Out For Delivery Today", BROOKLYN_LOC),
            _ev(2.2, S.DELIVERED, "left_at_door", "Delivered: front door", BROOKLYN_LOC),
        )
    if kind == "delayed":
        return (
            *j[:4],
            _ev(20, S.EXCEPTION, "weather", "Severe weather conditions delayed delivery", PHILLY),
        )
    if kind == "lost":
        return (*j[:4], _ev(5, S.EXCEPTION, "lost", "Package could not be located", PHILLY))
    if kind == "address_issue":
        return (
            *j,
            _ev(4, S.EXCEPTION, "address_issue", "The street number is incorrect", BROOKLYN_LOC),
        )
    if kind == "expired":
        old = NOW - timedelta(days=34)
        return (
            TrackingEvent(occurred_at=old, status=S.INFO_RECEIVED, substatus="label_created"),
            TrackingEvent(
                occurred_at=NOW - timedelta(days=1),
                status=S.EXPIRED,
                substatus="no_scan",
                description="No tracking information for 33 days",
                source="system",
            ),
        )
    raise ValueError(kind)


LINES = (
    OrderLineInput("JKT-RAIN-M", "Packable rain jacket", 1, Money(Decimal("89.00"), "USD"), 450),
    OrderLineInput(
        "SOCK-WOOL-3", "Merino hiking socks (3 pairs)", 2, Money(Decimal("24.00"), "USD")
    ),
    OrderLineInput("BTL-STEEL", "Insulated steel bottle", 1, Money(Decimal("32.00"), "USD"), 380),
)


# A delivered order paid with a code and sales tax, so the page's summary shows every row.
_USD = "USD"
_DISCOUNTED: dict[str, Any] = {
    "totals": OrderTotals.derived(
        Money(Decimal("169.00"), _USD), Money.zero(_USD), Money(Decimal("6.95"), _USD),
        tax=Money(Decimal("13.69"), _USD), order_discounts=Money(Decimal("16.90"), _USD),
    ),
    "details": OrderDetails(
        discounts=(Discount("code", "WELCOME10", Money(Decimal("16.90"), _USD)),)
    ),
}  # fmt: skip


def order(
    platform: Platform, merchant_id: str, kind: str, *, locale: str = "en", **kw: Any
) -> Seeded:
    """An order in the state ``kind`` (one of :data:`KINDS`)."""
    number = kw.pop("number", f"#NW{ref()[:6].upper()}")
    email = kw.pop("email", f"{ref()}@example.com")
    seed = kw.pop("seed", None)  # fixed tracking numbers (for screenshots that stay put)
    cmd = commands.PlaceOrder(
        merchant_id=merchant_id,
        external_id=ref("ext-"),
        number=number,
        email=email,
        phone=None,
        customer_name="Sam Rivera",
        locale=locale,
        currency="USD",
        lines=LINES,
        shipping_address=kw.pop("address", BROOKLYN),
        shipping_fee=Money(Decimal("6.95"), "USD"),
        placed_at=NOW - timedelta(days=4, hours=3),
        promise=Promise(TODAY + timedelta(days=1), TODAY - timedelta(days=1)),
        timezone=kw.pop("timezone", None),
        **(_DISCOUNTED if kind == "delivered" else {}),
    )
    bus = platform.bus()
    created = bus.handle(cmd)
    order_id = created.id
    if kind == "cancelled":
        platform.bus().handle(commands.CancelOrder(merchant_id, order_id, "customer request"))
    elif kind == "split":
        first = ups_number(seed)
        second = ups_number(None if seed is None else seed + 1)
        platform.bus().handle(
            commands.CreateShipment(
                merchant_id, order_id, first, carrier="ups", service="ground",
                lines=(commands.ShipmentLineInput("JKT-RAIN-M", 1),),
            )
        )  # fmt: skip
        platform.bus().handle(
            commands.CreateShipment(
                merchant_id, order_id, second, carrier="ups", service="ground",
                lines=(commands.ShipmentLineInput("SOCK-WOOL-3", 2),),
            )
        )  # fmt: skip
        _record(platform, merchant_id, first, _events("delivered"))
        _record(platform, merchant_id, second, _events("in_transit"))
    elif kind != "unfulfilled":
        number_ = ups_number(seed)
        platform.bus().handle(
            commands.CreateShipment(merchant_id, order_id, number_, carrier="ups", service="ground")
        )
        _record(platform, merchant_id, number_, _events(kind))
    with platform.engine.connect() as conn:
        token = conn.execute(
            select(t.orders.c.tracking_token).where(t.orders.c.id == order_id)
        ).scalar_one()
    return Seeded(kind, token, order_id, number, email)


def _record(
    platform: Platform, merchant_id: str, number: str, events: tuple[TrackingEvent, ...]
) -> None:
    update_ = commands.TrackingUpdate(number, "ups", events)
    platform.bus().handle(commands.RecordTracking(merchant_id, (update_,)))


def all_kinds(
    platform: Platform, merchant_id: str, *, fixed: bool = False, **kw: Any
) -> dict[str, Seeded]:
    """One order per kind; ``fixed`` gives stable order and tracking numbers (screenshots)."""
    out = {}
    for i, kind in enumerate(KINDS):
        if fixed:
            kw = {**kw, "number": f"#NW{1041 + i}", "seed": 100 + 10 * i}
        out[kind] = order(platform, merchant_id, kind, **kw)
    return out


def now_utc() -> datetime:
    return NOW.astimezone(UTC)
