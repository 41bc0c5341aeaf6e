"""One return label for several returns sent back in one parcel (consolidated returns).

``Returns.consolidate`` puts approved returns of one customer on a tracking number made
elsewhere; this buys that number. The same mechanism as a single return's label
(``ReturnLabelDesk``, the portal's ``portal_label``), with the same rules:

- no network I/O inside a transaction: the returns are checked and their orders read in a
  first transaction; the label is bought outside; a second transaction stores it;
- the weight is the sum of every return's lines (1 kg a return whose lines do not say);
- one idempotency key for the group, ``return-parcel-<hash of the sorted return ids>``: a
  retry, a second click or a replayed form gets the same label back from the carrier, and a
  group already labelled answers as it is without calling the carrier;
- one document and one QR code in the media store, shared by every return of the group;
  its one tracking number becomes each return's leg (``ReturnLabelIssued`` per return), and
  the parcel's scans move them all (``tracking.ReturnLegs``);
- all or none: a return that moved on meanwhile refuses the whole group (409 naming it).

The parcel leaves from the shipping address of the most recent order in the group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import CarrierGateway, LabelRequest, Parcel
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.media import MediaKind
from postpurchase.domain.money import Money
from postpurchase.domain.returns import Return, ReturnMethod, ReturnStatus
from postpurchase.service_layer.returns.audit import record_step, snapshot
from postpurchase.service_layer.returns.choices import weight_of
from postpurchase.service_layer.returns.labels import CONTENT_TYPES, LabelDeskBase
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork, OrderFacts
from postpurchase.service_layer.returns.simulate import ask_of

MAX_GROUP = 50
DEFAULT_GRAMS = 1000  # a return whose lines do not say what they weigh


def parcel_key(return_ids: Sequence[str]) -> str:
    """The group's idempotency key: the same returns, in any order, give the same key."""
    digest = hashlib.sha256(",".join(sorted(return_ids)).encode()).hexdigest()[:40]
    return f"return-parcel-{digest}"


def can_join(ret: Return) -> bool:
    """An approved return still to send, coming back by post (not in store, not kept)."""
    return (
        ret.status is ReturnStatus.APPROVED and not ret.keep_it and ret.tracking_number is None
        and ret.method is not ReturnMethod.IN_STORE
    )  # fmt: skip


def _labelled_together(found: Sequence[Return]) -> bool:
    numbers = {r.tracking_number for r in found}
    media = {r.label_media_id for r in found}
    return len(numbers) == 1 and None not in numbers and len(media) == 1 and None not in media


