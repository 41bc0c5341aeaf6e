"""Proactive notifications, the pure part: which flow an event triggers, whether a message
may go out, when, and which earlier message it replaces.

Everything here is a function of its arguments (no clock, no I/O), so the rules that matter
to shoppers -- never twice, never stale, never at 3 a.m. -- are property-tested directly:

* **Flows** are declared in one place (:data:`FLOWS`); adding one is a :func:`register_flow`
  call plus its templates. Each flow says which outbox topics can trigger it, whether it is
  urgent (skips quiet hours and the burst hold), and its default channels.
* **Dedupe**: one message per flow, subject (order or shipment) and channel -- the key is a
  unique column, so a re-delivered outbox event can never send twice.
* **Bursts collapse**: shipment messages form one "latest update" stream per channel. A newer
  update replaces a still-queued older one; an update older than one already queued or sent
  is stale and suppressed (scans arrive late and out of order).
* **Quiet hours** are wall-clock times in the shopper's zone; :func:`next_send_time` handles
  DST gaps and folds by searching real instants, not by adding hours to local times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.status import ShipmentStatus, Substatus


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


_CHANNEL_NAMES = frozenset(c.value for c in Channel)


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class SubjectKind(StrEnum):
    ORDER = "order"
    SHIPMENT = "shipment"


SUPPORTED_LOCALES: tuple[str, ...] = ("en", "es", "pt-BR", "fr", "de")
DEFAULT_LOCALE = "en"

# Exception substatuses that mean "late" (apologise, give the new estimate) rather than
# "something went wrong with the parcel" (damaged, lost, address issue...).
DELAY_SUBSTATUSES: frozenset[str] = frozenset(
    {Substatus.DELAYED, Substatus.WEATHER, Substatus.NO_SCAN, Substatus.CUSTOMS_HOLD}
)


# --------------------------------------------------------------------------- flows


@dataclass(frozen=True, slots=True)
class Trigger:
    """What an outbox event means for one flow: the subject it is about and when it happened.

    ``event_at`` is the event's own time when it has one (scans, placement); undated events
    (a shipment created, an estimate changed) are ordered by arrival instead. ``happened_at``
    is the best time we know for the age check, dated or not.
    """

    flow: str
    subject_kind: SubjectKind
    subject_id: str
    order_id: str
    shipment_id: str | None
    event_at: datetime | None
    happened_at: datetime | None
    details: Mapping[str, Any] = field(default_factory=dict)


Matcher = Callable[[str, Mapping[str, Any], "Preferences"], bool]


@dataclass(frozen=True, slots=True)
class Flow:
    """One kind of message. ``progress`` flows share a shipment's "latest update" stream."""

    name: str
    subject: SubjectKind
    topics: frozenset[str]
    matches: Matcher
    description: str
    urgent: bool = False
    progress: bool = True
    default_channels: frozenset[Channel] = frozenset({Channel.EMAIL})


FLOWS: dict[str, Flow] = {}


