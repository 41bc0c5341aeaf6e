"""The local Shopify taught ``giftCardCreate`` as Shopify documents it (GraphQL Admin API,
``GiftCardCreateInput``: ``initialValue``, ``code`` of 8 to 20 letters and digits, case
insensitive; ``GiftCardCreatePayload``: ``giftCard``, ``giftCardCode``, ``userErrors`` with
``GiftCardErrorCode`` such as ``TAKEN``). It keeps the cards it made, can make a card and
then lose the answer (a 502 after the card exists), and refuses as Shopify does."""

from __future__ import annotations

import re
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.integration.storefronts.shopify_replay import ShopifyReplay


class GiftCardsReplay(ShopifyReplay):
    def __init__(self, server: HTTPServer) -> None:
        super().__init__(server)
        self.cards: dict[str, dict[str, Any]] = {}  # code (lower case) -> card
        self.lose_next_answer = False
        self.refuse_with: dict[str, Any] | None = None  # a userError to answer next

    def _graphql(self, request: Request) -> Response:
        answer = super()._graphql(request)
        if self.lose_next_answer:
            self.lose_next_answer = False
            return Response("upstream timed out", 502)
        return answer

    def _op_GiftCardCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        data = variables["input"]
        if self.refuse_with is not None:
            error, self.refuse_with = self.refuse_with, None
            return {"giftCardCreate": {"giftCard": None, "giftCardCode": None,
                                       "userErrors": [error]}}  # fmt: skip
        code = str(data.get("code") or "")
        if not re.fullmatch(r"[A-Za-z0-9]{8,20}", code):
            error = {"field": ["input", "code"], "code": "INVALID",
                     "message": "Code is invalid"}  # fmt: skip
            return {"giftCardCreate": {"giftCard": None, "giftCardCode": None,
                                       "userErrors": [error]}}  # fmt: skip
        if code.lower() in self.cards:
            error = {"field": ["input", "code"], "code": "TAKEN",
                     "message": "Code has already been taken"}  # fmt: skip
            return {"giftCardCreate": {"giftCard": None, "giftCardCode": None,
                                       "userErrors": [error]}}  # fmt: skip
        card = {
            "id": f"gid://shopify/GiftCard/{500000 + len(self.cards) + 1}",
            "lastCharacters": code[-4:],
            "initialValue": {"amount": data["initialValue"], "currencyCode": self.currency},
            "note": data.get("note"),
        }
        self.cards[code.lower()] = card
        public = {k: v for k, v in card.items() if k != "note"}
        return {"giftCardCreate": {"giftCard": public, "giftCardCode": code, "userErrors": []}}
