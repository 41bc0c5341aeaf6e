"""Orders from the Admin GraphQL API, read into the same commands as the webhooks.

Why a translation to the REST shape rather than a second parser: the webhook parser
(``orders``, ``order_money``, ``fulfillments``, ``refunds``) holds every rule about
Shopify's money (discounts allocated to lines and shipping, taxes included or not, what
was paid, presentment currency, edited lines, SKU-less lines). A GraphQL order node is
renamed field by field into the REST Order it is the same resource as (``legacyResourceId``
is the REST id; ``*Set`` fields become ``*_set`` with ``shop_money`` / ``presentment_money``;
enums become REST's lower-case values) and parsed by the same code, so an order imported by
a backfill and the same order delivered by ``orders/updated`` give the same snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"

ORDER_FIELDS = f"""
fragment OrderFields on Order {{
  id legacyResourceId name email phone createdAt updatedAt processedAt cancelledAt
  cancelReason currencyCode presentmentCurrencyCode taxesIncluded note tags customerLocale
  displayFinancialStatus displayFulfillmentStatus
  customer {{ id firstName lastName email phone }}
  shippingAddress {{ firstName lastName name address1 address2 city province provinceCode
                     zip countryCodeV2 phone }}
  billingAddress {{ firstName lastName name address1 address2 city province provinceCode
                    zip countryCodeV2 phone }}
  subtotalPriceSet {{ {MONEY} }}
  totalDiscountsSet {{ {MONEY} }}
  totalTaxSet {{ {MONEY} }}
  totalPriceSet {{ {MONEY} }}
  currentTotalPriceSet {{ {MONEY} }}
  totalOutstandingSet {{ {MONEY} }}
  totalShippingPriceSet {{ {MONEY} }}
  customAttributes {{ key value }}
  discountCodes
  taxLines {{ title rate priceSet {{ {MONEY} }} }}
  discountApplications(first: 20) {{ nodes {{
    __typename targetType value {{ ... on MoneyV2 {{ amount currencyCode }}
                                   ... on PricingPercentageValue {{ percentage }} }}
    ... on DiscountCodeApplication {{ code }}
    ... on AutomaticDiscountApplication {{ title }}
    ... on ManualDiscountApplication {{ title description }}
    ... on ScriptDiscountApplication {{ title }}
  }} }}
  shippingLines(first: 10, includeRemovals: true) {{ nodes {{
    title code source carrierIdentifier isRemoved
    originalPriceSet {{ {MONEY} }} discountedPriceSet {{ {MONEY} }}
    discountAllocations {{ allocatedAmountSet {{ {MONEY} }} discountApplication {{ index }} }}
  }} }}
  lineItems(first: 100) {{ nodes {{
    id sku name title quantity currentQuantity variantTitle requiresShipping isGiftCard
    variant {{ id }} product {{ id }}
    originalUnitPriceSet {{ {MONEY} }}
    discountAllocations {{ allocatedAmountSet {{ {MONEY} }} discountApplication {{ index }} }}
    taxLines {{ title rate priceSet {{ {MONEY} }} }}
    customAttributes {{ key value }}
  }} }}
  fulfillments(first: 20) {{
    id legacyResourceId name status displayStatus createdAt updatedAt
    location {{ id legacyResourceId }}
    service {{ handle }}
    trackingInfo(first: 10) {{ company number url }}
    fulfillmentLineItems(first: 100) {{ nodes {{
      quantity lineItem {{ id sku name variant {{ id }} }}
    }} }}
  }}
  refunds(first: 20) {{
    id legacyResourceId createdAt note
    refundLineItems(first: 100) {{ nodes {{
      quantity restockType lineItem {{ id sku variant {{ id }} }}
      subtotalSet {{ {MONEY} }} totalTaxSet {{ {MONEY} }}
    }} }}
    refundShippingLines(first: 10) {{ nodes {{
      subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }}
    }} }}
    transactions(first: 10) {{ nodes {{ kind status amountSet {{ {MONEY} }} }} }}
  }}
}}
"""

ORDERS_QUERY = (
    """
query BackfillOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderFields }
  }
}
"""
    + ORDER_FIELDS
)

_DISCOUNT_TYPES = {
    "DiscountCodeApplication": "discount_code",
    "AutomaticDiscountApplication": "automatic",
    "ManualDiscountApplication": "manual",
    "ScriptDiscountApplication": "script",
}


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _nodes(value: object) -> list[Mapping[str, Any]]:
    """A connection's ``nodes`` (or ``edges[].node``), or a plain list."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    conn = _map(value)
    if isinstance(conn.get("nodes"), list):
        return [v for v in conn["nodes"] if isinstance(v, Mapping)]
    edges = conn.get("edges")
    if isinstance(edges, list):
        return [_map(e.get("node")) for e in edges if isinstance(e, Mapping)]
    return []


