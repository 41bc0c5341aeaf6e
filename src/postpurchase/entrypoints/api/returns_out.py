"""Returns as the API answers them: domain values to the response shapes of
``returns_schemas`` (money as text with its currency, decisions with their rule)."""

from __future__ import annotations

from typing import Any

from postpurchase.domain.money import Money
from postpurchase.domain.returns import (
    Decision,
    Exchange,
    Footprint,
    Quote,
    Resolution,
    Return,
    ReturnStatus,
)
from postpurchase.entrypoints.api import returns_schemas as s
from postpurchase.service_layer.returns import Preview, to_exchange


def money(m: Money) -> s.MoneyOut:
    r = m.rounded()
    return s.MoneyOut(amount=str(r.amount), currency=r.currency)


def decision(d: Decision) -> s.DecisionOut:
    return s.DecisionOut(
        rule=d.rule, verdict=d.verdict.value, explanation=d.explanation, line_id=d.line_id
    )


def quote_out(q: Quote) -> s.QuoteOut:
    return s.QuoteOut(
        verdict=q.verdict.value,
        resolution=q.resolution.value,
        allowed_resolutions=[r.value for r in q.allowed_resolutions],
        policy_version=q.policy_version,
        lines=[
            s.QuotedLineOut(
                order_line_id=x.line_id,
                sku=x.sku,
                quantity=x.quantity,
                reason=x.reason_code,
                refund=money(x.refund),
                restocking_fee=money(x.restocking_fee),
                keep_it=x.keep_it,
                decision=decision(x.decision),
            )
            for x in q.lines
        ],
        decisions=[decision(d) for d in q.decisions if d.explanation],
        items=money(q.items),
        restocking_fee=money(q.restocking_fee),
        return_fee=money(q.return_fee),
        refund=money(q.refund),
        bonus=money(q.bonus),
        amount=money(q.amount),
        keep_it_offered=q.keep_it_offered,
        method=q.method.value if q.method else None,
        method_fee=money(q.method_fee) if q.method_fee is not None and q.method else None,
    )


def preview_out(p: Preview) -> s.QuoteOut:
    out = quote_out(p.quote)
    out.footprint = footprint_out(p.footprint) if p.footprint is not None else None
    if p.exchange is not None:
        out.exchange = exchange_out(to_exchange(p.exchange))
    return out


def footprint_out(f: Footprint) -> s.FootprintOut:
    return s.FootprintOut(
        kg_co2e=str(f.kg_co2e), distance_km=str(f.distance_km), precision=f.precision.value
    )


def exchange_out(x: Exchange) -> s.ExchangeOut:
    return s.ExchangeOut(
        lines=[
            s.ExchangeLineOut(
                order_line_id=e.order_line_id, variant_id=e.variant_id, sku=e.sku,
                title=e.title, quantity=e.quantity, unit_price=money(e.unit_price),
            )
            for e in x.lines
        ],
        charge=money(x.charge),
        order_id=x.order_id,
    )  # fmt: skip


def return_out(
    r: Return, quote: Quote | None = None, ledger: list[dict[str, Any]] | None = None
) -> s.ReturnOut:
    credit = r.resolution is Resolution.STORE_CREDIT or r.gift
    return s.ReturnOut(
        id=r.id,
        number=r.number,
        order_id=r.order_id,
        status=r.status.value,
        resolution=r.resolution.value,
        gift=r.gift,
        gift_email=r.gift_email,
        refund=money(r.refund),
        bonus=money(r.bonus),
        fees=money(r.fees),
        amount=money(r.credit if credit else r.refund),
        policy_version=r.policy_version,
        needs_review=r.status is ReturnStatus.REQUESTED,
        review_reason=r.review_reason,
        rejection_reason=r.rejection_reason,
        carrier=r.carrier,
        tracking_number=r.tracking_number,
        label_cost=money(r.label_cost) if r.label_cost is not None else None,
        resolution_reference=r.resolution_reference,
        method=r.method.value if r.method else None,
        co2e_kg=f"{r.co2e_kg:.2f}" if r.co2e_kg is not None else None,
        exchange=exchange_out(r.exchange) if r.exchange is not None else None,
        lines=[
            s.ReturnLineOut(
                order_line_id=x.order_line_id,
                sku=x.sku,
                quantity=x.quantity,
                reason=x.reason_code,
                refund=money(x.refund),
                rule=x.rule,
                grade=x.grade.value if x.grade else None,
                disposition=x.disposition.value if x.disposition else None,
                note=x.note,
                photos=list(x.photos),
                location=x.location,
            )
            for x in r.lines
        ],
        history=[s.StatusStep(status=st.value, at=at) for st, at in r.history],
        created_at=r.created_at,
        updated_at=r.updated_at,
        quote=quote_out(quote) if quote is not None else None,
        ledger=[
            s.LedgerEntryOut(
                id=str(e["id"]),
                kind=e["kind"],
                amount=money(Money(e["amount"], str(e["currency"]))),
                reference=e["reference"],
                created_at=e["created_at"],
            )
            for e in ledger or ()
        ],
    )
