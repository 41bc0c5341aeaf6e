"""When a message may go out and what it replaces: quiet hours in the shopper's zone (DST
gaps and folds handled by searching real instants), the burst hold, the collapse of a
shipment's "latest update" stream, and the retry backoff.

Split out of ``notifications`` so the timing rules, the ones property-tested hardest, read on
their own; ``notifications`` re-exports every name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postpurchase.domain.notification_preferences import QuietHours
from postpurchase.domain.notification_vocabulary import Channel, MessageStatus

# --------------------------------------------------------------------------- time


def zone(*names: str | None) -> ZoneInfo:
    """The first valid IANA zone among ``names`` (order's, then merchant's), else UTC."""
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def _wall(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz).replace(tzinfo=None, fold=0)


def _instants_at_wall(wall: datetime, tz: ZoneInfo) -> list[datetime]:
    """The real instants whose local wall clock reads ``wall``: one for an ordinary time, two
    for an ambiguous one (clocks went back), and for a time that does not exist (clocks went
    forward) the single instant the gap ends, found by bisection on whole seconds."""
    naive = wall.replace(tzinfo=None, fold=0)
    early = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    late = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if early == late:
        return [early]
    if early < late:
        return [early, late]
    lo, hi = int(late.timestamp()), int(early.timestamp())  # fold=1 before, fold=0 after
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(datetime.fromtimestamp(mid, UTC), tz) >= naive:
            hi = mid
        else:
            lo = mid
    return [datetime.fromtimestamp(hi, UTC)]


def first_instant_at_wall(
    wall: datetime, tz: ZoneInfo, not_before: datetime | None = None
) -> datetime | None:
    """The earliest instant at or after ``not_before`` whose wall clock reads ``wall`` (or,
    inside a DST gap, the moment the gap ends)."""
    for instant in _instants_at_wall(wall, tz):
        if not_before is None or instant >= not_before:
            return instant
    return None


def in_quiet_hours(at: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> bool:
    return quiet is not None and quiet.contains(_wall(at, tz).time())


def next_send_time(at: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """``at`` itself when it is outside quiet hours; else the first instant after it at which
    they end.

    Works on real instants (aware UTC in and out), so a DST change inside the quiet window
    shortens or lengthens the night but never sends inside it, and a repeated hour (clocks
    going back) cannot pick an end that lies before ``at``.
    """
    at = at.astimezone(UTC)
    if quiet is None or not in_quiet_hours(at, tz, quiet):
        return at
    local = _wall(at, tz)
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # the window wraps midnight: it ends tomorrow morning
    for _ in range(3):
        end = first_instant_at_wall(datetime.combine(day, quiet.end), tz, not_before=at)
        if end is not None and not in_quiet_hours(end, tz, quiet):
            return end
        day += timedelta(days=1)  # only a window of nearly 24 h around a DST gap gets here
    return at + timedelta(days=1)  # fail safe; unreachable for real zones


def send_time(
    now: datetime,
    *,
    urgent: bool,
    tz: ZoneInfo,
    quiet: QuietHours | None,
    collapse_seconds: int,
) -> tuple[datetime, str]:
    """When a new message should go out, and why then (recorded on the message)."""
    if urgent:
        return now, "urgent: sent at once"
    held = now + timedelta(seconds=collapse_seconds)
    at = next_send_time(held, tz, quiet)
    if at > held:
        local = at.astimezone(tz)
        return at, f"quiet hours in {tz.key}: waits until {local:%Y-%m-%d %H:%M %Z}"
    if collapse_seconds:
        return at, f"held {collapse_seconds}s so a burst of scans gives one message"
    return at, "sent when due"


# --------------------------------------------------------------------------- collapse


@dataclass(frozen=True, slots=True)
class MessageRef:
    """What the dedupe and collapse rules need to know about an existing message."""

    id: str
    flow: str
    status: MessageStatus
    event_at: datetime | None
    channel: Channel | None = None
    dedupe_key: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    flow: str
    event_at: datetime | None


@dataclass(frozen=True, slots=True)
class Decision:
    """Queue the candidate (superseding ``supersede``) or suppress it with ``reason``."""

    queue: bool
    reason: str
    supersede: tuple[str, ...] = ()


def collapse(existing: Iterable[MessageRef], candidate: Candidate) -> Decision:
    """The "latest update" rule for one shipment's progress messages on one channel.

    * A dated update older than one already queued or sent is stale: suppressed.
    * An undated update (shipment created, estimate changed) arriving while another update
      is still queued is folded into it: that message renders the shipment's current state.
    * Otherwise the candidate is queued and replaces every still-queued update, so at most
      one progress message per shipment and channel is ever waiting.
    """
    live = [m for m in existing if m.status in (MessageStatus.QUEUED, MessageStatus.SENT)]
    queued = [m for m in live if m.status is MessageStatus.QUEUED]
    if candidate.event_at is not None:
        newer = [m for m in live if m.event_at is not None and m.event_at > candidate.event_at]
        if newer:
            latest = newer[-1]
            return Decision(False, f"stale: the newer '{latest.flow}' update was already notified")
    elif queued:
        return Decision(False, f"folded into the queued '{queued[-1].flow}' message")
    return Decision(True, "queued", tuple(m.id for m in queued))


# --------------------------------------------------------------------------- retries


def retry_delay(
    attempts: int, *, base_seconds: float = 30.0, cap_seconds: float = 3600.0
) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min ... capped at an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


def next_retry(
    attempts: int,
    first_at: datetime,
    now: datetime,
    *,
    give_up_after: timedelta,
    base_seconds: float = 30.0,
) -> datetime | None:
    """When to try again after ``attempts`` failures, or None once ``give_up_after`` is spent.
    The last retry is pulled in so it still happens inside the window."""
    deadline = first_at + give_up_after
    if now >= deadline:
        return None
    return min(now + retry_delay(attempts, base_seconds=base_seconds), deadline)
