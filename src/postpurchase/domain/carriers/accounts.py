"""A merchant's account at a carrier: which connector serves it, in which mode, and with
which credentials (in the clear only in memory; sealed by an adapter before storage)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from postpurchase.domain.errors import InvalidInput


class AccountMode(StrEnum):
    TEST = "test"  # the carrier's sandbox: labels are not billed, tracking is sample data
    PRODUCTION = "production"


class Connector(StrEnum):
    KARRIO = "karrio"  # karrio's SDK and the carrier's connector package
    SIMULATED = "simulated"  # our simulated carrier's HTTP API (demo, tests, benchmarks)
    EASYPOST = "easypost"  # the merchant's EasyPost account, an aggregator, for this carrier
    AFTERSHIP = "aftership"  # the merchant's AfterShip account: tracking only


_OPTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MAX_VALUE = 2048


@dataclass(frozen=True, slots=True)
class CarrierAccount:
    id: str
    merchant_id: str
    carrier: str  # our slug, the one carrier detection gives shipments
    connector: Connector
    mode: AccountMode
    options: dict[str, str] = field(default_factory=dict)  # shown back as they are
    credentials: dict[str, str] = field(default_factory=dict, repr=False)  # write-only
    created_at: datetime | None = None
    updated_at: datetime | None = None
    paused_until: datetime | None = None  # backing off after a 429/5xx, across workers
    failures: int = 0  # consecutive failed calls; resets on success
    last_error: str | None = None

    @property
    def test_mode(self) -> bool:
        return self.mode is AccountMode.TEST


def clean_fields(values: dict[str, str], *, field_prefix: str) -> dict[str, str]:
    """Option or credential values as given, trimmed; names are snake_case identifiers."""
    out: dict[str, str] = {}
    for name, raw in values.items():
        where = f"{field_prefix}.{name}"
        if not _OPTION_NAME.match(name):
            raise InvalidInput("a field name is lower-case letters, digits and _", field=where)
        if not isinstance(raw, str):
            raise InvalidInput("must be a string", field=where)
        value = raw.strip()
        if not value:
            raise InvalidInput("must not be empty", field=where)
        if len(value) > MAX_VALUE:
            raise InvalidInput(f"at most {MAX_VALUE} characters", field=where)
        if any(ch in value for ch in "\r\n\x00"):
            raise InvalidInput("no line breaks or NUL characters", field=where)
        out[name] = value
    return out