def register_flow(flow: Flow) -> Flow:
    """Add a flow (returns, reviews... add theirs the same way, in their own module)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,47}", flow.name):
        raise ValueError(f"flow name {flow.name!r} must be snake_case, at most 48 characters")
    if flow.name in FLOWS and FLOWS[flow.name] != flow:
        raise ValueError(f"flow {flow.name!r} is already registered")
    FLOWS[flow.name] = flow
    return flow


def flow_topics() -> frozenset[str]:
    return frozenset(t for f in FLOWS.values() for t in f.topics)


def _changed_to(status: ShipmentStatus) -> Matcher:
    def match(topic: str, p: Mapping[str, Any], _prefs: Preferences) -> bool:
        return p.get("to_status") == status.value and p.get("from_status") != status.value

    return match


def _exception_kind(delay: bool) -> Matcher:
    def match(topic: str, p: Mapping[str, Any], _prefs: Preferences) -> bool:
        if p.get("to_status") != ShipmentStatus.EXCEPTION.value:
            return False
        if (p.get("from_status"), p.get("from_substatus")) == (
            p.get("to_status"),
            p.get("substatus"),
        ):
            return False
        return (p.get("substatus") in DELAY_SUBSTATUSES) is delay

    return match


def _estimate_moved(topic: str, p: Mapping[str, Any], prefs: Preferences) -> bool:
    previous, estimate = as_date(p.get("previous")), as_date(p.get("estimate"))
    if previous is None or estimate is None:
        return False  # the first estimate is news for the "shipped" message, not a change
    return abs((estimate - previous).days) >= prefs.estimate_change_min_days


def _always(topic: str, p: Mapping[str, Any], _prefs: Preferences) -> bool:
    return True


_SSC = "ShipmentStatusChanged"
_TIME_CRITICAL = frozenset({Channel.EMAIL, Channel.SMS})

for _flow in (
    Flow("order_confirmed", SubjectKind.ORDER, frozenset({"OrderPlaced"}), _always,
         "Order confirmed: what was bought, the total, what happens next. Sent at once (the "
         "shopper just acted and is waiting for it).", urgent=True, progress=False),
    Flow("shipped", SubjectKind.SHIPMENT, frozenset({"ShipmentCreated"}), _always,
         "Shipped: carrier, tracking link and the estimated delivery when known."),
    Flow("out_for_delivery", SubjectKind.SHIPMENT, frozenset({_SSC}),
         _changed_to(ShipmentStatus.OUT_FOR_DELIVERY),
         "Out for delivery today; sent at once, even in quiet hours.", urgent=True,
         default_channels=_TIME_CRITICAL),
    Flow("delivered", SubjectKind.SHIPMENT, frozenset({_SSC}),
         _changed_to(ShipmentStatus.DELIVERED),
         "Delivered, with a one-question satisfaction survey."),
    Flow("failed_attempt", SubjectKind.SHIPMENT, frozenset({_SSC}),
         _changed_to(ShipmentStatus.ATTEMPT_FAILED),
         "Delivery attempt failed: what happens next.", default_channels=_TIME_CRITICAL),
    Flow("available_for_pickup", SubjectKind.SHIPMENT, frozenset({_SSC}),
         _changed_to(ShipmentStatus.AVAILABLE_FOR_PICKUP),
         "Ready for pickup: where, and until when.", default_channels=_TIME_CRITICAL),
    Flow("delayed", SubjectKind.SHIPMENT, frozenset({_SSC}), _exception_kind(delay=True),
         "Delayed (late, weather, customs, no scans): an apology, the new estimate, the remedy."),
    Flow("exception", SubjectKind.SHIPMENT, frozenset({_SSC}), _exception_kind(delay=False),
         "A problem with the parcel (damaged, lost, address issue, returned): what we do next."),
    Flow("estimate_changed", SubjectKind.SHIPMENT, frozenset({"CarrierEstimateChanged"}),
         _estimate_moved, "The estimated delivery date moved by a day or more."),
):  # fmt: skip
    register_flow(_flow)


def as_date(value: Any) -> date | None:
    """A date from a date, datetime or ISO string (outbox payloads are JSON); else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


_EVENT_TIME_KEYS = ("occurred_at", "delivered_at", "placed_at", "cancelled_at")


def event_time(payload: Mapping[str, Any]) -> datetime | None:
    """The event's own time, if its payload carries one."""
    for key in _EVENT_TIME_KEYS:
        found = _as_datetime(payload.get(key))
        if found is not None:
            return found
    return None


def triggers_for(
    topic: str,
    payload: Mapping[str, Any],
    prefs: Preferences,
    *,
    fallback_time: datetime | None = None,
) -> list[Trigger]:
    """Every flow this event fires, in registration order. Malformed payloads fire nothing."""
    order_id = payload.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        return []
    shipment_id = payload.get("shipment_id")
    shipment_id = shipment_id if isinstance(shipment_id, str) and shipment_id else None
    at = event_time(payload)
    out: list[Trigger] = []
    for flow in FLOWS.values():
        if topic not in flow.topics or not flow.matches(topic, payload, prefs):
            continue
        if flow.subject is SubjectKind.SHIPMENT:
            if shipment_id is None:
                continue
            subject = shipment_id
        else:
            subject = order_id
        out.append(
            Trigger(
                flow=flow.name,
                subject_kind=flow.subject,
                subject_id=subject,
                order_id=order_id,
                shipment_id=shipment_id,
                event_at=at,
                happened_at=at or fallback_time,
                details=dict(payload),
            )
        )
    return out


def dedupe_key(flow: str, subject_id: str, channel: Channel | str) -> str:
    """At most one message per flow, subject and channel (a unique column per merchant)."""
    return f"{flow}:{subject_id}:{Channel(channel).value}"


