"""A carrier's answer, read into our tracking events with our own status tables.

The same ``TrackingUpdate`` a webhook produces, so polled scans take the ingestion path
pushed ones do (dedupe, status fold, notifications).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from postpurchase.adapters.tracking_sources.common import MAX_SHORT, MAX_TEXT
from postpurchase.adapters.tracking_sources.status_maps import (
    map_aftership,
    map_carrier_event,
    map_easypost,
    map_simulated_event,
)
from postpurchase.domain.carriers import CarrierAccount, CarrierScan, Connector, TrackResult
from postpurchase.domain.commands import TrackingUpdate
from postpurchase.domain.tracking import TrackingEvent


def source_of(account: CarrierAccount) -> str:
    """The ``source`` of polled events: which connector told us."""
    return {
        Connector.SIMULATED: "simulated",
        Connector.EASYPOST: "easypost",
        Connector.AFTERSHIP: "aftership",
    }.get(account.connector, "karrio")


def _scan_id(number: str, scan: CarrierScan) -> str:
    """A stable id for a scan the carrier gave none: the same scan polled again (with a
    newer delivery estimate beside it, say) is the same event, first write wins."""
    loc = scan.location
    raw = "|".join(
        (
            number,
            scan.occurred_at.isoformat(),
            scan.kind or "",
            scan.code or "",
            (loc.city or "") if loc else "",
            (loc.postal_code or "") if loc else "",
        )
    )
    return "k_" + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _event(account: CarrierAccount, number: str, scan: CarrierScan, source: str) -> TrackingEvent:
    if account.connector is Connector.SIMULATED:
        mapped = map_simulated_event(account.carrier, scan.code, scan.kind)
        code = scan.code
    elif account.connector is Connector.AFTERSHIP:  # AfterShip's tag and subtag
        mapped = map_aftership(scan.kind, scan.code)
        code = scan.code or scan.kind
    elif account.connector is Connector.EASYPOST:  # EasyPost's own status and detail
        mapped = map_easypost(scan.kind, scan.code)
        code = f"{scan.kind}:{scan.code}" if scan.code else scan.kind
    else:
        mapped = map_carrier_event(account.carrier, scan.code, scan.kind)
        code = f"{scan.kind}:{scan.code}" if scan.kind and account.carrier == "ups" else scan.code
    return TrackingEvent(
        occurred_at=scan.occurred_at,
        status=mapped.status,
        substatus=mapped.substatus,
        carrier_code=(code or None) and code[:MAX_SHORT],
        description=(scan.description or None) and scan.description[:MAX_TEXT],
        location=scan.location,
        source=source,
        source_event_id=scan.event_id or _scan_id(number, scan),
        recognised=mapped.recognised,
        signed_by=scan.signed_by,
    )


def to_update(account: CarrierAccount, result: TrackResult) -> TrackingUpdate:
    """One parcel's scans as a tracking update of the account's carrier."""
    source = source_of(account)
    events = [_event(account, result.tracking_number, scan, source) for scan in result.scans]
    if events and result.estimated_delivery is not None:
        newest = max(range(len(events)), key=lambda i: events[i].occurred_at)
        events[newest] = replace(
            events[newest], estimated_delivery=result.estimated_delivery, fingerprint=""
        )
    return TrackingUpdate(
        tracking_number=result.tracking_number,
        carrier=account.carrier,
        events=tuple(events),
        ref=f"poll:{account.id}",
        service=result.service[:48] if result.service else None,
        tracking_url=result.tracking_url,
    )
