"""Gift cards through Shopify's Admin GraphQL ``giftCardCreate`` (scope ``write_gift_cards``),
for the recipient of a gift return (service_layer.returns.gift_credits).

We send our own ``code`` (8 to 20 letters and digits, case-insensitive, as Shopify documents
``GiftCardCreateInput.code``). Shopify refuses a second card with a code already in use
(``GiftCardUserError`` code ``TAKEN``): a retry after an unknown outcome is thus answered
"taken" when the first call made the card, and can never make a second one (ADR 0032).
The card is not assigned to a customer (``customerId``/``recipientAttributes`` need the
recipient to be a customer of the shop, with ``write_customers``): we send the recipient
the code ourselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from postpurchase.adapters.storefronts.shopify.admin_api import AdminApi
from postpurchase.domain.storefronts import StoreConnection
from postpurchase.service_layer.returns import GiftCardOrder
from postpurchase.service_layer.storefronts.ports import StoreRefused

CREATE = """
mutation GiftCardCreate($input: GiftCardCreateInput!) {
  giftCardCreate(input: $input) {
    giftCard { id lastCharacters initialValue { amount currencyCode } }
    userErrors { field code message }
  }
}
"""


def _field(error: Mapping[str, Any]) -> str | None:
    path = error.get("field")
    return ".".join(str(p) for p in path) if isinstance(path, list) else None


class ShopifyGiftCards:
    """``GiftCardPort`` for Shopify; ``api_for`` gives a connection's Admin API."""

    def __init__(self, api_for: Callable[[StoreConnection], AdminApi]) -> None:
        self.api_for = api_for

    def create(self, connection: StoreConnection, order: GiftCardOrder) -> str | None:
        api = self.api_for(connection)
        card_input = {
            "initialValue": str(order.amount.rounded().amount),
            "code": order.code,
            "note": f"{order.note} [postpurchase:{order.key}]",
        }
        data = api.query(CREATE, {"input": card_input}, idempotent=False)
        payload = data.get("giftCardCreate") or {}
        errors = [e for e in payload.get("userErrors") or () if isinstance(e, Mapping)]
        if any(e.get("code") == "TAKEN" and _field(e) in ("input.code", "code") for e in errors):
            return None  # our code is taken: an earlier call with it made the card
        if errors:
            first = errors[0]
            raise StoreRefused(str(first.get("message") or "refused"), field=_field(first))
        card = payload.get("giftCard")
        if not isinstance(card, Mapping) or not card.get("id"):
            raise StoreRefused("giftCardCreate answered without a gift card")
        return str(card["id"])
