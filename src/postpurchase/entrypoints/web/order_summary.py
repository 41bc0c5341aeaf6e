"""The tracking page's order summary: what the shopper paid, row by row.

Rows are the lines at list price, the discount (with its codes), shipping and tax (when
prices exclude it), and the total exactly as stored: the page never recomputes money the
store computed. Built from the page's own order read (no extra query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from postpurchase.adapters.db import order_codec as codec
from postpurchase.domain.money import Money
from postpurchase.domain.orders import OrderLineInput, derive_totals
from postpurchase.entrypoints.web.i18n import Translator


@dataclass(frozen=True, slots=True)
class SummaryRow:
    label: str
    amount: str  # formatted for the shopper's locale
    kind: str = "row"  # "row" | "discount" | "total"


@dataclass(frozen=True, slots=True)
class OrderSummary:
    rows: tuple[SummaryRow, ...]
    notes: tuple[str, ...]  # "Including $12.68 tax", "Charged as CA$192.36"
    total: Money

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": self.total.currency,
            "total": str(self.total.rounded().amount),
            "rows": [{"label": r.label, "amount": r.amount, "kind": r.kind} for r in self.rows],
            "notes": list(self.notes),
        }


def build(order: Mapping[str, Any], t: Translator) -> OrderSummary:
    cur = order["currency"]
    details = codec.details_from(order.get("details"), cur)
    totals = codec.totals_from(order, cur)
    shown = [li for li in order["lines"] if not (li.get("facts") or {}).get("removed")]
    gross = sum((Decimal(li["unit_price"]) * li["quantity"] for li in shown), Decimal(0))
    if totals is None:  # stored before totals were: the lines say it all
        lines = [
            OrderLineInput(
                li["sku"], li["name"], li["quantity"], Money(Decimal(li["unit_price"]), cur)
            )
            for li in shown
        ]
        totals = derive_totals(lines, Money(Decimal(order["shipping_fee"]), cur))

    def fmt(amount: Decimal) -> str:
        return t.money(Money(amount, cur).rounded().amount, cur)

    rows = [SummaryRow(t("summary.subtotal"), fmt(gross))]
    discount = gross - totals.subtotal.amount
    if discount > 0:
        codes = ", ".join(d.code for d in details.discounts if d.code)
        label = t("summary.discount") + (f" ({codes})" if codes else "")
        rows.append(SummaryRow(label, "−" + fmt(discount), "discount"))
    rows.append(SummaryRow(t("summary.shipping"), fmt(totals.shipping.amount)))
    notes: list[str] = []
    if totals.tax.amount and not totals.taxes_included:
        rows.append(SummaryRow(t("summary.tax"), fmt(totals.tax.amount)))
    elif totals.tax.amount:
        notes.append(t("summary.tax_included", amount=fmt(totals.tax.amount)))
    rows.append(SummaryRow(t("summary.total"), fmt(totals.total.amount), "total"))
    presented = details.presentment_total
    if presented is not None and presented.currency != cur:
        amount = t.money(presented.rounded().amount, presented.currency)
        notes.append(t("summary.presentment", amount=amount))
    return OrderSummary(tuple(rows), tuple(notes), totals.total)
