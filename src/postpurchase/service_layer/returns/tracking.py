"""The return parcel, tracked exactly like an outbound one (a *return leg*).

When a return gets a tracking number (a label bought through the carrier port, a label made
elsewhere, or a parcel the shopper sent themselves), :func:`register_leg` creates a shipment
through the ordinary ``CreateShipment`` command, marked with the return's id: the same
carrier detection, the same ingest (tracking webhooks, aggregator pushes, carrier polling),
the same fold and status model. The leg carries no order lines and never moves the order's
status; it raises ``ReturnShipmentCreated``/``ReturnShipmentMoved`` instead of the outbound
events, so no "your order shipped" message is sent and nothing is written back to the store.

:func:`follow_leg` moves the return from the leg's folded state: the first carrier scan
(``handed_over_at``) makes it ``in_transit``, a delivery makes it ``received``. Both are
outbox subscribers (at least once, in any order): the return only ever moves forward to
where the leg's state says it should be, so replays, duplicates and scans that arrive out
of order (a delivery stored before the pickup scan) all end in the same state. Each move
is audited in its transaction like a merchant's step (``returns.in_transit``,
``returns.receive``), by the actor ``system:returns-tracking``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postpurchase.domain import commands
from postpurchase.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from postpurchase.domain.returns import Return, ReturnStatus
from postpurchase.domain.timestamps import parse_instant
from postpurchase.service_layer.returns.audit import record_step, snapshot
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork

log = logging.getLogger(__name__)

S = ReturnStatus
# Where a return may still be moved by its parcel (later steps are people's work).
_MOVABLE = frozenset({S.APPROVED, S.LABEL_ISSUED, S.IN_TRANSIT})
ACTOR = "system:returns-tracking"  # who the audit log says moved a return by its scans
_ACTIONS = {S.IN_TRANSIT: "returns.in_transit", S.RECEIVED: "returns.receive"}


@dataclass(frozen=True, slots=True)
class LegState:
    """What the return needs of its leg's folded tracking state."""

    handed_over_at: datetime | None  # the first carrier scan
    delivered_at: datetime | None

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> LegState:
        def when(key: str) -> datetime | None:
            value = payload.get(key)
            if value is None or isinstance(value, datetime):
                return value
            return parse_instant(str(value), key)

        return cls(when("handed_over_at"), when("delivered_at"))


def target(state: LegState) -> ReturnStatus | None:
    """The furthest step the parcel's scans justify (None: nothing scanned yet)."""
    if state.delivered_at is not None:
        return S.RECEIVED
    if state.handed_over_at is not None:
        return S.IN_TRANSIT
    return None


def advance(
    ret: Return,
    state: LegState,
    now: datetime,
    on_step: Callable[[ReturnStatus, dict[str, Any]], None] | None = None,
) -> list[ReturnStatus]:
    """Move ``ret`` forward to what ``state`` says, never back; the steps taken.

    Each step is dated by its scan (the history says when the parcel moved, not when we
    heard), but never before the return's previous step. ``on_step`` is told of each step
    with the return's facts before it (the audit's old values).
    """
    goal = target(state)
    taken: list[ReturnStatus] = []
    if goal is None or ret.status not in _MOVABLE or ret.keep_it:
        return taken
    last = ret.history[-1][1] if ret.history else ret.created_at

    def at(scan: datetime | None) -> datetime:
        moment = scan or now
        return moment if moment > last else last

    if ret.status is S.LABEL_ISSUED and state.handed_over_at is not None:
        before = snapshot(ret)
        ret.ship(at(state.handed_over_at))
        taken.append(S.IN_TRANSIT)
        last = ret.history[-1][1]
        if on_step is not None:
            on_step(S.IN_TRANSIT, before)
    if goal is S.RECEIVED and ret.status in (S.LABEL_ISSUED, S.IN_TRANSIT):
        before = snapshot(ret)
        ret.receive(at(state.delivered_at))
        taken.append(S.RECEIVED)
        if on_step is not None:
            on_step(S.RECEIVED, before)
    return taken


def register_leg(
    handle: Callable[[commands.CreateShipment], Any], payload: Mapping[str, Any]
) -> str | None:
    """Create the return leg for a ``ReturnLabelIssued`` event (idempotent: the same order
    and tracking number find the shipment made the first time). The shipment's id, or None
    when there is no number to track or the order is gone."""
    number = payload.get("tracking_number")
    if not number:
        return None
    carrier = payload.get("carrier") or None

    def leg(carrier: str | None) -> commands.CreateShipment:
        return commands.CreateShipment(
            str(payload["merchant_id"]), str(payload["order_id"]), str(number), carrier,
            return_id=str(payload["return_id"]),
        )  # fmt: skip

    try:
        created = handle(leg(carrier))
    except InvalidInput as exc:
        if exc.field != "carrier":
            log.warning("return %s: leg not tracked: %s", payload["return_id"], exc)
            return None
        # A carrier typed by hand we do not know: detection from the number decides.
        created = handle(leg(None))
    except (NotFound, Conflict) as exc:  # the order is gone or cancelled: nothing to track
        log.warning("return %s: leg not tracked: %s", payload["return_id"], exc)
        return None
    return str(created.id)


class ReturnLegs:
    """Moves returns from their legs' scans (the ``ReturnShipmentMoved`` subscriber)."""

    def __init__(
        self,
        uow: Callable[[], AbstractReturnsUnitOfWork],
        now: Callable[[], datetime],
        after_commit: Callable[[], None] | None = None,
        on_moved: Callable[[str, str, list[ReturnStatus]], None] | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._after_commit = after_commit
        # Called after the commit with (merchant, return, steps taken): refund timing.
        self._on_moved = on_moved

    def follow(self, payload: Mapping[str, Any]) -> list[ReturnStatus]:
        """Apply one leg event; the steps the return took (none for a replay)."""
        merchant_id, return_id = str(payload["merchant_id"]), str(payload["return_id"])
        state = LegState.of(payload)
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                return []
            now = self._now()
            moving = ret

            def audit(step: ReturnStatus, before: dict[str, Any]) -> None:
                record_step(uow, moving, actor=ACTOR, action=_ACTIONS[step], before=before)

            try:
                taken = advance(ret, state, now, audit)
            except DomainError as exc:  # e.g. rejected meanwhile: the parcel changes nothing
                log.info("return %s not moved by its parcel: %s", return_id, exc)
                return []
            notes = {S.IN_TRANSIT: "first carrier scan", S.RECEIVED: "parcel delivered back"}
            if taken:
                said = "; ".join(notes[step] for step in taken)
                uow.returns.record_decisions(ret, None, now, actor="carrier", note=said)
            moved = {return_id: taken} if taken else {}
            # A consolidated return: the other returns in the same parcel move with it.
            siblings = (
                uow.returns.by_tracking_number(merchant_id, ret.tracking_number)
                if ret.tracking_number
                else []
            )
            for other in siblings:
                if other.id == return_id or other.carrier != ret.carrier:
                    continue
                moving = other
                try:
                    steps = advance(other, state, now, audit)
                except DomainError as exc:
                    log.info("return %s not moved by its parcel: %s", other.id, exc)
                    continue
                if steps:
                    said = "; ".join(notes[step] for step in steps)
                    uow.returns.record_decisions(other, None, now, actor="carrier", note=said)
                    moved[other.id] = steps
            if not moved:
                return []
            uow.commit()
            if uow.collect_new_events() and self._after_commit is not None:
                self._after_commit()
        if self._on_moved is not None:
            for rid, steps in moved.items():
                self._on_moved(merchant_id, rid, steps)
        return taken
