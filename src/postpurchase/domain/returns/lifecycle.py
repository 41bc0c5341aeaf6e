"""A return's life as a transition table, and the aggregate that walks it.

requested → approved | rejected → label_issued → in_transit → received → inspected →
restocked | disposed → refunded | credited | exchanged. A keep-it return skips the parcel:
approved → refunded | credited. A return handed over at a counter skips the label:
approved → received. Nothing moves outside :data:`TRANSITIONS`, and every step raises an
event (``domain/returns/events.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from postpurchase.domain.errors import Conflict, InvalidInput
from postpurchase.domain.events import Event
from postpurchase.domain.money import Money
from postpurchase.domain.returns import events as ev
from postpurchase.domain.returns.methods import ReturnMethod
from postpurchase.domain.returns.policy import Resolution

LOCATION = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a stock location's code (WH-1, store.lisbon)


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    LABEL_ISSUED = "label_issued"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    INSPECTED = "inspected"
    RESTOCKED = "restocked"
    DISPOSED = "disposed"
    REFUNDED = "refunded"
    CREDITED = "credited"
    EXCHANGED = "exchanged"


class Grade(StrEnum):
    RESELLABLE = "resellable"
    REFURBISH = "refurbish"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"


@dataclass(slots=True)
class ExchangeLine:
    """One returned line swapped for a variant: ``quantity`` units of ``sku`` at ``unit_price``."""

    order_line_id: str
    sku: str  # the new variant's
    variant_id: str | None
    title: str
    quantity: int
    unit_price: Money


@dataclass(slots=True)
class Exchange:
    """An exchange: the new lines, the difference charged (an upsell) or refunded (a cheaper
    variant), and the exchange order once it is created."""

    lines: list[ExchangeLine]
    charge: Money  # what the shopper pays on top (never negative)
    order_id: str | None = None  # the exchange order, once created


class Disposition(StrEnum):
    RESTOCK = "restock"
    DISPOSE = "dispose"


S = ReturnStatus
_RESOLVED = frozenset({S.REFUNDED, S.CREDITED, S.EXCHANGED})
TRANSITIONS: Mapping[ReturnStatus, frozenset[ReturnStatus]] = {
    S.REQUESTED: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.LABEL_ISSUED, S.RECEIVED, S.REFUNDED, S.CREDITED}),
    S.LABEL_ISSUED: frozenset({S.IN_TRANSIT, S.RECEIVED}),
    S.IN_TRANSIT: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.INSPECTED}),
    S.INSPECTED: frozenset({S.RESTOCKED, S.DISPOSED}),
    S.RESTOCKED: _RESOLVED,
    S.DISPOSED: _RESOLVED,
    S.REJECTED: frozenset(),
    S.REFUNDED: frozenset(),
    S.CREDITED: frozenset(),
    S.EXCHANGED: frozenset(),
}
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
# A return in these states holds its units: another return cannot ask for them again.
HOLDS_UNITS = frozenset(ReturnStatus) - {S.REJECTED}


@dataclass(slots=True)
class ReturnLine:
    order_line_id: str
    sku: str
    quantity: int
    reason_code: str
    refund: Money  # this line's share, before fees (decisions.QuotedLine.refund)
    rule: str  # the rule that decided it
    grade: Grade | None = None
    disposition: Disposition | None = None
    note: str | None = None
    photos: list[str] = field(default_factory=list)  # media ids (shopper's, inspector's)
    location: str | None = None  # the stock location restocked units went to (put away)

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or self.quantity < 1:
            raise InvalidInput("must be a positive integer", field="quantity")


def returnable_quantities(delivered: Mapping[str, int], held: Mapping[str, int]) -> dict[str, int]:
    """Per order line: delivered minus what live returns already hold (never below 0)."""
    return {k: max(0, q - held.get(k, 0)) for k, q in delivered.items()}


@dataclass(slots=True)
class Return:
    id: str
    merchant_id: str
    order_id: str
    number: str  # shown to the shopper and on the parcel: "R-1001-1"
    lines: list[ReturnLine]
    resolution: Resolution
    currency: str
    refund: Money  # what goes back, after fees (or the basis of the credit)
    bonus: Money
    fees: Money  # restocking + return fee, kept for the record
    policy_version: int
    created_at: datetime
    status: ReturnStatus = ReturnStatus.REQUESTED
    gift: bool = False
    customer_email: str | None = None
    gift_email: str | None = None  # a gift's recipient: where their credit goes, not the giver
    idempotency_key: str | None = None
    review_reason: str | None = None  # why a person must look (the policy's rule)
    rejection_reason: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    resolution_reference: str | None = None
    method: ReturnMethod | None = None  # how the parcel comes back (None: keep-it, or unset)
    co2e_kg: Decimal | None = None  # the method's estimated footprint when chosen
    exchange: Exchange | None = None  # what the shopper gets instead, for an exchange
    label_media_id: str | None = None  # the bought label's document (media store)
    qr_media_id: str | None = None  # its QR code for a box-free drop-off (PNG)
    label_cost: Money | None = None  # what the carrier charged for the label, in its currency
    updated_at: datetime | None = None
    history: list[tuple[ReturnStatus, datetime]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidInput("a return needs at least one line", field="lines")
        seen: set[str] = set()
        for i, line in enumerate(self.lines):
            if line.order_line_id in seen:
                raise InvalidInput("each order line once per return", field=f"lines[{i}]")
            seen.add(line.order_line_id)
        if self.refund.is_negative() or self.bonus.is_negative():
            raise InvalidInput("a refund is never negative", field="refund")
        if not self.history:
            self.history.append((self.status, self.created_at))

    @property
    def keep_it(self) -> bool:
        return self.resolution is Resolution.KEEP_IT

    @property
    def credit(self) -> Money:
        return self.refund + self.bonus

    def quantities(self) -> dict[str, int]:
        return {line.order_line_id: line.quantity for line in self.lines}

    def _base(self) -> tuple[str, str, str]:
        return self.merchant_id, self.id, self.order_id

    def _move(self, to: ReturnStatus, at: datetime) -> None:
        if to not in TRANSITIONS[self.status]:
            raise Conflict(
                f"a return that is {self.status.value} cannot become {to.value}", field="status"
            )
        self.status = to
        self.updated_at = at
        self.history.append((to, at))

    # ---- steps ------------------------------------------------------------------------------

    def requested(self, verdict: str) -> None:
        self.events.append(ev.ReturnRequested(*self._base(), verdict=verdict))

    def approve(self, at: datetime, *, automatic: bool = False) -> None:
        self._move(S.APPROVED, at)
        self.events.append(ev.ReturnApproved(*self._base(), automatic=automatic, gift=self.gift))

    def reject(self, at: datetime, reason: str) -> None:
        if not reason.strip():
            raise InvalidInput("say why, for the shopper", field="reason")
        self._move(S.REJECTED, at)
        self.rejection_reason = reason.strip()[:500]
        self.events.append(ev.ReturnRejected(*self._base(), reason=self.rejection_reason))

    def issue_label(self, at: datetime, carrier: str | None, tracking_number: str | None) -> None:
        if self.keep_it:
            raise Conflict("a keep-it return has no parcel", field="status")
        self._move(S.LABEL_ISSUED, at)
        self.carrier, self.tracking_number = carrier, tracking_number
        self.events.append(
            ev.ReturnLabelIssued(*self._base(), carrier, tracking_number, gift=self.gift)
        )

    def ship(self, at: datetime) -> None:
        self._move(S.IN_TRANSIT, at)
        self.events.append(ev.ReturnInTransit(*self._base()))

    def receive(self, at: datetime) -> None:
        if self.keep_it:
            raise Conflict("a keep-it return has no parcel", field="status")
        self._move(S.RECEIVED, at)
        self.events.append(ev.ReturnReceived(*self._base(), gift=self.gift))

    def inspect(
        self, at: datetime, grades: Mapping[str, Grade], notes: Mapping[str, str] | None = None
    ) -> None:
        """Grade every line (by order line id); unknown or missing lines are refused."""
        mine = {line.order_line_id for line in self.lines}
        unknown = sorted(set(grades) - mine)
        if unknown:
            raise InvalidInput(f"not a line of this return: {unknown[0]}", field="grades")
        missing = sorted(mine - set(grades))
        if missing:
            raise InvalidInput(f"grade every line; missing {missing[0]}", field="grades")
        self._move(S.INSPECTED, at)
        for line in self.lines:
            line.grade = grades[line.order_line_id]
            note = (notes or {}).get(line.order_line_id)
            line.note = note.strip()[:1000] if note else line.note
        self.events.append(
            ev.ReturnInspected(*self._base(), tuple((k, grades[k].value) for k in sorted(grades)))
        )

    def put_away(
        self, at: datetime, dispositions: Mapping[str, Disposition] | None = None,
        *, location: str | None = None,
    ) -> None:  # fmt: skip
        """Restock or dispose of each line: by default what was graded resellable or
        refurbish goes back to stock, damaged goods and wrong items are disposed of.
        ``location`` (a stock location's code) says where restocked units go."""
        if location is not None and not LOCATION.fullmatch(location):
            raise InvalidInput("a location code: letters, digits, . _ - (1-64)", field="location")
        chosen = dict(dispositions or {})
        unknown = sorted(set(chosen) - {line.order_line_id for line in self.lines})
        if unknown:
            raise InvalidInput(f"not a line of this return: {unknown[0]}", field="dispositions")
        if self.status is not S.INSPECTED:
            raise Conflict(
                f"a return that is {self.status.value} cannot be put away", field="status"
            )
        for line in self.lines:
            line.disposition = chosen.get(line.order_line_id) or (
                Disposition.RESTOCK
                if line.grade in (Grade.RESELLABLE, Grade.REFURBISH)
                else Disposition.DISPOSE
            )
            line.location = location if line.disposition is Disposition.RESTOCK else None
        restocked = any(line.disposition is Disposition.RESTOCK for line in self.lines)
        self._move(S.RESTOCKED if restocked else S.DISPOSED, at)
        for line in self.lines:
            facts = (*self._base(), line.order_line_id, line.sku, line.quantity)
            self.events.append(
                ev.ReturnItemRestocked(*facts, location=location)
                if line.disposition is Disposition.RESTOCK
                else ev.ReturnItemDisposed(*facts)
            )

    def ready_to_resolve(self) -> bool:
        """Goods are back and put away, or nothing comes back (keep it)."""
        if self.keep_it:
            return self.status is S.APPROVED
        return self.status in (S.RESTOCKED, S.DISPOSED)

    def exchanged(self, at: datetime, exchange_order_id: str) -> None:
        """Record that the exchange order was created (it ships like any other order)."""
        if self.resolution is not Resolution.EXCHANGE or self.exchange is None:
            raise Conflict("this return is not an exchange", field="resolution")
        if not self.ready_to_resolve():
            raise Conflict(
                f"a return that is {self.status.value} cannot be exchanged yet", field="status"
            )
        self._move(S.EXCHANGED, at)
        self.exchange.order_id = exchange_order_id
        self.resolution_reference = f"order:{exchange_order_id}"
        self.events.append(ev.ReturnExchanged(*self._base(), exchange_order_id))

    def resolve(self, at: datetime, reference: str) -> None:
        """Record that the money went back (refund) or the credit was issued."""
        if self.resolution is Resolution.EXCHANGE:
            raise Conflict("an exchange is resolved by its exchange order", field="resolution")
        if not self.ready_to_resolve():
            raise Conflict(
                f"a return that is {self.status.value} cannot be refunded yet", field="status"
            )
        credit = self.resolution is Resolution.STORE_CREDIT or self.gift
        self._move(S.CREDITED if credit else S.REFUNDED, at)
        self.resolution_reference = reference
        if credit:
            amount = self.credit
            self.events.append(
                ev.ReturnCredited(
                    *self._base(), str(amount.amount), amount.currency, reference, gift=self.gift
                )
            )
        else:
            self.events.append(
                ev.ReturnRefunded(
                    *self._base(),
                    str(self.refund.amount),
                    self.refund.currency,
                    reference,
                    gift=self.gift,
                )
            )


def held_quantities(returns: Sequence[Return]) -> dict[str, int]:
    """Units of each order line that live returns already hold."""
    held: dict[str, int] = {}
    for r in returns:
        if r.status in HOLDS_UNITS:
            for k, q in r.quantities().items():
                held[k] = held.get(k, 0) + q
    return held
