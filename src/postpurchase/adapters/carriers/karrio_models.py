"""Our request and answer types in karrio's models and back: addresses, parcels (grams and
centimetres, converted once here), customs, and karrio's dates, times and locations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import Customs, Parcel
from postpurchase.domain.tracking import Location


def aware_time(raw: str | None, day: str | None, clock: str | None) -> datetime | None:
    """karrio's timestamp (ISO); carriers give local times, karrio writes them with ``Z``."""
    if raw:
        try:
            at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            at = None
        if at is not None:
            return at if at.tzinfo else at.replace(tzinfo=UTC)
    if day:
        try:
            at = datetime.fromisoformat(f"{day}T{_24h(clock) or '00:00'}")
        except ValueError:
            return None
        return at.replace(tzinfo=UTC)
    return None


def _24h(clock: str | None) -> str | None:
    if not clock:
        return None
    for fmt in ("%I:%M %p", "%H:%M:%S", "%H:%M"):
        try:
            return datetime.strptime(clock.strip(), fmt).strftime("%H:%M:%S")
        except ValueError:
            continue
    return None


def karrio_location(text: str | None) -> Location | None:
    """karrio joins a location into one string ("Wayne, NJ, 07470, US")."""
    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    country = parts[-1] if parts and len(parts[-1]) == 2 and parts[-1].isalpha() else None
    if country:
        parts = parts[:-1]
    postal = next((p for p in parts[1:] if any(ch.isdigit() for ch in p)), None)
    rest = [p for p in parts if p != postal]
    return Location(
        city=rest[0] if rest else None,
        region=rest[1] if len(rest) > 1 else None,
        postal_code=postal,
        country=country,
    )


def karrio_customs(c: Customs) -> Any:
    from karrio.core import models

    return models.Customs(
        commodities=[
            models.Commodity(
                title=i.description[:35], description=i.description, quantity=i.quantity,
                hs_code=i.hs_code, weight=float(Decimal(i.weight_grams) / 1000),
                weight_unit="KG", value_amount=float(i.value.amount),
                value_currency=i.value.currency, origin_country=i.origin_country,
            )
            for i in c.items
        ],
        content_type=c.contents.value if c.contents.value != "return_merchandise" else "other",
        incoterm=c.incoterm, invoice=c.invoice_number, certify=True,
    )  # fmt: skip


def karrio_address(a: Address) -> Any:
    from karrio.core import models

    return models.Address(
        postal_code=a.postal_code, city=a.city, country_code=a.country,
        state_code=a.region, address_line1=a.line1, address_line2=a.line2,
        person_name=a.name, phone_number=a.phone,
    )  # fmt: skip


def karrio_parcel(p: Parcel) -> Any:
    from karrio.core import models

    dims = (p.length_cm, p.width_cm, p.height_cm)
    return models.Parcel(
        weight=float(Decimal(p.weight_grams) / 1000), weight_unit="KG",
        length=float(dims[0]) if dims[0] else None, width=float(dims[1]) if dims[1] else None,
        height=float(dims[2]) if dims[2] else None, dimension_unit="CM",
    )  # fmt: skip


def iso_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