# --------------------------------------------------------------------------- preferences


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Wall-clock window ``[start, end)`` in the shopper's zone; it may wrap midnight.
    ``start == end`` means no quiet hours."""

    start: time
    end: time

    def contains(self, wall: time) -> bool:
        wall = wall.replace(tzinfo=None, fold=0)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    @classmethod
    def parse(cls, value: Any) -> QuietHours | None:
        """``{"start": "21:00", "end": "08:00"}``, ``"21:00-08:00"``, or null/"off" for none."""
        if value in (None, False, "", "off", "none"):
            return None
        if isinstance(value, str) and "-" in value:
            start_s, _, end_s = value.partition("-")
            value = {"start": start_s, "end": end_s}
        if not isinstance(value, Mapping):
            raise InvalidInput("quiet_hours must be {start, end} or null", field="quiet_hours")
        return cls(_parse_hhmm(value.get("start"), "start"), _parse_hhmm(value.get("end"), "end"))

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}


def _parse_hhmm(value: Any, name: str) -> time:
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hh, mm = (int(x) for x in value.strip().split(":"))
        if hh < 24 and mm < 60:
            return time(hh, mm)
    raise InvalidInput(f"quiet_hours.{name} must be HH:MM (24h)", field=f"quiet_hours.{name}")


DEFAULT_QUIET_HOURS = QuietHours(time(21, 0), time(8, 0))
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


@dataclass(frozen=True, slots=True)
class Branding:
    """How the merchant's messages look. Colours are validated: they go into CSS."""

    sender_name: str | None = None
    reply_to: str | None = None
    from_email: str | None = None
    logo_url: str | None = None
    primary_color: str = "#1f2937"
    accent_color: str = "#2563eb"

    @classmethod
    def parse(cls, raw: Any) -> Branding:
        data = raw if isinstance(raw, Mapping) else {}
        out: dict[str, str | None] = {}
        for key in ("sender_name", "reply_to", "from_email", "logo_url"):
            v = data.get(key)
            out[key] = v.strip() if isinstance(v, str) and v.strip() else None
        for key in ("reply_to", "from_email"):
            if out[key] is not None and not valid_email(out[key] or ""):
                raise InvalidInput(
                    f"branding.{key} is not an email address", field=f"branding.{key}"
                )
        logo = out["logo_url"]
        if logo is not None and not re.match(r"https?://", logo):
            raise InvalidInput(
                "branding.logo_url must be an http(s) URL", field="branding.logo_url"
            )
        colours: dict[str, str] = {}
        for key in ("primary_color", "accent_color"):
            v = data.get(key)
            if v is None:
                continue
            if not isinstance(v, str) or not _COLOUR.fullmatch(v.strip()):
                raise InvalidInput(
                    f"branding.{key} must be a #rgb or #rrggbb colour", field=f"branding.{key}"
                )
            colours[key] = v.strip()
        return cls(
            sender_name=out["sender_name"], reply_to=out["reply_to"],
            from_email=out["from_email"], logo_url=logo, **colours,
        )  # fmt: skip

    def as_dict(self) -> dict[str, str | None]:
        return {
            "sender_name": self.sender_name,
            "reply_to": self.reply_to,
            "from_email": self.from_email,
            "logo_url": self.logo_url,
            "primary_color": self.primary_color,
            "accent_color": self.accent_color,
        }


