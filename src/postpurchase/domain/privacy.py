"""A shopper's right to their data: what erasure keeps and what it removes.

Why pseudonymise rather than delete: the merchant's KPIs (on-time rate, delivery times per
region, satisfaction, refunds) are facts about parcels, not about the person; deleting the
orders would change last quarter's figures. So erasure removes everything that identifies
the shopper (name, e-mail, phone, street address, notes, what was written on their
messages, who signed for the parcel, the raw store payloads that carried them) and keeps
the order, its lines, money, statuses, dates, and a coarse destination (country, region
and the first characters of the postal code: enough for lane statistics, too little to find
a house). The opt-out list is kept: it is what stops us messaging someone who asked us not
to, should they order again.
"""

from __future__ import annotations

from dataclasses import dataclass

from postpurchase.domain.addresses import Address
from postpurchase.domain.errors import InvalidInput

POSTAL_PREFIX = 3  # "40202" -> "402", "SW1A 1AA" -> "SW1": a region, not a street


def coarse_address(address: Address) -> Address:
    """What erasure keeps of an address."""
    postal = (address.postal_code or "").replace(" ", "")[:POSTAL_PREFIX] or None
    return Address(country=address.country, postal_code=postal, region=address.region)


def normalise_email(raw: str) -> str:
    email = raw.strip().lower() if isinstance(raw, str) else ""
    if "@" not in email or len(email) > 254 or any(ch.isspace() for ch in email):
        raise InvalidInput("not an e-mail address", field="email")
    return email


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """How many rows erasure pseudonymised, per kind (0 everywhere: nothing was known)."""

    customers: int = 0
    orders: int = 0
    shipments: int = 0
    messages: int = 0
    store_payloads: int = 0

    @property
    def total(self) -> int:
        return self.customers + self.orders + self.shipments + self.messages + self.store_payloads
