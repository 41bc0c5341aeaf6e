"""A return's label, bought from a carrier through the carrier port
(``domain.carriers.CarrierGateway.buy_label``), with a QR code for box-free drop-off.

No network I/O inside a transaction: the return is checked and the order read in a first
one; the label is bought outside, under the idempotency key ``return-label-<return id>`` (a
retry gets the same label back); a second transaction stores the document and the QR code in
the media store and moves the return to ``label_issued``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import CarrierGateway, LabelFormat, LabelRequest, Parcel
from postpurchase.domain.errors import Conflict, NotFound
from postpurchase.domain.media import MediaKind
from postpurchase.domain.returns import Return, ReturnStatus
from postpurchase.service_layer.returns.audit import record_step, snapshot
from postpurchase.service_layer.returns.choices import weight_of
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork
from postpurchase.service_layer.returns.simulate import ask_of

CONTENT_TYPES = {LabelFormat.PDF: "application/pdf", LabelFormat.ZPL: "application/zpl"}


class LabelDeskBase:
    """What a desk that buys return labels needs: the returns unit of work, the clock,
    ``qr`` rendering a text as a PNG QR code (segno, in an adapter), and the hook run after
    a commit that raised events (the outbox nudge)."""

    def __init__(
        self,
        uow: Callable[[], AbstractReturnsUnitOfWork],
        now: Callable[[], datetime],
        qr: Callable[[str], bytes],
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._qr = qr
        self._after_commit = after_commit


class ReturnLabelDesk(LabelDeskBase):
    """Buys one return's label, with its QR code for a box-free drop-off."""

    def buy(
        self, merchant_id: str, return_id: str, gateway: CarrierGateway, service: str,
        *, actor: str,
    ) -> Return:  # fmt: skip
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if ret.status is ReturnStatus.LABEL_ISSUED and ret.label_media_id:
                return ret  # bought before
            if ret.status is not ReturnStatus.APPROVED or ret.keep_it:
                raise Conflict(f"a return that is {ret.status.value} gets no label", field="status")
            facts = uow.orders.facts(merchant_id, ret.order_id)
            policy = uow.policies.active(merchant_id)
        if policy.return_to is None or facts is None:
            raise Conflict("set the returns address (return_to) in the policy", field="return_to")
        to = policy.return_to
        grams = weight_of(facts, ask_of(ret).lines) or 1000
        label = gateway.buy_label(
            LabelRequest(
                origin=facts.order.shipping_address,
                destination=Address(to.country, to.postal_code, to.region),
                parcels=(Parcel(max(1, grams)),), service=service,
                idempotency_key=f"return-label-{ret.id}", reference=ret.number,
            )
        )  # fmt: skip
        code = self._qr(label.tracking_number)
        with self._uow() as uow:
            ret = uow.returns.get(merchant_id, return_id, lock=True)
            if ret is None:
                raise NotFound("no such return", field="return_id")
            if ret.label_media_id:
                return ret  # another call stored the same label meanwhile
            kind = CONTENT_TYPES.get(label.label_format, "application/pdf")
            doc = uow.media.put(
                merchant_id, MediaKind.LABEL, kind, label.document, f"return-{ret.number}"
            )
            qr = uow.media.put(merchant_id, MediaKind.LABEL, "image/png", code, "qr")
            now = self._now()
            before = snapshot(ret)
            ret.issue_label(now, label.carrier, label.tracking_number)
            ret.label_media_id, ret.qr_media_id = doc.id, qr.id
            ret.label_cost = label.price  # measured label costs feed the keep-it advice
            uow.returns.record_decisions(ret, None, now, actor="merchant", note="label bought")
            record_step(uow, ret, actor=actor, action="returns.label", before=before)
            uow.commit()
            if uow.collect_new_events() and self._after_commit is not None:
                self._after_commit()
            return ret
