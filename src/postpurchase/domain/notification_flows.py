"""Flows: which event triggers which message. :data:`FLOWS` declares every flow in one
place (a :func:`register_flow` call plus its templates); :func:`triggers_for` turns one
outbox event into the triggers it causes; :func:`dedupe_key` makes "never twice" a unique
column.

Split out of ``notifications`` so the rules can be read apart from the message state machine;
``notifications`` re-exports every name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from postpurchase.domain.notification_vocabulary import (
    DELAY_SUBSTATUSES,
    Channel,
    SubjectKind,
)
from postpurchase.domain.status import ShipmentStatus

if TYPE_CHECKING:
    from postpurchase.domain.notification_preferences import Preferences


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


_TOPICS: dict[tuple[int, ...], frozenset[str]] = {}


def flow_topics() -> frozenset[str]:
    """Every topic some flow listens to. Asked for every event planned: kept per set of
    registered flows (by identity, so a flow registered or removed later is seen)."""
    key = tuple(map(id, FLOWS.values()))
    found = _TOPICS.get(key)
    if found is None:
        if len(_TOPICS) > 16:
            _TOPICS.clear()
        found = _TOPICS[key] = frozenset(t for f in FLOWS.values() for t in f.topics)
    return found


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


def _not_a_gift(topic: str, p: Mapping[str, Any], _prefs: Preferences) -> bool:
    """A gift return's messages would reach the giver (the order's contact): none go."""
    return p.get("gift") is not True


for _flow in (
    Flow("return_approved", SubjectKind.RETURN, frozenset({"ReturnApproved"}), _not_a_gift,
         "Return approved: what happens next, and the link to the return.", progress=False),
    Flow("return_label_ready", SubjectKind.RETURN, frozenset({"ReturnLabelIssued"}),
         _not_a_gift, "Return label ready: the carrier and tracking number, and the link "
         "to the return.", progress=False),
    Flow("return_received", SubjectKind.RETURN, frozenset({"ReturnReceived"}), _not_a_gift,
         "Return received: the shop has the parcel and inspects it.", progress=False),
    Flow("return_refunded", SubjectKind.RETURN, frozenset({"ReturnRefunded"}), _not_a_gift,
         "Refund issued: how much, to the original payment.", progress=False),
    Flow("return_credited", SubjectKind.RETURN, frozenset({"ReturnCredited"}), _not_a_gift,
         "Store credit issued: how much.", progress=False),
):  # fmt: skip
    register_flow(_flow)


# The gift code's place in a stored message: the code itself is put in only when the message
# is sent (it is kept sealed, never in a message row). See ``return_gift_credit`` below.
GIFT_CODE_MARK = "[[postpurchase:gift-code]]"


def _to_the_recipient(topic: str, p: Mapping[str, Any], _prefs: Preferences) -> bool:
    """A gift's credit is for its recipient: no address given, no message (never the giver)."""
    recipient = p.get("recipient")
    return isinstance(recipient, str) and bool(recipient)


def addressed_to(trig: Trigger) -> str | None:
    """The address a flow writes to instead of the order's contact (a gift's recipient)."""
    if trig.flow != "return_gift_credit":
        return None
    recipient = trig.details.get("recipient")
    return recipient.strip().lower() if isinstance(recipient, str) and recipient else None


register_flow(
    Flow("return_gift_credit", SubjectKind.RETURN, frozenset({"ReturnGiftCreditIssued"}),
         _to_the_recipient, "Gift return: to the gift's recipient (never the giver), their gift "
         "card or store-credit code, how much, and how to use it.", progress=False)
)  # fmt: skip


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
        elif flow.subject is SubjectKind.RETURN:
            return_id = payload.get("return_id")
            if not isinstance(return_id, str) or not return_id:
                continue
            subject = return_id
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