@dataclass(frozen=True, slots=True)
class Preferences:
    """A merchant's notification settings (``merchant.settings["notifications"]``) with the
    platform defaults filled in. Parsed strictly when the merchant writes them."""

    switches: Mapping[str, Mapping[Channel, bool]] = field(default_factory=dict)
    quiet_hours: QuietHours | None = DEFAULT_QUIET_HOURS
    collapse_seconds: int = 300
    max_event_age_hours: int = 72
    estimate_change_min_days: int = 1
    pickup_hold_days: int = 7
    remedy: Mapping[str, str] = field(default_factory=dict)
    ops_urls: tuple[str, ...] = ()
    branding: Branding = field(default_factory=Branding)

    def enabled(self, flow: Flow, channel: Channel) -> bool:
        chosen = self.switches.get(flow.name, {}).get(channel)
        return (channel in flow.default_channels) if chosen is None else chosen

    @classmethod
    def parse(
        cls, raw: Any, *, branding: Any = None, defaults: Preferences | None = None
    ) -> Preferences:
        base = defaults or cls()
        data = raw if isinstance(raw, Mapping) else {}
        switches: dict[str, dict[Channel, bool]] = {}
        flows = data.get("flows", {})
        if not isinstance(flows, Mapping):
            raise InvalidInput("flows must map a flow to {channel: bool}", field="flows")
        for name, chans in flows.items():
            if name not in FLOWS:
                raise InvalidInput(f"unknown flow {name!r}", field=f"flows.{name}")
            if not isinstance(chans, Mapping):
                raise InvalidInput("expected {channel: bool}", field=f"flows.{name}")
            switches[name] = {}
            for ch, on in chans.items():
                if ch not in _CHANNEL_NAMES or not isinstance(on, bool):
                    raise InvalidInput(
                        f"expected email/sms: true|false, got {ch!r}", field=f"flows.{name}"
                    )
                switches[name][Channel(ch)] = on
        quiet = QuietHours.parse(data["quiet_hours"]) if "quiet_hours" in data else base.quiet_hours
        remedy = data.get("remedy", base.remedy)
        if not isinstance(remedy, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in remedy.items()
        ):
            raise InvalidInput("remedy must map a flow to a sentence", field="remedy")
        urls = data.get("ops_urls", list(base.ops_urls))
        if not isinstance(urls, list | tuple) or not all(
            isinstance(u, str) and "://" in u for u in urls
        ):
            raise InvalidInput("ops_urls must be a list of Apprise URLs", field="ops_urls")
        return cls(
            switches=switches,
            quiet_hours=quiet,
            collapse_seconds=_int(data, base, "collapse_seconds", 0, 3600),
            max_event_age_hours=_int(data, base, "max_event_age_hours", 1, 24 * 365),
            estimate_change_min_days=_int(data, base, "estimate_change_min_days", 1, 60),
            pickup_hold_days=_int(data, base, "pickup_hold_days", 1, 60),
            remedy=dict(remedy),
            ops_urls=tuple(urls),
            branding=Branding.parse(branding) if branding is not None else base.branding,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "flows": {
                name: {ch.value: self.enabled(flow, ch) for ch in Channel}
                for name, flow in FLOWS.items()
            },
            "quiet_hours": self.quiet_hours.as_dict() if self.quiet_hours else None,
            "collapse_seconds": self.collapse_seconds,
            "max_event_age_hours": self.max_event_age_hours,
            "estimate_change_min_days": self.estimate_change_min_days,
            "pickup_hold_days": self.pickup_hold_days,
            "remedy": dict(self.remedy),
            "ops_urls": list(self.ops_urls),
        }


def _int(data: Mapping[str, Any], base: Preferences, key: str, lo: int, hi: int) -> int:
    v = data.get(key, getattr(base, key))
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise InvalidInput(f"{key} must be an integer from {lo} to {hi}", field=key)
    return v


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


# --------------------------------------------------------------------------- addresses, locale


_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[A-Za-z0-9-]{2,}")


def valid_email(address: str) -> bool:
    """Syntax only (the mail server has the last word); refuses what would break headers."""
    return len(address) <= 254 and _EMAIL.fullmatch(address) is not None


# Calling codes for turning national numbers into E.164 when the order's country is known.
_CALLING_CODES: dict[str, str] = {
    "US": "1", "CA": "1", "BR": "55", "GB": "44", "DE": "49", "FR": "33", "ES": "34",
    "PT": "351", "MX": "52", "IT": "39", "NL": "31", "BE": "32", "AT": "43", "CH": "41",
    "IE": "353", "AU": "61", "AR": "54", "CL": "56", "CO": "57",
}  # fmt: skip


