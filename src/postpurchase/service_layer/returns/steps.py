"""The merchant's side of the returns use cases: review, the parcel's way back by hand,
inspection and put-away, and the resolve that pays (or places the exchange order) once.

Each step runs in one transaction with its audit entry (``returns.*``, subject
``return:<id>``), so a step never lands unaudited and a refused step leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from postpurchase.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from postpurchase.domain.returns import (
    PAID_EVENTS,
    Disposition,
    Grade,
    Resolution,
    Return,
    ReturnStatus,
)
from postpurchase.service_layer.returns.audit import (
    record_step,
    snapshot,
)
from postpurchase.service_layer.returns.context import (
    LineAsk,
    ReturnAsk,
)
from postpurchase.service_layer.returns.core import ReturnsCore
from postpurchase.service_layer.returns.photos import _check_photos
from postpurchase.service_layer.returns.timing import paid_before


class MerchantSide(ReturnsCore):
    """Approve, reject (one or many), label, in transit, receive, inspect, resolve."""

    def _step(
        self, merchant_id: str, return_id: str, act: Callable[[Return, datetime], None],
        *, note: str = "", actor: str, action: str,
    ) -> Return:  # fmt: skip
        """One step in one transaction, audited as ``action`` by ``actor`` in it."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            now = self._now()
            before = snapshot(ret)
            act(ret, now)
            uow.returns.record_decisions(ret, None, now, actor="merchant", note=note)
            record_step(uow, ret, actor=actor, action=action, before=before)
            self._commit(uow)
            return ret

    def approve(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.approve(at), note="approved",
            actor=actor, action="returns.approve",
        )  # fmt: skip

    def reject(self, merchant_id: str, return_id: str, reason: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.reject(at, reason), note=reason[:500],
            actor=actor, action="returns.reject",
        )  # fmt: skip

    def bulk_approve(
        self, merchant_id: str, return_ids: Sequence[str], *, actor: str
    ) -> list[tuple[str, Return | None, DomainError | None]]:
        """Each id on its own: one that cannot be approved is refused, the others are not."""
        out: list[tuple[str, Return | None, DomainError | None]] = []
        for rid in return_ids:
            try:
                out.append((rid, self.approve(merchant_id, rid, actor=actor), None))
            except DomainError as exc:
                out.append((rid, None, exc))
        return out

    def bulk_reject(
        self, merchant_id: str, return_ids: Sequence[str], reason: str, *, actor: str
    ) -> list[tuple[str, Return | None, DomainError | None]]:
        """Like ``bulk_approve``: each id on its own, one reason (shown to each shopper)."""
        out: list[tuple[str, Return | None, DomainError | None]] = []
        for rid in return_ids:
            try:
                out.append((rid, self.reject(merchant_id, rid, reason, actor=actor), None))
            except DomainError as exc:
                out.append((rid, None, exc))
        return out

    def issue_label(
        self, merchant_id: str, return_id: str, carrier: str | None, tracking_number: str | None,
        *, actor: str,
    ) -> Return:  # fmt: skip
        return self._step(
            merchant_id, return_id,
            lambda r, at: r.issue_label(at, carrier, tracking_number), note="label",
            actor=actor, action="returns.label",
        )  # fmt: skip

    def consolidate(
        self, merchant_id: str, return_ids: Sequence[str], carrier: str | None,
        tracking_number: str, *, actor: str,
    ) -> list[Return]:  # fmt: skip
        """Several approved returns of one customer sent back in one parcel: each gets the
        parcel's carrier and number in one transaction (all or none), audited as
        ``returns.label`` with the returns it travels with. The parcel's scans then move them
        all (``tracking.ReturnLegs``)."""
        if len(set(return_ids)) != len(return_ids) or not 2 <= len(return_ids) <= 50:
            raise InvalidInput("2 to 50 different returns", field="ids")
        with self._uow() as uow:
            found: list[Return] = []
            for i, rid in enumerate(return_ids):
                ret = uow.returns.get(merchant_id, rid, lock=True)
                if ret is None:
                    raise NotFound("no such return", field=f"ids[{i}]")
                if ret.customer_email != found[0].customer_email if found else False:
                    raise Conflict("a return of another customer", field=f"ids[{i}]")
                if ret.status is not ReturnStatus.APPROVED or ret.keep_it:
                    raise Conflict(
                        f"a return that is {ret.status.value} cannot be sent now",
                        field=f"ids[{i}]",
                    )
                found.append(ret)
            now = self._now()
            together = sorted(r.id for r in found)
            for ret in found:
                before = snapshot(ret)
                ret.issue_label(now, carrier, tracking_number)
                uow.returns.record_decisions(
                    ret, None, now, actor="merchant", note=f"consolidated: {len(found)} returns"
                )
                record_step(
                    uow, ret, actor=actor, action="returns.label", before=before,
                    extra={"consolidated_with": [x for x in together if x != ret.id]},
                )  # fmt: skip
            self._commit(uow)
            return found

    def in_transit(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.ship(at), note="in transit",
            actor=actor, action="returns.in_transit",
        )  # fmt: skip

    def receive(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        return self._step(
            merchant_id, return_id, lambda r, at: r.receive(at), note="received",
            actor=actor, action="returns.receive",
        )  # fmt: skip

    def inspect(
        self,
        merchant_id: str,
        return_id: str,
        grades: Mapping[str, Grade],
        notes: Mapping[str, str] | None = None,
        dispositions: Mapping[str, Disposition] | None = None,
        *,
        put_away: bool = True,
        photos: Mapping[str, tuple[str, ...]] | None = None,
        actor: str,
        location: str | None = None,
    ) -> Return:
        """Grade the lines (with notes and the inspector's photos), then (by default)
        restock (into ``location``, when named) or dispose of them in the same step; audited
        as ``returns.inspect`` and ``returns.put_away``."""
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            for line_id, ids in (photos or {}).items():
                ask = ReturnAsk((LineAsk(line_id, 1, "", ids),))
                try:
                    _check_photos(uow, merchant_id, ret.order_id, ask)
                except InvalidInput:
                    raise InvalidInput(
                        "no such photo for this order",
                        field=f"photos.{line_id}",
                    ) from None
            now = self._now()
            before = snapshot(ret)
            ret.inspect(now, grades, notes)
            for line in ret.lines:
                for media_id in (photos or {}).get(line.order_line_id, ()):
                    if media_id not in line.photos:
                        line.photos.append(media_id)
            record_step(uow, ret, actor=actor, action="returns.inspect", before=before)
            if put_away:
                graded = snapshot(ret)
                ret.put_away(now, dispositions, location=location)
                where = {"location": location} if location else None
                record_step(
                    uow, ret, actor=actor, action="returns.put_away", before=graded, extra=where
                )
            uow.returns.record_decisions(ret, None, now, actor="merchant", note="inspected")
            self._commit(uow)
            return ret

    def resolve(self, merchant_id: str, return_id: str, *, actor: str) -> Return:
        """Pay the refund or issue the credit (or create the exchange order), once.

        No network I/O inside a transaction: the return is checked and the order read in a
        first one; the store's refund (``StoreRefunds``, idempotent per return) and the
        exchange order are made outside; a second transaction records the result in the
        ledger and moves the return on. Resolving again replays the store's first answer.
        """
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if not ret.ready_to_resolve():
                raise Conflict(
                    f"a return that is {ret.status.value} cannot be refunded yet", field="status"
                )
            facts = uow.orders.facts(merchant_id, ret.order_id)
            early = paid_before(uow, ret)  # paid at its first scan or arrival (refund_timing)
        assert facts is not None  # a return's order is never deleted (foreign key)
        credit = ret.resolution is Resolution.STORE_CREDIT or ret.gift
        exchange_order: str | None = None
        if ret.resolution is Resolution.EXCHANGE:
            if self._exchanges is None:
                raise Conflict("exchange orders are not available here", field="resolution")
            exchange_order = self._exchanges.create(ret, facts)
        paid = (
            self._store.refund(ret, facts, credit=credit and exchange_order is None)
            if self._store is not None and ret.refund.amount > 0 and early is None
            else None
        )
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if ret.status in (ReturnStatus.REFUNDED, ReturnStatus.CREDITED, ReturnStatus.EXCHANGED):
                return ret  # resolved meanwhile by another call: the store was paid once
            now = self._now()
            before = snapshot(ret)
            if exchange_order is not None:
                amount = (
                    self._issuer.refund(uow, ret, now, paid).amount
                    if ret.refund.amount > 0
                    else None
                )
                ret.exchanged(now, exchange_order)
                action = "returns.exchange"
            elif early is not None:  # closed without paying again; the shopper was told
                ret.resolve(now, early.reference)
                ret.events = [e for e in ret.events if not isinstance(e, PAID_EVENTS)]
                amount = None  # paid earlier, by the refund timing, and audited then
                action = "returns.resolve"
            else:
                issued = (
                    self._issuer.credit(uow, ret, now, paid)
                    if credit
                    else self._issuer.refund(uow, ret, now, paid)
                )
                amount = issued.amount
                ret.resolve(now, issued.reference)
                action = "returns.credit" if credit else "returns.refund"
            paid_out = (
                None
                if amount is None
                else {"amount": str(amount.rounded().amount), "currency": amount.currency}
            )
            record_step(
                uow, ret, actor=actor, action=action, before=before,
                extra={"paid": paid_out} if paid_out else None,
            )  # fmt: skip
            uow.returns.record_decisions(ret, None, now, actor="merchant", note="resolved")
            self._commit(uow)
            return ret
