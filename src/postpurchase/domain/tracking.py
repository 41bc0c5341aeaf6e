"""Tracking events and the fold that turns them into a shipment's state.

The state is a pure function of the *set* of events: sorting by event time (with a total
tie-break) and deduplicating by fingerprint makes ingestion idempotent and immune to late
or out-of-order delivery of scans. ``step`` is the transition table; ``fold`` is the
definition; the incremental path in ``Shipment.record`` must agree with it (property-tested).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import (
    HANDED_OVER,
    PRE_TRANSIT,
    STATUS_RANK,
    ShipmentStatus,
    Substatus,
)

SYSTEM_SOURCE = "system"  # events our own sweeps write, as opposed to carrier scans


@dataclass(frozen=True, slots=True)
class Location:
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def label(self) -> str:
        return ", ".join(p for p in (self.city, self.region, self.country) if p)


def require_aware(value: datetime, *, field: str) -> datetime:
    """Normalise to UTC; a naive time is ambiguous, so it is refused rather than guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("timestamp must include a time zone offset", field=field)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-05:00 has no UTC datetime
        raise InvalidInput("timestamp is out of range", field=field) from None


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    occurred_at: datetime
    status: ShipmentStatus
    substatus: str | None = None
    carrier_code: str | None = None
    description: str | None = None
    location: Location | None = None
    source: str = "api"
    source_event_id: str | None = None
    recognised: bool = True
    correction: bool = False
    estimated_delivery: date | None = None
    fingerprint: str = field(default="", compare=False)
    # Who signed for the parcel, on a delivered scan when the source says. Not part of the
    # fingerprint: the same scan with or without a signature is the same scan.
    signed_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "occurred_at", require_aware(self.occurred_at, field="occurred_at")
        )
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", self._fingerprint())

    def _fingerprint(self) -> str:
        """Identity of a scan: the source's own event id when it has one (first write wins),
        else everything in it that can change state (the description's wording cannot)."""
        if self.source_event_id:
            raw = f"id|{self.source}|{self.source_event_id}"
        else:
            loc = self.location
            raw = "|".join(
                (
                    "c",
                    self.occurred_at.strftime("%Y%m%dT%H%M%S"),
                    self.status.value,
                    self.substatus or "",
                    (self.carrier_code or "").lower(),
                    (loc.city or "").lower() if loc else "",
                    (loc.postal_code or "") if loc else "",
                    "1" if self.correction else "0",
                    "1" if self.recognised else "0",
                    self.estimated_delivery.isoformat() if self.estimated_delivery else "",
                )
            )
        return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        return (self.occurred_at, STATUS_RANK[self.status], self.fingerprint)


@dataclass(frozen=True, slots=True)
class TrackingState:
    """What the events say about a shipment right now."""

    status: ShipmentStatus = ShipmentStatus.PENDING
    substatus: str | None = None
    status_at: datetime | None = None
    last_key: tuple[datetime, int, str] | None = None
    last_event_at: datetime | None = None
    last_scan_at: datetime | None = None  # last information from outside (not our sweeps)
    handed_over_at: datetime | None = None
    delivered_at: datetime | None = None
    carrier_estimate: date | None = None
    last_location: Location | None = None
    event_count: int = 0

    def step(self, event: TrackingEvent) -> TrackingState:
        """Fold one event that sorts after every event already folded."""
        status, substatus, status_at = self.status, self.substatus, self.status_at
        delivered_at = self.delivered_at
        if event.correction:
            status, substatus, status_at = event.status, event.substatus, event.occurred_at
            delivered_at = event.occurred_at if event.status is ShipmentStatus.DELIVERED else None
        elif self.status is ShipmentStatus.DELIVERED:
            pass  # delivered is final unless explicitly corrected
        elif not event.recognised:
            if self.status in PRE_TRANSIT:
                status, substatus = ShipmentStatus.IN_TRANSIT, Substatus.UNRECOGNISED
                status_at = event.occurred_at
        elif event.status in PRE_TRANSIT and self.status not in PRE_TRANSIT:
            pass  # late paperwork never drags a moving parcel back
        else:
            status, substatus, status_at = event.status, event.substatus, event.occurred_at
            if status is ShipmentStatus.DELIVERED:
                delivered_at = event.occurred_at
        handed_over_at = self.handed_over_at
        if (handed_over_at is None and event.recognised and event.status in HANDED_OVER) or (
            handed_over_at is None and not event.recognised
        ):
            handed_over_at = event.occurred_at
        return replace(
            self,
            status=status,
            substatus=substatus,
            status_at=status_at,
            last_key=event.sort_key,
            last_event_at=event.occurred_at,
            last_scan_at=self.last_scan_at if event.source == SYSTEM_SOURCE else event.occurred_at,
            handed_over_at=handed_over_at,
            delivered_at=delivered_at,
            carrier_estimate=event.estimated_delivery or self.carrier_estimate,
            last_location=event.location or self.last_location,
            event_count=self.event_count + 1,
        )

    def follows(self, event: TrackingEvent) -> bool:
        """True when ``event`` sorts after everything folded so far (the fast path)."""
        return self.last_key is None or event.sort_key > self.last_key


def unique_sorted(events: Iterable[TrackingEvent]) -> list[TrackingEvent]:
    by_fp: dict[str, TrackingEvent] = {}
    for e in events:
        by_fp.setdefault(e.fingerprint, e)
    return sorted(by_fp.values(), key=lambda e: e.sort_key)


def fold(events: Iterable[TrackingEvent]) -> TrackingState:
    """The definition of a shipment's state: a pure function of its set of events."""
    state = TrackingState()
    for e in unique_sorted(events):
        state = state.step(e)
    return state
