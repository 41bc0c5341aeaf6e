"""What an agent does about a shipment: message the customer, reship, refund the shipping fee,
mark resolved. Each checks the role (agent or owner), the shipment (this merchant's), and
leaves an audit entry and a resolution of the kinds of attention the shipment needed.

A message, a resolution and their audit entry are one transaction. A reshipment and a refund
go through the platform's own paths (the shipment command; the refund ledger command; the
store's refund port, which calls the store outside any transaction) and hand those paths the
audit entry, so it commits in the change's own transaction (a store refund: ``requested``
with its pending attempt before the call, the outcome with its settlement after). The
resolution follows in the next transaction: if the process died between the two, the
shipment would show in the queue again, audited, never changed without an entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.console import ACT, Attention, Principal, kinds_of
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.ids import new_id
from postpurchase.service_layer.console.accounts import NotAllowed
from postpurchase.service_layer.console.ports import (
    AbstractConsoleUnitOfWork,
    AgentMessage,
    ParcelOfOrder,
)

MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_NOTE = 500


class Reshipper(Protocol):
    def reship(
        self,
        merchant_id: str,
        order_id: str,
        tracking_number: str,
        carrier: str | None,
        audit: AuditEntry,
    ) -> str:
        """Record a new shipment of the order with ``audit`` in its transaction; its id (the
        same id for the same number)."""
        ...


class ShippingRefunder(Protocol):
    def refund_shipping(self, parcel: ParcelOfOrder, key: str, audit: AuditEntry) -> str:
        """Refund the order's shipping fee once per ``key``, writing ``audit`` in the
        refund's own transaction(s); a reference to the refund."""
        ...


class ShipmentActions:
    def __init__(
        self,
        uow: Callable[[], AbstractConsoleUnitOfWork],
        now: Callable[[], datetime],
        *,
        no_scan_days: int,
        reshipper: Reshipper,
        refunder: ShippingRefunder,
    ) -> None:
        self.uow = uow
        self.now = now
        self.no_scan_days = no_scan_days
        self.reshipper = reshipper
        self.refunder = refunder

    # ---- the four actions -------------------------------------------------------------------

    def message(self, by: Principal, shipment_id: str, subject: str, body: str) -> str:
        """Queue an e-mail to the order's customer; the worker sends it. Its id."""
        self._may(by)
        subject, body = " ".join(subject.split()), body.strip()
        if not subject or len(subject) > MAX_SUBJECT:
            raise InvalidInput(f"1 to {MAX_SUBJECT} characters", field="subject")
        if not body or len(body) > MAX_BODY:
            raise InvalidInput(f"1 to {MAX_BODY} characters", field="body")
        now = self.now()
        with self.uow() as uow:
            parcel = self._parcel(uow, by, shipment_id)
            if not parcel.email:
                raise InvalidInput("the order has no e-mail address", field="email")
            message = AgentMessage(
                new_id(), by.merchant_id, parcel.order_id, parcel.id, parcel.customer_id,
                parcel.email, parcel.locale, subject, body, now,
            )  # fmt: skip
            uow.outbound.queue_email(message)
            self._done(uow, by, parcel, "messaged", None, {"message.subject": [None, subject]})
            uow.commit()
        return message.id

    def reship(
        self, by: Principal, shipment_id: str, tracking_number: str, carrier: str | None
    ) -> str:
        self._may(by)
        number = tracking_number.strip()
        if not number or len(number) > 64:
            raise InvalidInput("1 to 64 characters", field="tracking_number")
        with self.uow() as uow:
            parcel = self._parcel(uow, by, shipment_id)
        kinds = self._needs(parcel)
        entry = self._entry(
            by, parcel, "reshipped", kinds, {"reshipment.tracking_number": [None, number]}
        )
        new_shipment = self.reshipper.reship(
            by.merchant_id, parcel.order_id, number, (carrier or "").strip().lower() or None, entry
        )
        with self.uow() as uow:
            self._resolve(uow, by, parcel, "reshipped", None, kinds)
            uow.commit()
        return new_shipment

    def refund_shipping(self, by: Principal, shipment_id: str) -> str:
        self._may(by)
        with self.uow() as uow:
            parcel = self._parcel(uow, by, shipment_id)
        if parcel.shipping_fee.amount <= 0:
            raise InvalidInput("the order has no shipping fee to refund", field="shipping")
        fee = f"{parcel.shipping_fee.amount} {parcel.shipping_fee.currency}"
        kinds = self._needs(parcel)
        entry = self._entry(by, parcel, "refunded", kinds, {"refund.shipping": [None, fee]})
        key = f"console-shipping-{parcel.order_id}"
        reference = self.refunder.refund_shipping(parcel, key, entry)
        with self.uow() as uow:
            self._resolve(uow, by, parcel, "refunded", None, kinds)
            uow.commit()
        return reference

    def resolve(self, by: Principal, shipment_id: str, note: str | None) -> list[Attention]:
        self._may(by)
        note = " ".join((note or "").split()) or None
        if note is not None and len(note) > MAX_NOTE:
            raise InvalidInput(f"at most {MAX_NOTE} characters", field="note")
        with self.uow() as uow:
            parcel = self._parcel(uow, by, shipment_id)
            kinds = self._done(uow, by, parcel, "resolved", note, {"note": [None, note]})
            uow.commit()
        return kinds

    # ---- shared steps -----------------------------------------------------------------------

    @staticmethod
    def _may(by: Principal) -> None:
        if not by.may(ACT):
            raise NotAllowed(f"this needs the {ACT.value} role", field="role")

    @staticmethod
    def _parcel(uow: AbstractConsoleUnitOfWork, by: Principal, shipment_id: str) -> ParcelOfOrder:
        parcel = uow.parcels.get(by.merchant_id, shipment_id)
        if parcel is None:
            raise NotFound("no such shipment", field="shipment_id")
        return parcel

    def _done(
        self,
        uow: AbstractConsoleUnitOfWork,
        by: Principal,
        parcel: ParcelOfOrder,
        action: str,
        note: str | None,
        changes: dict[str, list[object]],
    ) -> list[Attention]:
        """Resolve what the shipment needed now and audit the action, in ``uow``."""
        kinds = self._needs(parcel)
        self._resolve(uow, by, parcel, action, note, kinds)
        uow.audit.record(self._entry(by, parcel, action, kinds, changes))
        return kinds

    def _needs(self, parcel: ParcelOfOrder) -> list[Attention]:
        return sorted(kinds_of(parcel.facts, self.now(), self.no_scan_days))

    def _resolve(
        self,
        uow: AbstractConsoleUnitOfWork,
        by: Principal,
        parcel: ParcelOfOrder,
        action: str,
        note: str | None,
        kinds: list[Attention],
    ) -> None:
        uow.resolutions.resolve(
            by.merchant_id, parcel.id, kinds, self.now(), by.actor, action, note
        )

    def _entry(
        self,
        by: Principal,
        parcel: ParcelOfOrder,
        action: str,
        kinds: list[Attention],
        changes: dict[str, list[object]],
    ) -> AuditEntry:
        changes = {**changes, "resolved": [None, [k.value for k in kinds]]}
        return AuditEntry(by.merchant_id, by.actor, f"console.shipment.{action}",
                          f"shipment:{parcel.id}", self.now(), changes)  # fmt: skip