class ParcelLabelDesk(LabelDeskBase):
    """Buys one label for a group of returns (see the module text)."""

    def _check(
        self, uow: AbstractReturnsUnitOfWork, merchant_id: str, return_ids: Sequence[str],
        *, lock: bool = False,
    ) -> list[Return]:  # fmt: skip
        if len(set(return_ids)) != len(return_ids) or not 2 <= len(return_ids) <= MAX_GROUP:
            raise InvalidInput(f"2 to {MAX_GROUP} different returns", field="ids")
        found: list[Return] = []
        for i, rid in enumerate(return_ids):
            ret = uow.returns.get(merchant_id, rid, lock=lock)
            if ret is None:
                raise NotFound("no such return", field=f"ids[{i}]")
            if found and ret.customer_email != found[0].customer_email:
                raise Conflict("a return of another customer", field=f"ids[{i}]")
            found.append(ret)
        return found

    def mates(self, merchant_id: str, ret: Return, candidates: Sequence[str]) -> list[Return]:
        """Of ``candidates`` (ids of the customer's returns), those that can travel with
        ``ret`` in one parcel: approved, still to send, by post, same customer."""
        if not can_join(ret) or ret.method not in (ReturnMethod.MAIL, None):
            return []
        out: list[Return] = []
        with self._uow() as uow:
            for rid in candidates:
                other = uow.returns.get(merchant_id, rid)
                if (
                    other is not None and other.id != ret.id and can_join(other)
                    and other.method in (ReturnMethod.MAIL, None)
                    and other.customer_email == ret.customer_email
                ):  # fmt: skip
                    out.append(other)
        return out

    def companions(self, merchant_id: str, ret: Return) -> list[Return]:
        """The other returns of the customer travelling in ``ret``'s parcel (same tracking
        number), for the status page's "pack these in the same box"."""
        if not ret.tracking_number:
            return []
        with self._uow() as uow:
            found = uow.returns.by_tracking_number(merchant_id, ret.tracking_number)
        return [r for r in found if r.id != ret.id and r.customer_email == ret.customer_email]

    def buy(
        self, merchant_id: str, return_ids: Sequence[str], gateway: CarrierGateway, service: str,
        *, actor: str,
    ) -> list[Return]:  # fmt: skip
        with self._uow() as uow:
            found = self._check(uow, merchant_id, return_ids)
            if _labelled_together(found):
                return found  # bought before
            facts: list[OrderFacts] = []
            for i, ret in enumerate(found):
                if not can_join(ret):
                    raise Conflict(
                        f"a return that is {ret.status.value} cannot be sent now"
                        if ret.tracking_number is None else "a return already on its way",
                        field=f"ids[{i}]",
                    )  # fmt: skip
                got = uow.orders.facts(merchant_id, ret.order_id)
                assert got is not None  # a return's order is never deleted (foreign key)
                facts.append(got)
            policy = uow.policies.active(merchant_id)
        if policy.return_to is None:
            raise Conflict("set the returns address (return_to) in the policy", field="return_to")
        to = policy.return_to
        grams = sum(
            weight_of(f, ask_of(r).lines) or DEFAULT_GRAMS
            for r, f in zip(found, facts, strict=True)
        )
        origin = max(facts, key=lambda f: f.order.placed_at).order.shipping_address
        key = parcel_key(return_ids)
        numbers = ", ".join(r.number for r in found)
        label = gateway.buy_label(
            LabelRequest(
                origin=origin, destination=Address(to.country, to.postal_code, to.region),
                parcels=(Parcel(max(1, grams)),), service=service, idempotency_key=key,
                reference=numbers[:64],
            )
        )  # fmt: skip
        code = self._qr(label.tracking_number)
        with self._uow() as uow:
            found = self._check(uow, merchant_id, return_ids, lock=True)
            if _labelled_together(found):
                return found  # another call stored the same label meanwhile
            for i, ret in enumerate(found):
                if not can_join(ret):
                    raise Conflict("a return moved on while its label was bought",
                                   field=f"ids[{i}]")  # fmt: skip
            kind = CONTENT_TYPES.get(label.label_format, "application/pdf")
            doc = uow.media.put(merchant_id, MediaKind.LABEL, kind, label.document, "return-parcel")
            qr = uow.media.put(merchant_id, MediaKind.LABEL, "image/png", code, "qr")
            now = self._now()
            together = sorted(r.id for r in found)
            shares = label_shares(label.price, [sum(x.quantity for x in r.lines) for r in found])
            for ret, share in zip(found, shares, strict=True):
                before = snapshot(ret)
                ret.issue_label(now, label.carrier, label.tracking_number)
                ret.label_media_id, ret.qr_media_id = doc.id, qr.id
                ret.label_cost = share  # each return's part, by units (keep-it advice reads it)
                uow.returns.record_decisions(
                    ret, None, now, actor="merchant",
                    note=f"label bought for {len(found)} returns in one parcel",
                )  # fmt: skip
                record_step(
                    uow, ret, actor=actor, action="returns.label", before=before,
                    extra={"consolidated_with": [x for x in together if x != ret.id],
                           "parcel_key": key},
                )  # fmt: skip
            uow.commit()
            if uow.collect_new_events() and self._after_commit is not None:
                self._after_commit()
            return found


def label_shares(price: Money | None, units: list[int]) -> list[Money | None]:
    """The parcel's label price shared among its returns by the units each put in the box,
    rounded to the currency, the rounding left on the last, so the shares add up to the
    price. No price (the carrier quoted none): no share either."""
    if price is None or not units:
        return [None] * len(units)
    total = sum(units) or len(units)
    weights = units if sum(units) else [1] * len(units)
    shares = [Money(price.amount * w / total, price.currency).rounded() for w in weights[:-1]]
    spent = sum((s.amount for s in shares), Decimal(0))
    return [*shares, Money(price.amount - spent, price.currency)]
