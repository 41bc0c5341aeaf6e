"""Sample data for previews: realistic enough that a template mistake shows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from postpurchase.domain.money import Money
from postpurchase.domain.notifications import (
    Branding,
    Channel,
    LineItem,
    MessageContext,
    pick_locale,
)

# Per locale: a currency, a zone and a name a shopper there might have.
_LOCAL = {
    "en": ("USD", "America/New_York", "Ada Lovelace"),
    "es": ("EUR", "Europe/Madrid", "Lucía Fernández"),
    "pt-BR": ("BRL", "America/Sao_Paulo", "João da Silva"),
    "fr": ("EUR", "Europe/Paris", "Camille Martin"),
    "de": ("EUR", "Europe/Berlin", "Jürgen Müller"),
}

_SUBSTATUS = {"delayed": "weather", "exception": "address_issue"}
_STATUS = {
    "order_confirmed": None, "shipped": "info_received", "out_for_delivery": "out_for_delivery",
    "delivered": "delivered", "failed_attempt": "attempt_failed",
    "available_for_pickup": "available_for_pickup", "delayed": "exception",
    "exception": "exception", "estimate_changed": "in_transit",
}  # fmt: skip


def sample_context(
    flow: str,
    locale: str,
    channel: Channel = Channel.EMAIL,
    *,
    base_url: str = "https://shop.example.com",
) -> MessageContext:
    locale = pick_locale(locale)
    currency, tz, name = _LOCAL[locale]
    shipment_flow = flow != "order_confirmed" and not flow.startswith("return_")
    lines = (
        LineItem("Ceramic mug", 2, Money(Decimal("25.00"), currency)),
        LineItem("Organic cotton T-shirt", 1, Money(Decimal("20.00"), currency)),
    )
    return MessageContext(
        flow=flow,
        channel=channel,
        locale=locale,
        timezone=tz,
        merchant_name="Acme Goods",
        branding=Branding(sender_name="Acme Goods", reply_to="help@acme.example"),
        customer_name=name,
        order_number="#1001",
        order_total=Money(Decimal("50.10"), currency),
        shipping_fee=Money(Decimal("5.10"), currency),
        lines=lines,
        placed_at=datetime(2026, 11, 20, 14, 5, tzinfo=UTC),
        tracking_url=f"{base_url}/t/sample-token",
        unsubscribe_url=f"{base_url}/notifications/unsubscribe/sample"
        if channel is Channel.EMAIL
        else None,
        survey_url=f"{base_url}/t/sample-token/survey" if flow == "delivered" else None,
        carrier="ups" if shipment_flow or flow == "return_label_ready" else None,
        tracking_number="1Z999AA10123456784"
        if shipment_flow or flow == "return_label_ready"
        else None,
        estimate=date(2026, 11, 27) if shipment_flow else None,
        previous_estimate=date(2026, 11, 25) if flow == "estimate_changed" else None,
        status=_STATUS.get(flow),
        substatus=_SUBSTATUS.get(flow),
        event_at=datetime(2026, 11, 24, 15, 42, tzinfo=UTC),
        location="Springfield, IL, US" if flow == "available_for_pickup" else None,
        pickup_until=date(2026, 12, 1) if flow == "available_for_pickup" else None,
        remedy="We have refunded your shipping fee." if flow == "delayed" else None,
        return_url=f"{base_url}/returns/o/sample-token/r/sample"
        if flow.startswith("return_")
        else None,
        return_amount=Money(Decimal("24.30"), currency)
        if flow in ("return_refunded", "return_credited", "return_gift_credit")
        else None,
        gift_code="abcd-efgh-jkmn-pqrs" if flow == "return_gift_credit" else None,
        gift_kind="shopify_gift_card" if flow == "return_gift_credit" else None,
    )