def normalise_phone(raw: str, country: str | None = None) -> str | None:
    """E.164 (``+15555550123``) or None when the number cannot be made international."""
    digits = re.sub(r"[\s().\-/]", "", raw or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        code = _CALLING_CODES.get((country or "").upper())
        if code is None or not digits.isdigit():
            return None
        national = digits.lstrip("0") if code != "1" else digits
        if code == "1" and len(national) == 11 and national.startswith("1"):
            national = national[1:]
        digits = f"+{code}{national}"
    return digits if re.fullmatch(r"\+[1-9]\d{6,14}", digits) else None


def pick_locale(*requested: str | None) -> str:
    """The first supported locale matching ``requested`` (exact, then language); else en."""
    by_lower = {loc.lower(): loc for loc in SUPPORTED_LOCALES}
    for raw in requested:
        if not raw:
            continue
        tag = raw.replace("_", "-").strip().lower()
        if tag in by_lower:
            return by_lower[tag]
        lang = tag.split("-")[0]
        if lang == "pt":
            return "pt-BR"
        if lang in by_lower:
            return by_lower[lang]
    return DEFAULT_LOCALE


# --------------------------------------------------------------------------- messages


@dataclass(slots=True)
class Message:
    """One message to one recipient on one channel: a row before it is anything else."""

    id: str
    merchant_id: str
    dedupe_key: str
    flow: str
    channel: Channel
    status: MessageStatus
    reason: str
    locale: str
    subject_id: str
    order_id: str | None
    shipment_id: str | None
    customer_id: str | None
    recipient: str | None
    event_topic: str
    event_id: int | None
    event_at: datetime | None
    urgent: bool
    created_at: datetime
    send_after: datetime
    next_attempt_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    provider_id: str | None = None
    unsubscribe_token: str | None = None
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    # attempts claimed for sending but never recorded (the sender died or lost its claim
    # between the provider call and the commit): each was re-sent, a possible duplicate
    unknown_outcomes: int = 0

    def ref(self) -> MessageRef:
        return MessageRef(
            self.id, self.flow, self.status, self.event_at, self.channel, self.dedupe_key
        )

    def suppress(self, reason: str, at: datetime) -> None:
        self.status, self.reason, self.updated_at, self.next_attempt_at = (
            MessageStatus.SUPPRESSED, reason, at, None,
        )  # fmt: skip

    def fail(self, reason: str, at: datetime) -> None:
        self.status, self.reason, self.updated_at, self.next_attempt_at = (
            MessageStatus.FAILED, reason, at, None,
        )  # fmt: skip

    def mark_sent(self, at: datetime, provider_id: str | None, via: str) -> None:
        self.status, self.sent_at, self.updated_at = MessageStatus.SENT, at, at
        self.provider_id, self.next_attempt_at = provider_id, None
        self.reason = f"sent via {via}" + (
            f" (attempt {self.attempts + 1})" if self.attempts else ""
        )
        self.attempts += 1


@dataclass(frozen=True, slots=True)
class LineItem:
    name: str
    quantity: int
    subtotal: Money | None  # None: the order is shown in another currency than its prices


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Everything a template may show, already chosen (formatting is the renderer's job)."""

    flow: str
    channel: Channel
    locale: str
    timezone: str
    merchant_name: str
    branding: Branding
    customer_name: str | None
    order_number: str
    order_total: Money
    shipping_fee: Money
    lines: Sequence[LineItem]
    placed_at: datetime
    tracking_url: str
    unsubscribe_url: str | None
    survey_url: str | None
    carrier: str | None = None
    tracking_number: str | None = None
    estimate: date | None = None
    previous_estimate: date | None = None
    status: str | None = None
    substatus: str | None = None
    event_at: datetime | None = None
    location: str | None = None
    pickup_until: date | None = None
    remedy: str | None = None
    # The order's money as the shopper paid it: lines are at list price, then these rows.
    items_total: Money | None = None  # the lines at list price (shown when lines have none)
    discount: Money | None = None  # every discount, when there was one
    discount_codes: tuple[str, ...] = ()
    tax: Money | None = None  # when there was tax
    taxes_included: bool = False  # then ``tax`` is part of the prices, not added to them


# --------------------------------------------------------------------------- webhooks, ops


def webhook_event_type(topic: str) -> str:
    """``ShipmentStatusChanged`` -> ``shipment.status_changed`` (the public event name)."""
    words: list[str] = re.findall(r"[A-Z][a-z0-9]*", topic)
    if not words:
        return topic.lower()
    return words[0].lower() + ("." + "_".join(w.lower() for w in words[1:]) if words[1:] else "")


# Domain events merchants can receive as webhooks (internal bookkeeping topics excluded).
WEBHOOK_TOPICS: frozenset[str] = frozenset(
    {
        "OrderPlaced", "OrderCancelled", "OrderStatusChanged", "ShipmentCreated",
        "ShipmentStatusChanged", "ShipmentDelivered", "ShipmentDelayed", "ShipmentException",
        "CarrierEstimateChanged", "TrackingNumberInvalid", "OrderRevised", "RefundRecorded",
    }
)  # fmt: skip

# Events that go into the ops digest: things a person should look at.
OPS_TOPICS: frozenset[str] = frozenset({"ShipmentException", "TrackingNumberInvalid"})


def parse_webhook_topics(topics: Sequence[str]) -> tuple[str, ...]:
    """Accept class names or public names (``shipment.delivered``); ``*`` means all."""
    by_public = {webhook_event_type(t): t for t in WEBHOOK_TOPICS}
    out: list[str] = []
    for i, raw in enumerate(topics):
        if raw == "*":
            return ("*",)
        name = raw if raw in WEBHOOK_TOPICS else by_public.get(raw)
        if name is None:
            raise InvalidInput(f"unknown event type {raw!r}", field=f"topics[{i}]")
        if name not in out:
            out.append(name)
    if not out:
        raise InvalidInput("subscribe to at least one event type, or '*'", field="topics")
    return tuple(sorted(out))
