"""Exchanges through Shopify's returns API (Admin GraphQL), as Shopify documents them in
"Creating and managing exchanges": ``returnableFulfillments`` gives the fulfillment line
items to return, ``returnCreate`` records the return with its exchange line items (Shopify
adds the new items to the order, in a fulfilment order of their own), ``returnProcess``
confirms the returned and exchanged quantities with each returned line's disposition
(``RESTOCKED`` at the location it shipped from, or ``NOT_RESTOCKED``).

Exactly once: the returned lines' ``returnReasonNote`` ends with
``[postpurchase:<key>]``; the order's returns are read first, so a retry finds the return
made the first time (and a return already ``CLOSED`` is not processed again). A user error
is a :class:`StoreRefused` naming Shopify's field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from postpurchase.adapters.storefronts.shopify.admin_api import AdminApi, user_errors
from postpurchase.adapters.storefronts.shopify.refund_port import line_gid, marker, order_gid
from postpurchase.domain.returns import legacy_reason, uses_definitions
from postpurchase.domain.storefronts import StoreConnection
from postpurchase.service_layer.returns import (
    StoreExchangeRequest,
    StoreExchangeResult,
    StoreReturnLine,
)
from postpurchase.service_layer.storefronts.ports import StoreRefused

RETURNABLE = """
query ReturnableFulfillments($orderId: ID!) {
  returnableFulfillments(orderId: $orderId, first: 20) {
    nodes {
      fulfillment { id location { id } }
      returnableFulfillmentLineItems(first: 100) {
        nodes { quantity fulfillmentLineItem { id lineItem { id } } }
      }
    }
  }
}
"""

RETURN_FIELDS = """
id name status
returnLineItems(first: 100) {
  nodes { id quantity returnReasonNote
          ... on ReturnLineItem { fulfillmentLineItem { id lineItem { id } } } }
}
exchangeLineItems(first: 100) { nodes { id } }
reverseFulfillmentOrders(first: 10) {
  nodes { lineItems(first: 100) { nodes { id fulfillmentLineItem { id } } } }
}
"""

FIND = f"""
query OrderReturns($id: ID!) {{
  order(id: $id) {{ returns(first: 50) {{ nodes {{ {RETURN_FIELDS} }} }} }}
}}
"""

CREATE = f"""
mutation ReturnCreate($returnInput: ReturnInput!) {{
  returnCreate(returnInput: $returnInput) {{
    return {{ {RETURN_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

PROCESS = """
mutation ReturnProcess($input: ReturnProcessInput!) {
  returnProcess(input: $input) {
    return { id status }
    userErrors { field message }
  }
}
"""

_MARK = re.compile(r"\[postpurchase:([^\]\s]+)\]\s*$")


def variant_gid(variant_id: str) -> str:
    return f"gid://shopify/ProductVariant/{variant_id}"


def _nodes(conn: object) -> list[Mapping[str, Any]]:
    found = (conn or {}).get("nodes") if isinstance(conn, Mapping) else None
    return [n for n in found or () if isinstance(n, Mapping)]


def _ours(ret: Mapping[str, Any], key: str) -> bool:
    for line in _nodes(ret.get("returnLineItems")):
        found = _MARK.search(str(line.get("returnReasonNote") or ""))
        if found and found.group(1) == key:
            return True
    return False


def _reason(api: AdminApi, line: StoreReturnLine) -> dict[str, str]:
    """The store's reason for a line: the mapped return reason definition where the API
    version has them (2026-01+), else the legacy ``ReturnReason`` enum."""
    if line.reason_definition_id and uses_definitions(api.version):
        return {"returnReasonDefinitionId": line.reason_definition_id}
    return {"returnReason": legacy_reason(line.reason)}


class ShopifyReturns:
    """``StoreExchangePort`` for Shopify; ``api_for`` gives a connection's Admin API."""

    def __init__(self, api_for: Callable[[StoreConnection], AdminApi]) -> None:
        self.api_for = api_for

    def exchange(
        self, connection: StoreConnection, request: StoreExchangeRequest
    ) -> StoreExchangeResult:
        api = self.api_for(connection)
        order = order_gid(request.order_store_id)
        found = api.query(FIND, {"id": order}).get("order")
        if not isinstance(found, Mapping):
            raise StoreRefused(f"{connection.shop} has no order {request.order_store_id}",
                               field="order_id")  # fmt: skip
        made = next((r for r in _nodes(found.get("returns")) if _ours(r, request.key)), None)
        returnable = api.query(RETURNABLE, {"orderId": order})
        fulfilled: dict[str, str] = {}  # line item gid -> fulfillment line item gid
        located: dict[str, str] = {}  # fulfillment line item gid -> location gid
        for rf in _nodes(returnable.get("returnableFulfillments")):
            location = ((rf.get("fulfillment") or {}).get("location") or {}).get("id")
            for item in _nodes(rf.get("returnableFulfillmentLineItems")):
                fli = item.get("fulfillmentLineItem") or {}
                line = (fli.get("lineItem") or {}).get("id")
                if line and fli.get("id"):
                    fulfilled.setdefault(str(line), str(fli["id"]))
                    if location:
                        located[str(fli["id"])] = str(location)
        if made is None:
            made = self._create(api, order, request, fulfilled)
        if not request.process or made.get("status") == "CLOSED":
            return StoreExchangeResult(str(made.get("id")), made.get("status") == "CLOSED")
        self._process(api, made, request, located)
        return StoreExchangeResult(str(made.get("id")), True)

    def _create(
        self, api: AdminApi, order: str, request: StoreExchangeRequest, fulfilled: Mapping[str, str]
    ) -> Mapping[str, Any]:
        lines = []
        for i, x in enumerate(request.lines):
            fli = fulfilled.get(line_gid(x.store_line_id))
            if fli is None:
                raise StoreRefused("the store has no returnable fulfilment of this line",
                                   field=f"lines[{i}]")  # fmt: skip
            lines.append({
                "fulfillmentLineItemId": fli, "quantity": x.quantity, **_reason(api, x),
                "returnReasonNote": f"{x.reason} {marker(request.key)}",
            })  # fmt: skip
        return_input = {
            "orderId": order,
            "requestedAt": request.requested_at.isoformat().replace("+00:00", "Z"),
            "notifyCustomer": False,
            "returnLineItems": lines,
            "exchangeLineItems": [
                {"variantId": variant_gid(e.store_variant_id), "quantity": e.quantity}
                for e in request.exchange_lines
            ],
        }
        data = api.query(CREATE, {"returnInput": return_input}, idempotent=False)
        payload = data.get("returnCreate") or {}
        errors = user_errors(payload)
        if errors:
            field, message = errors[0]
            raise StoreRefused(message, field=field)
        made = payload.get("return")
        if not isinstance(made, Mapping):
            raise StoreRefused("returnCreate answered without a return")
        return made

    def _process(
        self,
        api: AdminApi,
        made: Mapping[str, Any],
        request: StoreExchangeRequest,
        located: Mapping[str, str],
    ) -> None:
        reverse: dict[str, str] = {}  # fulfillment line item gid -> reverse FO line item gid
        for rfo in _nodes(made.get("reverseFulfillmentOrders")):
            for item in _nodes(rfo.get("lineItems")):
                fli = (item.get("fulfillmentLineItem") or {}).get("id")
                if fli and item.get("id"):
                    reverse[str(fli)] = str(item["id"])
        restock = {line_gid(x.store_line_id): x.restock for x in request.lines}
        lines = []
        for node in _nodes(made.get("returnLineItems")):
            fli = node.get("fulfillmentLineItem") or {}
            line = (fli.get("lineItem") or {}).get("id")
            quantity = int(node.get("quantity") or 0)
            entry: dict[str, Any] = {"id": node.get("id"), "quantity": quantity}
            rfo_line = reverse.get(str(fli.get("id")))
            if rfo_line is not None:
                location = located.get(str(fli.get("id")))
                back = bool(restock.get(str(line))) and location is not None
                entry["dispositions"] = [{
                    "reverseFulfillmentOrderLineItemId": rfo_line, "quantity": quantity,
                    "dispositionType": "RESTOCKED" if back else "NOT_RESTOCKED",
                    **({"locationId": location} if back else {}),
                }]  # fmt: skip
            lines.append(entry)
        swaps = [{"id": n.get("id"), "quantity": q.quantity}
                 for n, q in zip(_nodes(made.get("exchangeLineItems")), request.exchange_lines,
                                 strict=False)]  # fmt: skip
        data = api.query(
            PROCESS,
            {"input": {"returnId": made.get("id"), "returnLineItems": lines,
                       "exchangeLineItems": swaps, "notifyCustomer": False}},
            idempotent=False,
        )  # fmt: skip
        errors = user_errors(data.get("returnProcess"))
        if errors:
            field, message = errors[0]
            raise StoreRefused(message, field=field)
