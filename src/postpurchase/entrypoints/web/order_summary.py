"""The tracking page's order summary: what the shopper paid, row by row.

Rows are the lines at list price, the discount (with its codes), shipping and tax (when
prices exclude it), and the total exactly as stored: the page never recomputes money the
store computed. In the currency the shopper paid in (Shopify's presentment money) when the
store gave it. Built from the page's own order read (no extra query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from postpurchase.adapters.db import order_codec as codec
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import as_the_shopper_paid
from postpurchase.entrypoints.web.i18n import Translator


@dataclass(frozen=True, slots=True)
class SummaryRow:
    label: str
    amount: str  # formatted for the shopper's locale
    kind: str = "row"  # "row" | "discount" | "total"


@dataclass(frozen=True, slots=True)
class OrderSummary:
    rows: tuple[SummaryRow, ...]
    notes: tuple[str, ...]  # "Including $12.68 tax"
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
    gross = codec.row_lines_total(order)
    items, paid, _ = as_the_shopper_paid(gross, codec.row_totals(order), details)

    def fmt(amount: Money) -> str:
        return t.money(amount.rounded().amount, amount.currency)

    rows = [SummaryRow(t("summary.subtotal"), fmt(items))]
    discount = items - paid.subtotal
    if discount.amount > 0:
        codes = ", ".join(d.code for d in details.discounts if d.code)
        label = t("summary.discount") + (f" ({codes})" if codes else "")
        rows.append(SummaryRow(label, "−" + fmt(discount), "discount"))
    rows.append(SummaryRow(t("summary.shipping"), fmt(paid.shipping)))
    notes: list[str] = []
    if paid.tax.amount and not paid.taxes_included:
        rows.append(SummaryRow(t("summary.tax"), fmt(paid.tax)))
    elif paid.tax.amount:
        notes.append(t("summary.tax_included", amount=fmt(paid.tax)))
    rows.append(SummaryRow(t("summary.total"), fmt(paid.total), "total"))
    return OrderSummary(tuple(rows), tuple(notes), paid.total)
