"""Telling Shopify a tracking number it does not have (write-back).

When we learn a parcel's tracking number elsewhere (a label we bought, a 3PL's file, our
own tracking API) and the merchant turned ``write_back_tracking`` on, the worker adds it to
the order in Shopify: it reads the order's fulfilments and fulfilment orders, then

* does nothing when a fulfilment already carries the number;
* adds it to a fulfilment that has no tracking yet (``fulfillmentTrackingInfoUpdate``);
* else fulfils what is still open, with the tracking info (``fulfillmentCreate`` over the
  open fulfilment orders; only the parcel's lines when we know them).

The customer is not notified by Shopify (we send our own messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from postpurchase.adapters.storefronts.shopify.admin_api import (
    AdminApi,
    AdminApiError,
    gid_number,
    user_errors,
)

ORDER = """
query WriteBack($id: ID!) {
  order(id: $id) {
    fulfillments(first: 30) { id status trackingInfo(first: 10) { number company url } }
    fulfillmentOrders(first: 20) { nodes {
      id status
      lineItems(first: 100) { nodes { id remainingQuantity lineItem { id } } }
    } }
  }
}
"""

UPDATE = """
mutation Track($id: ID!, $info: FulfillmentTrackingInput!) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $info,
                                notifyCustomer: false) {
    fulfillment { id }
    userErrors { field message }
  }
}
"""

CREATE = """
mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id legacyResourceId }
    userErrors { field message }
  }
}
"""

# Our carrier slugs -> the company names Shopify recognises (it links them to the carrier's
# tracking page); other carriers are sent by name with our tracking URL.
COMPANIES = {
    "ups": "UPS", "usps": "USPS", "fedex": "FedEx", "dhl_express": "DHL Express",
    "dhl_ecommerce": "DHL eCommerce", "dhl": "DHL Express", "canada_post": "Canada Post",
    "royal_mail": "Royal Mail", "australia_post": "Australia Post", "dpd": "DPD",
    "gls": "GLS", "postnl": "PostNL", "la_poste": "La Poste", "colissimo": "Colissimo",
    "deutsche_post": "Deutsche Post", "purolator": "Purolator", "ontrac": "OnTrac",
}  # fmt: skip

OPEN = frozenset({"OPEN", "IN_PROGRESS"})


@dataclass(frozen=True, slots=True)
class WriteBack:
    outcome: str  # "exists" | "updated" | "created" | "nothing_open"
    fulfillment_id: str | None = None


def company(carrier: str | None) -> str | None:
    if carrier is None:
        return None
    return COMPANIES.get(carrier, carrier.replace("_", " ").title())


def _nodes(value: object) -> list[Mapping[str, Any]]:
    data = value if isinstance(value, Mapping) else {}
    return [n for n in data.get("nodes") or () if isinstance(n, Mapping)]


def _check(payload: object, what: str) -> Mapping[str, Any]:
    data = payload if isinstance(payload, Mapping) else {}
    errors = user_errors(data)
    if errors:
        raise AdminApiError(f"{what}: " + "; ".join(m for _, m in errors))
    return data


def write_back(
    api: AdminApi,
    order_store_id: str,
    number: str,
    *,
    carrier: str | None = None,
    url: str | None = None,
    line_ids: dict[str, int] | None = None,  # the store's line id -> quantity in the parcel
) -> WriteBack:
    data = api.query(ORDER, {"id": f"gid://shopify/Order/{order_store_id}"})
    order = data.get("order")
    if not isinstance(order, Mapping):
        raise AdminApiError(f"{api.shop} has no order {order_store_id}")
    info: dict[str, Any] = {"number": number}
    if company(carrier):
        info["company"] = company(carrier)
    if url:
        info["url"] = url
    fulfillments = [f for f in order.get("fulfillments") or () if isinstance(f, Mapping)]
    for f in fulfillments:
        known = {
            str(t.get("number") or "").replace(" ", "").upper() for t in f.get("trackingInfo") or ()
        }
        if number.replace(" ", "").upper() in known:
            return WriteBack("exists", gid_number(f.get("id")))
    for f in fulfillments:
        if f.get("status") == "SUCCESS" and not f.get("trackingInfo"):
            done = _check(
                api.query(UPDATE, {"id": f["id"], "info": info}).get(
                    "fulfillmentTrackingInfoUpdate"
                ),
                "fulfillmentTrackingInfoUpdate",
            )
            return WriteBack("updated", gid_number((done.get("fulfillment") or {}).get("id")))
    by_order: list[dict[str, Any]] = []
    for fo in _nodes(order.get("fulfillmentOrders")):
        if fo.get("status") not in OPEN:
            continue
        items = []
        for item in _nodes(fo.get("lineItems")):
            left = item.get("remainingQuantity") or 0
            store_line = gid_number((item.get("lineItem") or {}).get("id"))
            if line_ids is not None:
                left = min(left, line_ids.get(store_line or "", 0))
            if left > 0:
                items.append({"id": item["id"], "quantity": left})
        if items:
            by_order.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": items})
    if not by_order:
        return WriteBack("nothing_open")
    fulfillment = {
        "lineItemsByFulfillmentOrder": by_order,
        "trackingInfo": info,
        "notifyCustomer": False,
    }
    # not re-sent on a 5xx: the outbox retries the whole job, which looks again first
    created_data = api.query(CREATE, {"fulfillment": fulfillment}, idempotent=False)
    done = _check(created_data.get("fulfillmentCreate"), "fulfillmentCreate")
    created = done.get("fulfillment") or {}
    return WriteBack("created", gid_number(created.get("legacyResourceId") or created.get("id")))
