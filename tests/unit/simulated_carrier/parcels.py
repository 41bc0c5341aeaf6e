"""Parcels and addresses the simulated-carrier tests share: a US address by ZIP, random
parcels between real hubs, and the local time and day of a scan."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from postpurchase.adapters.carriers.simulated import CARRIER_SERVICES, SimParcel
from postpurchase.adapters.carriers.simulated.network import COUNTRY_HUBS, SINGLE_HUBS
from postpurchase.domain.addresses import Address

NEW_YORK = ZoneInfo("America/New_York")
NYC = Address(country="US", postal_code="10001", city="New York", region="NY")
HUBS = [h for table in COUNTRY_HUBS.values() for h in table.values()] + list(SINGLE_HUBS.values())


def us(zip_code: str, city: str | None = None) -> Address:
    return Address(country="US", postal_code=zip_code, city=city)


def random_address(rng: random.Random) -> Address:
    if rng.random() < 0.85:
        return us(f"{rng.randint(10, 999):03d}{rng.randint(0, 99):02d}")
    hub = rng.choice(HUBS)
    return Address(country=hub.country, postal_code=hub.postal_code, city=hub.city)


def random_parcel(rng: random.Random, i: int) -> SimParcel:
    carrier = rng.choice(sorted(CARRIER_SERVICES))
    return SimParcel(
        tracking_number=f"SIM{i:08d}",
        carrier=carrier,
        service=rng.choice(CARRIER_SERVICES[carrier]),
        origin=random_address(rng),
        destination=random_address(rng),
        shipped_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 525_600)),
    )


def at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def local_day(event: dict[str, Any]) -> date:
    return at(event).date()  # occurred_at carries the offset of the scan's own hub
