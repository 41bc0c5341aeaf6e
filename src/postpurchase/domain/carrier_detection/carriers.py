"""Carrier slugs and display names: every slug detection can return.

Why this exists: other layers (status mappings, tracking links, webhooks) validate a carrier
against one list, and that list is the couriers of the format table, the carriers a tracking
link names (`urls`), and every postal operator an S10 country suffix can name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from postpurchase.domain.carrier_detection.posts import ISO_COUNTRIES, S10_POSTS

__all__ = ["CARRIERS", "COURIERS", "LINK_ONLY"]

COURIERS: dict[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL Express",
    "dhl_ecommerce": "DHL eCommerce",
    "dhl_paket": "DHL Paket (Germany)",
    "amazon": "Amazon Logistics",
    "ontrac": "OnTrac",
    "lasership": "LaserShip",
    "canada_post": "Canada Post",
    "purolator": "Purolator",
    "dpd": "DPD",
    "yodel": "Yodel",
    "old_dominion": "Old Dominion Freight Line",
    "canpar": "Canpar Express",
    "landmark_global": "Landmark Global",
    "gofo": "GOFO Express",
    "speedee": "Spee-Dee Delivery",
    "yunexpress": "YunExpress",
}

# Carriers we recognise from a tracking link (`carrier_from_url`) but whose numbers have no
# format of their own in the table (their numbers fall to another reading, or to none).
LINK_ONLY: dict[str, str] = {
    "parcelforce": "Parcelforce Worldwide",
    "evri": "Evri",
    "gls": "GLS",
}


def _build_carriers() -> dict[str, str]:
    carriers = dict(COURIERS)
    carriers.update(LINK_ONLY)
    for slug, name in S10_POSTS.values():
        carriers.setdefault(slug, name)
    for country in sorted(ISO_COUNTRIES - S10_POSTS.keys()):
        carriers[f"postal_{country.lower()}"] = f"National post ({country})"
    return carriers


CARRIERS: Mapping[str, str] = MappingProxyType(_build_carriers())
"""Carrier slug -> display name, for every slug `detect` can return (besides a caller's hint)."""
