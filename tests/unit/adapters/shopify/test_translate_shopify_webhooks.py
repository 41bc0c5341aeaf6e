"""A Shopify webhook: dispatch by topic, the refusals of a topic or body we cannot read, and
the HMAC of the raw body."""

import base64
import hashlib
import hmac

import pytest
from tests.unit.adapters.shopify.payloads import MERCHANT, raw

from postpurchase.adapters.signatures import verify_shopify
from postpurchase.adapters.storefronts.shopify import ShopifyFulfillment, parse_webhook
from postpurchase.domain.commands import PlaceOrder, RecordRefund
from postpurchase.domain.errors import InvalidInput


class TestWebhook:
    def test_dispatch_by_topic(self):
        order = raw("shopify_order.json")
        for topic in ("orders/create", "orders/updated", "orders/cancelled"):
            assert isinstance(parse_webhook(topic, order, merchant_id=MERCHANT), PlaceOrder)
        refund = raw("shopify_refund_lines.json")
        assert isinstance(
            parse_webhook("refunds/create", refund, merchant_id=MERCHANT), RecordRefund
        )
        for topic in ("fulfillments/create", "fulfillments/update"):
            result = parse_webhook(topic, raw("shopify_fulfillment.json"), merchant_id=MERCHANT)
            assert isinstance(result, ShopifyFulfillment)

    def test_unknown_topic(self):
        with pytest.raises(InvalidInput) as info:
            parse_webhook("themes/publish", b"{}", merchant_id=MERCHANT)
        assert info.value.field == "X-Shopify-Topic"

    def test_malformed_json(self):
        with pytest.raises(InvalidInput) as info:
            parse_webhook("orders/create", b"{", merchant_id=MERCHANT)
        assert info.value.field == "body"

    def test_hmac_of_the_raw_fixture(self):
        body = raw("shopify_order.json")
        digest = hmac.new(b"shpss_secret", body, hashlib.sha256).digest()
        assert verify_shopify(body, base64.b64encode(digest).decode(), "shpss_secret")
