"""The orders the Shopify webhook benchmark sends, generated from a seed: each one as the
orders/create body Shopify sends (~10 KB of JSON), its fulfillments/create body, and the
same order as POST /api/v1/orders takes it, so both paths store the same orders."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

CENT = Decimal("0.01")
TAX_RATE = Decimal("0.08875")

# (sku, title, variant title, price, grams)
CATALOGUE = [
    ("TRJ-SLT-M", "Trail Runner Jacket", "Slate / M", "129.00", 780),
    ("TRJ-MOS-L", "Trail Runner Jacket", "Moss / L", "129.00", 810),
    ("MTS-3PK", "Merino Trail Sock 3-pack", None, "24.00", 240),
    ("BNE-CHR", "Ridge Beanie", "Charcoal", "32.00", 110),
    ("HKP-30L", "Summit Pack 30L", "Moss", "149.00", 1350),
    ("BTL-750", "Insulated Bottle 750 ml", "Sand", "38.00", 420),
    ("GLV-TCH-L", "Touchscreen Gloves", "L", "45.00", 120),
    ("TEE-MRN-S", "Merino Tee", "Navy / S", "68.00", 180),
    ("", "Gift wrapping", None, "5.00", 0),  # a SKU-less line, as shops have
]
PLACES = [
    ("Brooklyn", "NY", "New York", "11201", "200 Court St"),
    ("Portland", "OR", "Oregon", "97205", "1120 SW 5th Ave"),
    ("Austin", "TX", "Texas", "78701", "401 Congress Ave"),
    ("Chicago", "IL", "Illinois", "60607", "910 W Van Buren St"),
    ("Denver", "CO", "Colorado", "80202", "1600 Champa St"),
]
NAMES = ["Avery Lee", "Sam Ortiz", "Jordan Kim", "Riley Chen", "Morgan Diaz", "Casey Novak"]


def _m(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_EVEN))


def _set(value: Decimal) -> dict[str, Any]:
    amount = {"amount": _m(value), "currency_code": "USD"}
    return {"shop_money": amount, "presentment_money": dict(amount)}


@dataclass
class Line:
    line_id: int
    product_id: int
    variant_id: int
    sku: str
    title: str
    variant_title: str | None
    price: Decimal
    grams: int
    quantity: int
    discount: Decimal
    tax: Decimal


@dataclass
class Spec:
    """One order, rendered both as Shopify sends it and as POST /api/v1/orders takes it."""

    order_id: int
    number: int
    email: str
    name: str
    place: tuple[str, str, str, str, str]
    created_at: datetime
    lines: list[Line]
    code: str | None
    shipping_title: str
    shipping_code: str
    shipping: Decimal
    marketing: bool
    tags: list[str] = field(default_factory=list)

    @property
    def discounts(self) -> Decimal:
        return sum((li.discount for li in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return sum((li.tax for li in self.lines), Decimal(0))

    @property
    def subtotal(self) -> Decimal:
        return sum((li.price * li.quantity for li in self.lines), Decimal(0)) - self.discounts

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + self.tax


def make_specs(n: int, first_id: int, rng: random.Random) -> list[Spec]:
    specs = []
    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    for i in range(n):
        order_id = first_id + i
        code = "WELCOME10" if rng.random() < 0.6 else None
        picked = rng.sample(CATALOGUE[:-1], rng.randint(2, 4))
        if rng.random() < 0.15:
            picked.append(CATALOGUE[-1])
        lines = []
        for k, (sku, title, variant, price, grams) in enumerate(picked):
            qty = rng.choice([1, 1, 1, 2, 3])
            gross = Decimal(price) * qty
            disc = (gross * Decimal("0.10")).quantize(CENT) if code else Decimal(0)
            tax = ((gross - disc) * TAX_RATE).quantize(CENT)
            product = 8_123_981_000_000 + CATALOGUE.index((sku, title, variant, price, grams))
            lines.append(
                Line(order_id * 10 + k, product, product + 36_395_356_000_000, sku, title,
                     variant, Decimal(price), grams, qty, disc, tax)
            )  # fmt: skip
        express = rng.random() < 0.2
        gross = sum((li.price * li.quantity for li in lines), Decimal(0))
        shipping = Decimal("14.95") if express else Decimal(0 if gross >= 150 else "6.95")
        name = rng.choice(NAMES)
        specs.append(
            Spec(
                order_id=order_id, number=1001 + i,
                email=f"{name.split()[0].lower()}.{order_id}@example.com", name=name,
                place=rng.choice(PLACES), created_at=start + timedelta(seconds=37 * i),
                lines=lines, code=code,
                shipping_title="Express" if express else "Standard",
                shipping_code="EXPRESS" if express else "STANDARD", shipping=shipping,
                marketing=rng.random() < 0.4,
                tags=rng.sample(["newsletter", "vip", "wholesale", "first-order"], 2),
            )
        )  # fmt: skip
    return specs


def _address(s: Spec) -> dict[str, Any]:
    city, region_code, region, zip_code, street = s.place
    first, last = s.name.split()
    return {"first_name": first, "address1": street, "phone": "+1 555-0100", "city": city,
            "zip": zip_code, "province": region, "country": "United States",
            "last_name": last, "address2": "Apt 4", "company": None, "latitude": 40.69,
            "longitude": -73.99, "name": s.name, "country_code": "US",
            "province_code": region_code}  # fmt: skip


def shopify_order(s: Spec) -> dict[str, Any]:
    """An orders/create body in the shape Shopify sends (REST Admin API 2025-07)."""
    ts = s.created_at.isoformat()
    first, last = s.name.split()
    disc, tax, sub, tot = s.discounts, s.tax, s.subtotal, s.total
    line_items = []
    for li in s.lines:
        line_items.append({
            "id": li.line_id, "admin_graphql_api_id": f"gid://shopify/LineItem/{li.line_id}",
            "attributed_staffs": [], "current_quantity": li.quantity,
            "fulfillable_quantity": li.quantity, "fulfillment_service": "manual",
            "fulfillment_status": None, "gift_card": False, "grams": li.grams,
            "name": f"{li.title} - {li.variant_title}" if li.variant_title else li.title,
            "price": _m(li.price), "price_set": _set(li.price), "product_exists": True,
            "product_id": li.product_id, "properties": [], "quantity": li.quantity,
            "requires_shipping": True, "sku": li.sku, "taxable": True, "title": li.title,
            "total_discount": "0.00", "total_discount_set": _set(Decimal(0)),
            "variant_id": li.variant_id, "variant_inventory_management": "shopify",
            "variant_title": li.variant_title, "vendor": "North Wind Outfitters",
            "tax_lines": [{"channel_liable": False, "price": _m(li.tax),
                           "price_set": _set(li.tax), "rate": float(TAX_RATE),
                           "title": "NY State Tax"}],
            "duties": [],
            "discount_allocations": [{"amount": _m(li.discount), "amount_set": _set(li.discount),
                                      "discount_application_index": 0}] if s.code else [],
        })  # fmt: skip
    return {
        "id": s.order_id, "admin_graphql_api_id": f"gid://shopify/Order/{s.order_id}",
        "app_id": 580111, "browser_ip": "203.0.113.54",
        "buyer_accepts_marketing": s.marketing, "cancel_reason": None, "cancelled_at": None,
        "cart_token": uuid.uuid5(uuid.NAMESPACE_OID, str(s.order_id)).hex,
        "checkout_id": s.order_id + 31_000_000_000_000,
        "checkout_token": uuid.uuid5(uuid.NAMESPACE_URL, str(s.order_id)).hex,
        "client_details": {"accept_language": "en-US", "browser_height": 812,
                           "browser_ip": "203.0.113.54", "browser_width": 375,
                           "session_hash": None,
                           "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) "
                                         "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"},
        "closed_at": None, "company": None, "confirmation_number": f"K{s.order_id % 10**8:08d}",
        "confirmed": True, "contact_email": s.email, "created_at": ts, "currency": "USD",
        "current_subtotal_price": _m(sub), "current_subtotal_price_set": _set(sub),
        "current_total_additional_fees_set": None,
        "current_total_discounts": _m(disc), "current_total_discounts_set": _set(disc),
        "current_total_duties_set": None,
        "current_total_price": _m(tot), "current_total_price_set": _set(tot),
        "current_total_tax": _m(tax), "current_total_tax_set": _set(tax),
        "customer_locale": "en-US", "device_id": None,
        "discount_codes": [{"code": s.code, "amount": _m(disc), "type": "percentage"}]
        if s.code else [],
        "email": s.email, "estimated_taxes": False, "financial_status": "paid",
        "fulfillment_status": None, "landing_site": "/products/trail-runner?utm_source=email",
        "landing_site_ref": None, "location_id": None, "merchant_of_record_app_id": None,
        "name": f"#{s.number}", "note": "Please leave with the concierge." if s.number % 7 == 0
        else None,
        "note_attributes": [{"name": "gift_message", "value": ""}],
        "number": s.number - 1000, "order_number": s.number,
        "order_status_url": f"https://north-wind.example.com/7304/orders/{s.order_id}/authenticate",
        "original_total_additional_fees_set": None, "original_total_duties_set": None,
        "payment_gateway_names": ["shopify_payments"], "phone": None, "po_number": None,
        "presentment_currency": "USD", "processed_at": ts, "reference": None,
        "referring_site": "", "source_identifier": None, "source_name": "web", "source_url": None,
        "subtotal_price": _m(sub), "subtotal_price_set": _set(sub), "tags": ", ".join(s.tags),
        "tax_exempt": False,
        "tax_lines": [{"price": _m(tax), "rate": float(TAX_RATE), "title": "NY State Tax",
                       "price_set": _set(tax), "channel_liable": False}],
        "taxes_included": False, "test": False,
        "token": uuid.uuid5(uuid.NAMESPACE_DNS, str(s.order_id)).hex,
        "total_discounts": _m(disc), "total_discounts_set": _set(disc),
        "total_line_items_price": _m(sub + disc), "total_line_items_price_set": _set(sub + disc),
        "total_outstanding": "0.00", "total_price": _m(tot), "total_price_set": _set(tot),
        "total_shipping_price_set": _set(s.shipping), "total_tax": _m(tax),
        "total_tax_set": _set(tax), "total_tip_received": "0.00",
        "total_weight": sum(li.grams * li.quantity for li in s.lines), "updated_at": ts,
        "user_id": None, "billing_address": _address(s),
        "customer": {
            "id": s.order_id + 2_000_000_000_000, "email": s.email, "created_at": ts,
            "updated_at": ts, "first_name": first, "last_name": last, "state": "enabled",
            "note": None, "verified_email": True, "multipass_identifier": None,
            "tax_exempt": False, "phone": None,
            "email_marketing_consent": {"state": "subscribed" if s.marketing
                                        else "not_subscribed", "opt_in_level": "single_opt_in",
                                        "consent_updated_at": ts},
            "sms_marketing_consent": None, "tags": "", "currency": "USD", "tax_exemptions": [],
            "admin_graphql_api_id": f"gid://shopify/Customer/{s.order_id + 2_000_000_000_000}",
            "default_address": {**_address(s), "id": s.order_id + 3_000_000_000_000,
                                "default": True},
        },
        "discount_applications": [{"target_type": "line_item", "type": "discount_code",
                                   "value": "10.0", "value_type": "percentage",
                                   "allocation_method": "across", "target_selection": "all",
                                   "code": s.code}] if s.code else [],
        "fulfillments": [], "line_items": line_items, "payment_terms": None, "refunds": [],
        "shipping_address": _address(s),
        "shipping_lines": [{
            "id": s.order_id + 4_000_000_000_000, "carrier_identifier": None,
            "code": s.shipping_code, "current_discounted_price_set": _set(s.shipping),
            "discounted_price": _m(s.shipping), "discounted_price_set": _set(s.shipping),
            "is_removed": False, "phone": None, "price": _m(s.shipping),
            "price_set": _set(s.shipping), "requested_fulfillment_service_id": None,
            "source": "shopify", "title": s.shipping_title, "tax_lines": [],
            "discount_allocations": [],
        }],
    }  # fmt: skip


def shopify_fulfillment(s: Spec, tracking_number: str) -> dict[str, Any]:
    """A fulfillments/create body: the whole order in one UPS parcel."""
    at = (s.created_at + timedelta(hours=20)).isoformat()
    url = f"https://www.ups.com/track?tracknum={tracking_number}"
    return {
        "id": s.order_id + 5_000_000_000_000,
        "admin_graphql_api_id": f"gid://shopify/Fulfillment/{s.order_id + 5_000_000_000_000}",
        "created_at": at, "location_id": 71234568451, "name": f"#{s.number}.1",
        "order_id": s.order_id, "origin_address": {}, "receipt": {}, "service": "manual",
        "shipment_status": "confirmed", "status": "success", "tracking_company": "UPS",
        "tracking_number": tracking_number, "tracking_numbers": [tracking_number],
        "tracking_url": url, "tracking_urls": [url], "updated_at": at,
        "line_items": [{"id": li.line_id, "quantity": li.quantity, "sku": li.sku,
                        "name": li.title, "title": li.title, "variant_id": li.variant_id,
                        "product_id": li.product_id, "fulfillment_status": "fulfilled",
                        "requires_shipping": True, "price": _m(li.price)}
                       for li in s.lines],
    }  # fmt: skip


def api_order(s: Spec) -> dict[str, Any]:
    """The same order as POST /api/v1/orders takes it."""
    city, region_code, _, zip_code, street = s.place
    address = {
        "country": "US",
        "postal_code": zip_code,
        "region": region_code,
        "city": city,
        "line1": street,
        "line2": "Apt 4",
        "name": s.name,
        "phone": "+1 555-0100",
    }
    return {
        "external_id": str(s.order_id), "number": f"#{s.number}", "email": s.email,
        "customer_name": s.name, "locale": "en", "currency": "USD",
        "lines": [{"sku": li.sku or f"variant-{li.variant_id}", "name": li.title,
                   "quantity": li.quantity, "unit_price": _m(li.price),
                   "weight_grams": li.grams, "discount": _m(li.discount), "tax": _m(li.tax),
                   "external_id": str(li.line_id), "product_id": str(li.product_id),
                   "variant_id": str(li.variant_id), "variant_title": li.variant_title}
                  for li in s.lines],
        "shipping_address": address, "billing_address": address,
        "shipping_fee": _m(s.shipping), "placed_at": s.created_at.isoformat(),
        "accepts_marketing": s.marketing,
        "shipping_method": {"title": s.shipping_title, "code": s.shipping_code},
        "discounts": [{"code": s.code, "kind": "code", "amount": _m(s.discounts)}]
        if s.code else [],
        "tax": _m(s.tax), "taxes_included": False, "total": _m(s.total), "paid": _m(s.total),
        "note": "Please leave with the concierge." if s.number % 7 == 0 else None,
        "note_attributes": {"gift_message": ""}, "tags": s.tags, "financial_status": "paid",
    }  # fmt: skip
