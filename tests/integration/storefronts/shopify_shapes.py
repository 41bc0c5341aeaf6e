"""Shopify's Admin GraphQL shapes for the tests, as its documentation gives them.

``graphql_order`` writes a REST Order fixture (the same order a webhook delivers) as the
GraphQL ``Order`` node the Admin API answers with: ``legacyResourceId``, ``*Set`` money
with ``shopMoney`` / ``presentmentMoney``, upper-case enums, connections with ``nodes``,
``discountApplications`` by ``__typename``. Written from the GraphQL reference, apart
from the adapter's own reading of it, so a backfilled order can be compared with the
webhook's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent.parent.parent / "fixtures" / "payloads"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text())


def _money(s: dict[str, Any] | None) -> dict[str, Any] | None:
    if not s:
        return None
    out = {}
    if s.get("shop_money"):
        out["shopMoney"] = {"amount": s["shop_money"]["amount"],
                            "currencyCode": s["shop_money"]["currency_code"]}  # fmt: skip
    if s.get("presentment_money"):
        shown = s["presentment_money"]
        out["presentmentMoney"] = {
            "amount": shown["amount"],
            "currencyCode": shown["currency_code"],
        }
    return out


def _gid(kind: str, value: Any) -> str | None:
    return None if value is None else f"gid://shopify/{kind}/{value}"


def _address(a: dict[str, Any] | None) -> dict[str, Any] | None:
    if not a:
        return None
    return {
        "firstName": a.get("first_name"), "lastName": a.get("last_name"), "name": a.get("name"),
        "address1": a.get("address1"), "address2": a.get("address2"), "city": a.get("city"),
        "province": a.get("province"), "provinceCode": a.get("province_code"),
        "zip": a.get("zip"), "countryCodeV2": a.get("country_code"), "phone": a.get("phone"),
    }  # fmt: skip


def _allocations(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"allocatedAmountSet": _money(a.get("amount_set")),
         "discountApplication": {"index": a.get("discount_application_index", 0)}}
        for a in items or ()
    ]  # fmt: skip


def _taxes(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"title": t["title"], "rate": t.get("rate"), "priceSet": _money(t.get("price_set"))}
            for t in items or ()]  # fmt: skip


_TYPENAMES = {"discount_code": "DiscountCodeApplication", "automatic":
              "AutomaticDiscountApplication", "manual": "ManualDiscountApplication",
              "script": "ScriptDiscountApplication"}  # fmt: skip


def _application(app: dict[str, Any], currency: str) -> dict[str, Any]:
    if app.get("value_type") == "percentage":
        value: dict[str, Any] = {"percentage": float(app["value"])}
    else:
        value = {"amount": app.get("value"), "currencyCode": currency}
    target = str(app.get("target_type", "line_item")).upper()
    out = {"__typename": _TYPENAMES[app.get("type", "manual")], "targetType": target,
           "value": value}  # fmt: skip
    if app.get("type") == "discount_code":
        out["code"] = app.get("code")
    else:
        out["title"] = app.get("title")
        if app.get("type") == "manual":
            out["description"] = app.get("description")
    return out


def graphql_refund(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _gid("Refund", r["id"]), "legacyResourceId": str(r["id"]),
        "createdAt": r["created_at"], "note": r.get("note"),
        "refundLineItems": {"nodes": [
            {"quantity": x["quantity"], "restockType": str(x.get("restock_type")).upper(),
             "lineItem": {"id": _gid("LineItem", x["line_item_id"]),
                          "sku": (x.get("line_item") or {}).get("sku"),
                          "variant": {"id": _gid("ProductVariant",
                                                 (x.get("line_item") or {}).get("variant_id"))}},
             "subtotalSet": _money(x.get("subtotal_set")),
             "totalTaxSet": _money(x.get("total_tax_set"))}
            for x in r.get("refund_line_items") or ()
        ]},
        "refundShippingLines": {"nodes": [
            {"subtotalAmountSet": _money(s.get("subtotal_amount_set")),
             "taxAmountSet": _money(s.get("total_tax_amount_set"))}
            for s in r.get("refund_shipping_lines") or ()
        ]},
        "transactions": {"nodes": [
            {"kind": str(t["kind"]).upper(), "status": str(t["status"]).upper(),
             "amountSet": {"presentmentMoney": {"amount": t["amount"],
                                                "currencyCode": t["currency"]}}}
            for t in r.get("transactions") or ()
        ]},
    }  # fmt: skip


def graphql_fulfillment(f: dict[str, Any]) -> dict[str, Any]:
    numbers = f.get("tracking_numbers") or (
        [f["tracking_number"]] if f.get("tracking_number") else []
    )
    urls = f.get("tracking_urls") or []
    return {
        "id": _gid("Fulfillment", f["id"]), "legacyResourceId": str(f["id"]),
        "name": f.get("name"), "status": str(f.get("status")).upper(),
        "displayStatus": str(f.get("shipment_status") or "fulfilled").upper(),
        "createdAt": f["created_at"], "updatedAt": f.get("updated_at"),
        "location": {"id": _gid("Location", f.get("location_id")),
                     "legacyResourceId": str(f["location_id"]) if f.get("location_id") else None},
        "service": {"handle": f.get("service") or "manual"},
        "trackingInfo": [{"number": n, "company": f.get("tracking_company"),
                          "url": urls[i] if i < len(urls) else None}
                         for i, n in enumerate(numbers)],
        "fulfillmentLineItems": {"nodes": [
            {"quantity": x["quantity"], "lineItem": {
                "id": _gid("LineItem", x["id"]), "sku": x.get("sku"), "name": x.get("name"),
                "variant": {"id": _gid("ProductVariant", x.get("variant_id"))}}}
            for x in f.get("line_items") or ()
        ]},
    }  # fmt: skip


def graphql_order(o: dict[str, Any]) -> dict[str, Any]:
    """The REST Order ``o`` as the Admin GraphQL API's Order node."""
    customer = o.get("customer") or {}
    tags = o.get("tags") or ""
    return {
        "id": _gid("Order", o["id"]), "legacyResourceId": str(o["id"]), "name": o.get("name"),
        "email": o.get("email"), "phone": o.get("phone"), "createdAt": o["created_at"],
        "updatedAt": o.get("updated_at"), "processedAt": o.get("processed_at"),
        "cancelledAt": o.get("cancelled_at"),
        "cancelReason": str(o["cancel_reason"]).upper() if o.get("cancel_reason") else None,
        "currencyCode": o["currency"], "presentmentCurrencyCode": o.get("presentment_currency"),
        "taxesIncluded": o.get("taxes_included"), "note": o.get("note"),
        "tags": [t.strip() for t in tags.split(",") if t.strip()],
        "customerLocale": o.get("customer_locale"),
        "displayFinancialStatus": str(o.get("financial_status") or "").upper() or None,
        "displayFulfillmentStatus": str(o.get("fulfillment_status") or "UNFULFILLED").upper(),
        "customer": {"id": _gid("Customer", customer.get("id")),
                     "firstName": customer.get("first_name"),
                     "lastName": customer.get("last_name"), "email": customer.get("email"),
                     "phone": customer.get("phone")} if customer else None,
        "shippingAddress": _address(o.get("shipping_address")),
        "billingAddress": _address(o.get("billing_address")),
        "subtotalPriceSet": _money(o.get("subtotal_price_set")),
        "totalDiscountsSet": _money(o.get("total_discounts_set")),
        "totalTaxSet": _money(o.get("total_tax_set")),
        "totalPriceSet": _money(o.get("total_price_set")),
        "currentTotalPriceSet": _money(o.get("current_total_price_set")),
        "totalOutstandingSet": {"shopMoney": {"amount": o.get("total_outstanding"),
                                              "currencyCode": o["currency"]}},
        "totalShippingPriceSet": _money(o.get("total_shipping_price_set")),
        "customAttributes": [{"key": a["name"], "value": a["value"]}
                             for a in o.get("note_attributes") or ()],
        "discountCodes": [c["code"] for c in o.get("discount_codes") or ()],
        "taxLines": _taxes(o.get("tax_lines")),
        "discountApplications": {"nodes": [_application(a, o["currency"])
                                           for a in o.get("discount_applications") or ()]},
        "shippingLines": {"nodes": [
            {"title": s.get("title"), "code": s.get("code"), "source": s.get("source"),
             "carrierIdentifier": s.get("carrier_identifier"), "isRemoved": s.get("is_removed"),
             "originalPriceSet": _money(s.get("price_set")),
             "discountedPriceSet": _money(s.get("discounted_price_set")),
             "discountAllocations": _allocations(s.get("discount_allocations"))}
            for s in o.get("shipping_lines") or ()
        ]},
        "lineItems": {"nodes": [
            {"id": _gid("LineItem", li["id"]), "sku": li.get("sku") or None,
             "name": li.get("name"), "title": li.get("title"), "quantity": li["quantity"],
             "currentQuantity": li.get("current_quantity"),
             "variantTitle": li.get("variant_title"),
             "requiresShipping": li.get("requires_shipping"), "isGiftCard": li.get("gift_card"),
             "variant": {"id": _gid("ProductVariant", li.get("variant_id"))}
             if li.get("variant_id") else None,
             "product": {"id": _gid("Product", li.get("product_id"))}
             if li.get("product_id") else None,
             "originalUnitPriceSet": _money(li.get("price_set")),
             "discountAllocations": _allocations(li.get("discount_allocations")),
             "taxLines": _taxes(li.get("tax_lines")),
             "customAttributes": [{"key": p["name"], "value": p["value"]}
                                  for p in li.get("properties") or ()]}
            for li in o["line_items"]
        ]},
        "fulfillments": [graphql_fulfillment({**f, "order_id": o["id"]})
                         for f in o.get("fulfillments") or ()],
        "refunds": [graphql_refund(r) for r in o.get("refunds") or ()],
    }  # fmt: skip


def throttle(available: float = 1900.0, restore: float = 100.0, cost: int = 42) -> dict[str, Any]:
    """``extensions.cost`` as every Admin GraphQL answer carries it."""
    return {"cost": {"requestedQueryCost": cost, "actualQueryCost": cost,
                     "throttleStatus": {"maximumAvailable": 2000.0,
                                        "currentlyAvailable": available,
                                        "restoreRate": restore}}}  # fmt: skip


THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {
        "code": "THROTTLED",
        "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
    "extensions": {"cost": {"requestedQueryCost": 752, "actualQueryCost": None,
                            "throttleStatus": {"maximumAvailable": 2000.0,
                                               "currentlyAvailable": 748.0,
                                               "restoreRate": 100.0}}},
}  # fmt: skip