def money_set(value: object) -> dict[str, Any] | None:
    """``{shopMoney: {amount, currencyCode}, presentmentMoney: ...}`` in REST's shape."""
    data = _map(value)
    if not data:
        return None
    out: dict[str, Any] = {}
    for ours, theirs in (("shop_money", "shopMoney"), ("presentment_money", "presentmentMoney")):
        money = _map(data.get(theirs))
        if money:
            out[ours] = {"amount": money.get("amount"), "currency_code": money.get("currencyCode")}
    return out or None


def _shop_amount(value: object) -> Any:
    return _map(_map(value).get("shopMoney")).get("amount")


def _lower(value: object) -> Any:
    return value.lower() if isinstance(value, str) else value


def _with_money(out: dict[str, Any], key: str, value: object) -> None:
    """``key`` (the shop amount, as REST gives it) and ``key_set``."""
    the_set = money_set(value)
    if the_set is not None:
        out[f"{key}_set"] = the_set
        if "shop_money" in the_set:
            out[key] = the_set["shop_money"]["amount"]


def _address(value: object) -> dict[str, Any] | None:
    a = _map(value)
    if not a:
        return None
    return {
        "first_name": a.get("firstName"), "last_name": a.get("lastName"), "name": a.get("name"),
        "address1": a.get("address1"), "address2": a.get("address2"), "city": a.get("city"),
        "province": a.get("province"), "province_code": a.get("provinceCode"),
        "zip": a.get("zip"), "country_code": a.get("countryCodeV2"), "phone": a.get("phone"),
    }  # fmt: skip


def _allocations(value: object) -> list[dict[str, Any]]:
    found = []
    for alloc in _nodes(value):
        out: dict[str, Any] = {
            "discount_application_index": _map(alloc.get("discountApplication")).get("index", 0)
        }
        _with_money(out, "amount", alloc.get("allocatedAmountSet"))
        found.append(out)
    return found


def _tax_lines(value: object) -> list[dict[str, Any]]:
    found = []
    for tax in _nodes(value):
        out: dict[str, Any] = {"title": tax.get("title"), "rate": tax.get("rate")}
        _with_money(out, "price", tax.get("priceSet"))
        found.append(out)
    return found


def _attributes(value: object) -> list[dict[str, Any]]:
    return [{"name": a.get("key"), "value": a.get("value")} for a in _nodes(value)]


def _line_item(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.get("id"),
        "sku": item.get("sku"),
        "name": item.get("name"),
        "title": item.get("title"),
        "quantity": item.get("quantity"),
        "current_quantity": item.get("currentQuantity"),
        "variant_title": item.get("variantTitle"),
        "requires_shipping": item.get("requiresShipping"),
        "gift_card": item.get("isGiftCard"),
        "variant_id": _map(item.get("variant")).get("id"),
        "product_id": _map(item.get("product")).get("id"),
        "discount_allocations": _allocations(item.get("discountAllocations")),
        "tax_lines": _tax_lines(item.get("taxLines")),
        "properties": _attributes(item.get("customAttributes")),
    }
    _with_money(out, "price", item.get("originalUnitPriceSet"))
    return out


def _shipping_line(line: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": line.get("title"),
        "code": line.get("code"),
        "source": line.get("source"),
        "carrier_identifier": line.get("carrierIdentifier"),
        "is_removed": line.get("isRemoved"),
        "discount_allocations": _allocations(line.get("discountAllocations")),
    }
    _with_money(out, "price", line.get("originalPriceSet"))
    _with_money(out, "discounted_price", line.get("discountedPriceSet"))
    return out


def _discount_application(app: Mapping[str, Any]) -> dict[str, Any]:
    value = _map(app.get("value"))
    out: dict[str, Any] = {
        "type": _DISCOUNT_TYPES.get(str(app.get("__typename")), "manual"),
        "code": app.get("code"),
        "title": app.get("title"),
        "description": app.get("description"),
        "target_type": _lower(app.get("targetType")),
    }
    if "percentage" in value:
        out["value"], out["value_type"] = str(value["percentage"]), "percentage"
    elif "amount" in value:
        out["value"], out["value_type"] = value["amount"], "fixed_amount"
    return out


def rest_refund(refund: Mapping[str, Any], order_id: object) -> dict[str, Any]:
    """A GraphQL Refund as the REST Refund ``refunds/create`` delivers."""
    lines = []
    for item in _nodes(refund.get("refundLineItems")):
        line_item = _map(item.get("lineItem"))
        lines.append(
            {
                "line_item_id": line_item.get("id"),
                "quantity": item.get("quantity"),
                "restock_type": _lower(item.get("restockType")),
                "line_item": {
                    "id": line_item.get("id"),
                    "sku": line_item.get("sku"),
                    "variant_id": _map(line_item.get("variant")).get("id"),
                },
                "subtotal_set": money_set(item.get("subtotalSet")),
                "total_tax_set": money_set(item.get("totalTaxSet")),
            }
        )
    shipping = [
        {
            "subtotal_amount_set": money_set(s.get("subtotalAmountSet")),
            "total_tax_amount_set": money_set(s.get("taxAmountSet")),
        }
        for s in _nodes(refund.get("refundShippingLines"))
    ]
    transactions = []
    for txn in _nodes(refund.get("transactions")):
        shown = _map(_map(txn.get("amountSet")).get("presentmentMoney"))
        transactions.append(
            {
                "kind": _lower(txn.get("kind")),
                "status": _lower(txn.get("status")),
                "amount": shown.get("amount"),
                "currency": shown.get("currencyCode"),
            }
        )
    out: dict[str, Any] = {
        "id": refund.get("legacyResourceId") or refund.get("id"),
        "order_id": order_id,
        "created_at": refund.get("createdAt"),
        "note": refund.get("note"),
        "refund_line_items": lines,
        "transactions": transactions,
    }
    if shipping:
        out["refund_shipping_lines"] = shipping
    return out


