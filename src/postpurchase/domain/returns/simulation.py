"""What a draft policy would have done: the tally of replayed return requests.

The replay itself (``service_layer.returns.simulate``) rebuilds each past request as it was
asked (same order, lines, reasons, resolution, at the same instant) and evaluates it under
the draft; this module only adds the outcomes up, per currency, and counts which rules
refused or sent requests to review, so a merchant sees why a draft differs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from postpurchase.domain.returns.decisions import Quote, Verdict
from postpurchase.domain.returns.policy import Resolution


@dataclass(slots=True)
class Tally:
    """Outcomes of replayed requests. Amounts are per currency (never converted)."""

    requests: int = 0  # replayed
    approved: int = 0  # automatically
    review: int = 0  # would wait for a person
    refused: int = 0
    refunds: int = 0  # approved or review, paid to the original payment
    credits: int = 0  # store credit (gift returns included)
    keep_its: int = 0
    exchanges: int = 0
    refunded: dict[str, Decimal] = field(default_factory=dict)
    credited: dict[str, Decimal] = field(default_factory=dict)  # with the bonus
    fees: dict[str, Decimal] = field(default_factory=dict)  # return, restocking, method
    refused_by: Counter[str] = field(default_factory=Counter)  # rule -> requests
    review_by: Counter[str] = field(default_factory=Counter)

    def add(self, quote: Quote, *, gift: bool = False) -> None:
        """One request's outcome under the draft."""
        self.requests += 1
        if quote.verdict is Verdict.REFUSED:
            self.refused += 1
            for rule in dict.fromkeys(d.rule for d in quote.refused()):
                self.refused_by[rule] += 1
            return
        if quote.verdict is Verdict.REVIEW:
            self.review += 1
            for rule in dict.fromkeys(
                d.rule for d in quote.all_decisions() if d.verdict is Verdict.REVIEW
            ):
                self.review_by[rule] += 1
        else:
            self.approved += 1
        cur = quote.refund.currency
        fee = quote.restocking_fee + quote.return_fee
        if quote.method_fee is not None:
            fee = fee + quote.method_fee
        _add(self.fees, cur, fee.amount)
        r = quote.resolution
        if r is Resolution.KEEP_IT:
            self.keep_its += 1
        if r is Resolution.EXCHANGE:
            self.exchanges += 1
        elif r is Resolution.STORE_CREDIT or gift:
            self.credits += 1
            _add(self.credited, cur, quote.credit.amount)
        else:
            self.refunds += 1
            _add(self.refunded, cur, quote.refund.amount)

    def refused_invalid(self, field: str) -> None:
        """A request the draft cannot even read (a reason code it no longer has)."""
        self.requests += 1
        self.refused += 1
        self.refused_by[f"input.{field.split('.')[-1].split('[')[0]}"] += 1


def _add(into: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, Decimal(0)) + amount
