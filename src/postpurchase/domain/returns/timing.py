"""When a return's money goes back: the merchant's refund timing, and the law's deadline.

The policy's ``refund_timing`` picks the moment: at the return parcel's first carrier scan
(``first_scan``: the shopper has handed it over), on arrival (``arrival``: delivered back or
received at the counter), or after inspection (``inspection``, the default: the merchant
resolves the return once it is graded and put away). Paying early does not skip the
parcel's steps: the return still goes received → inspected → put away, and resolving it then
closes it without paying again (the ledger already holds the payment).

Exchanges and keep-its are not paid early: an exchange is settled by its exchange order, a
keep-it has no parcel and is resolved at once.

The EU's Consumer Rights Directive (art. 13) makes the trader refund within 14 days of being
told of the withdrawal, but lets them withhold it until the goods are back or the consumer
shows they sent them, whichever is first: the return parcel's first carrier scan is that
evidence. :func:`statutory_refund_deadline` says the last moment the law allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from postpurchase.domain.returns import events as ev
from postpurchase.domain.returns.lifecycle import Return, ReturnStatus
from postpurchase.domain.returns.policy import RefundTiming, Resolution
from postpurchase.domain.returns.statutory import EU_WITHDRAWAL_DAYS, eu_withdrawal_applies

# The steps that make a timing due (arrival also covers a parcel received without a scan).
_DUE_ON: dict[RefundTiming, frozenset[ReturnStatus]] = {
    RefundTiming.FIRST_SCAN: frozenset({ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED}),
    RefundTiming.ARRIVAL: frozenset({ReturnStatus.RECEIVED}),
    RefundTiming.INSPECTION: frozenset(),
}


# Told when the money goes back early; not told again when the return is resolved.
PAID_EVENTS = (ev.ReturnRefunded, ev.ReturnCredited)


def pays_early(ret: Return) -> bool:
    """Whether this return can be paid before it is inspected at all."""
    return ret.resolution in (Resolution.REFUND, Resolution.STORE_CREDIT) and not ret.keep_it


def due_early(timing: RefundTiming, steps: Iterable[ReturnStatus], ret: Return) -> bool:
    """True when one of ``steps`` (just taken) is the moment ``timing`` pays ``ret`` at."""
    return pays_early(ret) and any(s in _DUE_ON[timing] for s in steps)


def record_paid_early(ret: Return, at: datetime, reference: str, *, credit: bool) -> None:
    """The refund (or credit) went back before the return was resolved: the shopper is told
    now (``ReturnRefunded``/``ReturnCredited``), the return keeps its place in the lifecycle."""
    base = (ret.merchant_id, ret.id, ret.order_id)
    if credit:
        amount = ret.credit
        ret.events.append(
            ev.ReturnCredited(*base, str(amount.amount), amount.currency, reference, gift=ret.gift)
        )
    else:
        ret.events.append(
            ev.ReturnRefunded(
                *base, str(ret.refund.amount), ret.refund.currency, reference, gift=ret.gift
            )
        )


@dataclass(frozen=True, slots=True)
class RefundDeadline:
    due_by: datetime | None  # None: no statutory deadline applies
    rule: str
    explanation: str  # one line for the shopper or the merchant


def statutory_refund_deadline(
    country: str | None,
    requested_at: datetime,
    *,
    sent_at: datetime | None,
    received_at: datetime | None,
    statutory_rights: bool = True,
) -> RefundDeadline:
    """The law's last moment for the refund (EU/EEA: 14 days after the request, or later
    while neither the goods nor evidence of sending them have arrived)."""
    if not statutory_rights or not eu_withdrawal_applies(country):
        return RefundDeadline(
            None, "refund.merchant", "The shop's own terms set when you are paid."
        )
    due = requested_at + timedelta(days=EU_WITHDRAWAL_DAYS)
    evidence = [t for t in (sent_at, received_at) if t is not None]
    if not evidence:
        return RefundDeadline(
            None, "statutory.refund_withheld",
            "The law lets the shop wait until your parcel is sent back or received, then "
            f"refund within {EU_WITHDRAWAL_DAYS} days of your request.",
        )  # fmt: skip
    first = min(evidence)
    due = max(due, first)
    return RefundDeadline(
        due, "statutory.refund_deadline",
        f"By law you are refunded by {due.date().isoformat()} "
        f"({EU_WITHDRAWAL_DAYS} days from your request, once the parcel is on its way).",
    )  # fmt: skip
