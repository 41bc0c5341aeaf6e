"""The local Shopify of the storefront tests, taught the returns API the way Shopify documents
it ("Creating and managing exchanges"; ``returnableFulfillments``, ``returnCreate`` with
``exchangeLineItems``, ``returnProcess`` with dispositions): it checks what it is asked
against the order's returnable fulfilment line items and answers ``userErrors`` as Shopify
does, and keeps the returns it made so a retry can find them."""

from __future__ import annotations

from typing import Any

from pytest_httpserver import HTTPServer

from tests.integration.storefronts.shopify_replay import ShopifyReplay

LOCATION = "gid://shopify/Location/905684977"


class ReturnsReplay(ShopifyReplay):
    def __init__(self, server: HTTPServer) -> None:
        super().__init__(server)
        # order gid -> returnable fulfilment line items: (fulfillment line item gid,
        # line item gid, returnable quantity)
        self.returnable: dict[str, list[tuple[str, str, int]]] = {}
        self.returns: dict[str, list[dict[str, Any]]] = {}  # order gid -> returns made
        self.ids = 0

    def _id(self, kind: str) -> str:
        self.ids += 1
        return f"gid://shopify/{kind}/{700000 + self.ids}"

    def _op_ReturnableFulfillments(self, variables: dict[str, Any]) -> dict[str, Any]:
        items = self.returnable.get(variables["orderId"], [])
        return {"returnableFulfillments": {"nodes": [{
            "fulfillment": {"id": "gid://shopify/Fulfillment/255858046",
                            "location": {"id": LOCATION}},
            "returnableFulfillmentLineItems": {"nodes": [
                {"quantity": q, "fulfillmentLineItem": {"id": fli, "lineItem": {"id": li}}}
                for fli, li, q in items
            ]},
        }]} if items else {"nodes": []}}  # fmt: skip

    def _op_OrderReturns(self, variables: dict[str, Any]) -> dict[str, Any]:
        if variables["id"] not in self.returnable:
            return {"order": None}
        return {"order": {"returns": {"nodes": self.returns.get(variables["id"], [])}}}

    def _op_ReturnCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        data = variables["returnInput"]
        items = {fli: (li, q) for fli, li, q in self.returnable.get(data["orderId"], [])}
        lines, reverse = [], []
        for i, x in enumerate(data["returnLineItems"]):
            found = items.get(x["fulfillmentLineItemId"])
            if found is None or x["quantity"] > found[1]:
                error = {"field": ["returnInput", "returnLineItems", str(i), "quantity"],
                         "message": "Quantity is not returnable."}  # fmt: skip
                return {"returnCreate": {"return": None, "userErrors": [error]}}
            fli = {"id": x["fulfillmentLineItemId"], "lineItem": {"id": found[0]}}
            lines.append({"id": self._id("ReturnLineItem"), "quantity": x["quantity"],
                          "returnReasonNote": x.get("returnReasonNote"),
                          "fulfillmentLineItem": fli})  # fmt: skip
            reverse.append({"id": self._id("ReverseFulfillmentOrderLineItem"),
                            "fulfillmentLineItem": {"id": fli["id"]}})  # fmt: skip
        swaps = [
            {"id": self._id("ExchangeLineItem"), "variantId": x["variantId"],
             "quantity": x["quantity"]}
            for x in data.get("exchangeLineItems") or ()
        ]  # fmt: skip
        made = {
            "id": self._id("Return"), "name": "#1001-R1", "status": "OPEN",
            "returnLineItems": {"nodes": lines},
            "exchangeLineItems": {"nodes": [{"id": s["id"]} for s in swaps]},
            "reverseFulfillmentOrders": {"nodes": [{"lineItems": {"nodes": reverse}}]},
        }  # fmt: skip
        for fli, li, q in list(self.returnable[data["orderId"]]):
            taken = sum(x["quantity"] for x in data["returnLineItems"]
                        if x["fulfillmentLineItemId"] == fli)  # fmt: skip
            self.returnable[data["orderId"]].remove((fli, li, q))
            self.returnable[data["orderId"]].append((fli, li, q - taken))
        self.returns.setdefault(data["orderId"], []).append(made)
        return {"returnCreate": {"return": made, "userErrors": []}}

    def _op_ReturnProcess(self, variables: dict[str, Any]) -> dict[str, Any]:
        data = variables["input"]
        made = next((r for rs in self.returns.values() for r in rs if r["id"] == data["returnId"]),
                    None)  # fmt: skip
        if made is None or made["status"] == "CLOSED":
            error = {"field": ["input", "returnId"], "message": "Return is not processable."}
            return {"returnProcess": {"return": None, "userErrors": [error]}}
        mine = {x["id"]: x for x in made["returnLineItems"]["nodes"]}
        reverse = {x["id"] for rfo in made["reverseFulfillmentOrders"]["nodes"]
                   for x in rfo["lineItems"]["nodes"]}  # fmt: skip
        for i, x in enumerate(data["returnLineItems"]):
            ok = x["id"] in mine and x["quantity"] <= mine[x["id"]]["quantity"]
            for d in x.get("dispositions") or ():
                ok = ok and d["reverseFulfillmentOrderLineItemId"] in reverse
                ok = ok and (d["dispositionType"] != "RESTOCKED" or bool(d.get("locationId")))
            if not ok:
                error = {"field": ["input", "returnLineItems", str(i)],
                         "message": "Return line item is invalid."}  # fmt: skip
                return {"returnProcess": {"return": None, "userErrors": [error]}}
        made["status"] = "CLOSED"
        return {"returnProcess": {"return": {"id": made["id"], "status": "CLOSED"},
                                  "userErrors": []}}  # fmt: skip
