"""Identifiers. Random, sortable-enough, and never derived from data a shopper could guess."""

from __future__ import annotations

import secrets
import time
import uuid


def new_id() -> str:
    """A time-ordered 128-bit id (UUIDv7 layout) as 32 hex chars.

    Time ordering keeps B-tree inserts local on PostgreSQL and gives cursor pagination a
    stable order that roughly follows creation.
    """
    ms = time.time_ns() // 1_000_000
    rand = secrets.randbits(74)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 62) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value).hex


def new_token(nbytes: int = 18) -> str:
    """An unguessable URL-safe token (for tracking links, unsubscribe links)."""
    return secrets.token_urlsafe(nbytes)
