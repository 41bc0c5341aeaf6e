"""Which shipments need a person: the kinds of the exceptions queue, as one pure rule.

The database query of the queue (adapters.db.console.attention) selects the same shipments
in SQL; a property test holds the two to the same answer on random shipments.

A kind is *resolved* by a person (an action, or "mark resolved"); the resolution holds until
the shipment has news (an event later than the resolution), when it is judged afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

FINISHED = frozenset({"delivered"})
ADDRESS = "address_issue"
RETURNED = "returned_to_sender"
QUIET = frozenset({"delayed", "no_scan"})  # what the sweep records for a quiet parcel


class Attention(StrEnum):
    LATE = "late"
    NO_SCAN = "no_scan"
    FAILED_ATTEMPT = "failed_attempt"
    INVALID_TRACKING = "invalid_tracking"
    ADDRESS_PROBLEM = "address_problem"
    RETURNED_TO_SENDER = "returned_to_sender"
    CARRIER_EXCEPTION = "carrier_exception"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_LABELS = {
    Attention.LATE: "Late",
    Attention.NO_SCAN: "No scan",
    Attention.FAILED_ATTEMPT: "Failed attempt",
    Attention.INVALID_TRACKING: "Invalid tracking number",
    Attention.ADDRESS_PROBLEM: "Address problem",
    Attention.RETURNED_TO_SENDER: "Returned to sender",
    Attention.CARRIER_EXCEPTION: "Carrier exception",
}
_EXPLANATIONS = {
    Attention.LATE: "Not delivered and the date promised to the customer has passed.",
    Attention.NO_SCAN: "No carrier scan for the configured number of days.",
    Attention.FAILED_ATTEMPT: "The carrier tried to deliver and could not.",
    Attention.INVALID_TRACKING: "The tracking number fails the carrier's format or check digit.",
    Attention.ADDRESS_PROBLEM: "The carrier reports a problem with the address.",
    Attention.RETURNED_TO_SENDER: "The parcel is on its way back to the store.",
    Attention.CARRIER_EXCEPTION: "Damaged, lost, held in customs, refused or another carrier "
    "exception.",
}


@dataclass(frozen=True, slots=True)
class ParcelFacts:
    """What the rule reads of a shipment and its order."""

    status: str
    substatus: str | None
    tracking_valid: bool
    created_at: datetime
    last_scan_at: datetime | None
    promise: date | None  # the latest date promised to the customer (the store's, else ours)


def kinds_of(p: ParcelFacts, now: datetime, no_scan_days: int) -> frozenset[Attention]:
    """Every kind of attention the shipment needs now (empty: none)."""
    if p.status in FINISHED:
        return frozenset()
    found: set[Attention] = set()
    if p.promise is not None and p.promise < now.date():
        found.add(Attention.LATE)
    quiet_since = p.last_scan_at or p.created_at
    if (p.status == "exception" and p.substatus in QUIET) or (
        p.status != "available_for_pickup" and quiet_since <= now - timedelta(days=no_scan_days)
    ):
        found.add(Attention.NO_SCAN)
    if p.status == "attempt_failed":
        found.add(Attention.FAILED_ATTEMPT)
    if not p.tracking_valid:
        found.add(Attention.INVALID_TRACKING)
    if p.substatus == ADDRESS:
        found.add(Attention.ADDRESS_PROBLEM)
    if p.substatus == RETURNED:
        found.add(Attention.RETURNED_TO_SENDER)
    if p.status == "exception" and p.substatus not in (QUIET | {ADDRESS, RETURNED}):
        found.add(Attention.CARRIER_EXCEPTION)
    return frozenset(found)


def still_resolved(resolved_at: datetime, last_event_at: datetime | None) -> bool:
    """A resolution holds until the shipment has news after it."""
    return last_event_at is None or last_event_at <= resolved_at