def rest_fulfillment(f: Mapping[str, Any], order_id: object) -> dict[str, Any]:
    """A GraphQL Fulfillment as the REST Fulfillment ``fulfillments/*`` deliver."""
    tracking = _nodes(f.get("trackingInfo"))
    companies = [t.get("company") for t in tracking if t.get("company")]
    display = _lower(f.get("displayStatus"))
    return {
        "id": f.get("legacyResourceId") or f.get("id"),
        "order_id": order_id,
        "name": f.get("name"),
        "status": _lower(f.get("status")),
        # REST's shipment_status is the carrier's last word; GraphQL says it as displayStatus
        "shipment_status": display if display not in (None, "fulfilled", "canceled") else None,
        "created_at": f.get("createdAt"),
        "updated_at": f.get("updatedAt"),
        "location_id": _map(f.get("location")).get("legacyResourceId"),
        "service": _map(f.get("service")).get("handle"),
        "tracking_company": companies[0] if companies else None,
        "tracking_numbers": [t.get("number") for t in tracking if t.get("number")],
        "tracking_urls": [t.get("url") or "" for t in tracking if t.get("number")],
        "line_items": [
            {
                "id": _map(x.get("lineItem")).get("id"),
                "sku": _map(x.get("lineItem")).get("sku"),
                "name": _map(x.get("lineItem")).get("name"),
                "variant_id": _map(_map(x.get("lineItem")).get("variant")).get("id"),
                "quantity": x.get("quantity"),
            }
            for x in _nodes(f.get("fulfillmentLineItems"))
        ],
    }


def rest_order(node: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL Order node as the REST Order ``orders/*`` webhooks deliver."""
    order_id = node.get("legacyResourceId") or node.get("id")
    customer = _map(node.get("customer"))
    tags = node.get("tags")
    out: dict[str, Any] = {
        "id": order_id,
        "admin_graphql_api_id": node.get("id"),
        "name": node.get("name"),
        "email": node.get("email"),
        "phone": node.get("phone"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": _lower(node.get("cancelReason")),
        "currency": node.get("currencyCode"),
        "presentment_currency": node.get("presentmentCurrencyCode"),
        "taxes_included": node.get("taxesIncluded"),
        "note": node.get("note"),
        "tags": ", ".join(tags) if isinstance(tags, list) else tags,
        "customer_locale": node.get("customerLocale"),
        "financial_status": _lower(node.get("displayFinancialStatus")),
        "fulfillment_status": _lower(node.get("displayFulfillmentStatus")),
        "customer": {
            "id": customer.get("id"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "email": customer.get("email"),
            "phone": customer.get("phone"),
        }
        if customer
        else None,
        "shipping_address": _address(node.get("shippingAddress")),
        "billing_address": _address(node.get("billingAddress")),
        "note_attributes": _attributes(node.get("customAttributes")),
        "tax_lines": _tax_lines(node.get("taxLines")),
        "discount_applications": [
            _discount_application(a) for a in _nodes(node.get("discountApplications"))
        ],
        # GraphQL lists the codes without amounts; every code also has an application
        # (DiscountCodeApplication) that carries what it took off.
        "discount_codes": [
            {"code": c, "amount": "0"} for c in node.get("discountCodes") or () if c
        ],
        "shipping_lines": [_shipping_line(s) for s in _nodes(node.get("shippingLines"))],
        "line_items": [_line_item(i) for i in _nodes(node.get("lineItems"))],
        "refunds": [rest_refund(r, order_id) for r in _nodes(node.get("refunds"))],
    }
    for key, theirs in (
        ("subtotal_price", "subtotalPriceSet"),
        ("total_discounts", "totalDiscountsSet"),
        ("total_tax", "totalTaxSet"),
        ("total_price", "totalPriceSet"),
        ("current_total_price", "currentTotalPriceSet"),
        ("total_outstanding", "totalOutstandingSet"),
        ("total_shipping_price", "totalShippingPriceSet"),
    ):
        _with_money(out, key, node.get(theirs))
    return out


def fulfillments_of(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    order_id = node.get("legacyResourceId") or node.get("id")
    return [rest_fulfillment(f, order_id) for f in _nodes(node.get("fulfillments"))]


def refunds_of(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    order_id = node.get("legacyResourceId") or node.get("id")
    return [rest_refund(r, order_id) for r in _nodes(node.get("refunds"))]
