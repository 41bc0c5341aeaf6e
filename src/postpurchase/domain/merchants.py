"""Merchants (tenants) and their customers."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

from postpurchase.domain.errors import InvalidInput


@dataclass(slots=True)
class Merchant:
    id: str
    name: str
    slug: str
    created_at: datetime
    timezone: str = "UTC"
    locale: str = "en"
    settings: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("merchant name must not be empty", field="name")


@dataclass(slots=True)
class Customer:
    id: str
    merchant_id: str
    email: str | None
    phone: str | None
    name: str | None
    locale: str
    created_at: datetime


API_KEY_PREFIX = "pp_"


def hash_api_key(key: str) -> str:
    """Keys are high-entropy random strings, so one SHA-256 is enough (no slow KDF needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), stored_hash)


def slugify(name: str) -> str:
    out = []
    for ch in name.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    slug = "".join(out).strip("-")
    if not slug:
        raise InvalidInput("name must contain letters or digits", field="name")
    return slug[:48]
