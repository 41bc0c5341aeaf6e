"""A Shopify order after it was placed: cancelled (parse_cancellation and the orders/cancelled
snapshot) and edited (orders/updated)."""

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest
from tests.unit.adapters.shopify.payloads import MERCHANT, data, order_data, raw, usd

from postpurchase.adapters.storefronts.shopify import (
    CancelByExternalId,
    parse_cancellation,
    parse_order,
    parse_webhook,
)
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money


class TestCancellation:
    def test_cancelled_order(self):
        data = order_data()
        data["cancelled_at"] = "2026-11-17T11:30:00-05:00"
        data["cancel_reason"] = "customer"
        cmd = parse_cancellation(orjson.dumps(data))
        assert cmd == CancelByExternalId(
            external_id="5908373029123",
            reason="customer",
            at=datetime(2026, 11, 17, 16, 30, tzinfo=UTC),
        )

    def test_missing_cancelled_at_uses_updated_at(self):
        cmd = parse_cancellation(order_data())
        assert cmd.at == datetime(2026, 11, 17, 14, 3, 57, tzinfo=UTC)

    def test_no_time_at_all(self):
        data = order_data()
        data["updated_at"] = None
        with pytest.raises(InvalidInput) as info:
            parse_cancellation(data)
        assert info.value.field == "cancelled_at"


class TestOrderUpdated:
    """orders/updated after an edit: one jacket of two and the socks removed, a vest added."""

    def test_the_snapshot_after_an_edit(self):
        created = parse_webhook("orders/create", raw("shopify_order.json"), merchant_id=MERCHANT)
        cmd = parse_webhook(
            "orders/updated", raw("shopify_order_updated_edit.json"), merchant_id=MERCHANT
        )
        assert isinstance(created, PlaceOrder) and isinstance(cmd, PlaceOrder)
        assert cmd.external_id == created.external_id
        assert created.source_updated_at is not None and cmd.source_updated_at is not None
        assert cmd.source_updated_at > created.source_updated_at  # the handler revises
        lines = {line.sku: line for line in cmd.lines}
        assert lines["TRJ-SLT-M"].quantity == 1  # current_quantity: what will ship
        socks = lines["variant-44519338148099"]
        assert socks.facts.removed and socks.quantity == 1  # kept, as ordered
        assert lines["PDV-SLT-M"].facts.external_id == "14982751322115"
        assert not lines["PDV-SLT-M"].facts.removed
        # same line ids as at creation, so a revision matches its lines
        ids = {line.facts.external_id for line in created.lines}
        assert ids <= {line.facts.external_id for line in cmd.lines}
        assert cmd.totals is not None
        assert cmd.totals.total == usd("163.39")
        assert cmd.totals.paid == usd("139.66")  # 163.39 current - 23.73 outstanding
        assert cmd.details.financial_status == "partially_paid"

    def test_refunds_in_the_order_count_as_received(self):
        d = data("shopify_order_updated_edit.json")
        d["current_total_price"] = "153.39"
        d["refunds"] = [data("shopify_refund_shipping_only.json") for _ in range(2)]
        d["refunds"][1]["transactions"][0]["amount"] = "2.55"
        cmd = parse_order(d, merchant_id=MERCHANT)
        assert cmd.totals is not None
        assert cmd.totals.paid == usd("139.66")  # 153.39 - 23.73 + 7.45 + 2.55


class TestOrderCancelled:
    def test_a_full_snapshot_with_the_cancellation(self):
        cmd = parse_webhook(
            "orders/cancelled", raw("shopify_order_cancelled.json"), merchant_id=MERCHANT
        )
        assert isinstance(cmd, PlaceOrder)
        assert cmd.cancelled_at == datetime(2026, 11, 17, 16, 30, tzinfo=UTC)
        assert cmd.cancel_reason == "customer"
        assert cmd.source_updated_at == datetime(2026, 11, 17, 16, 30, 2, tzinfo=UTC)
        # every line restocked by the cancellation: kept, removed, with what was ordered
        assert [(x.sku, x.quantity, x.facts.removed) for x in cmd.lines] == [
            ("TRJ-SLT-M", 2, True),
            ("variant-44519338148099", 1, True),
            ("GIFT-CARD", 1, True),
        ]
        assert cmd.totals is not None
        assert cmd.totals.total == usd("139.66")  # as placed; the refund is recorded apart
        # received: 0 current - 0 outstanding + the refund, whose transaction is in CAD,
        # so its parts in shop money: 98.00 + 12.74 + 19.00 + 2.47 + 7.45
        assert cmd.totals.paid == usd("139.66")
        assert cmd.details.financial_status == "refunded"

    def test_presentment_paid_uses_the_refund_transaction(self):
        cmd = parse_order(
            raw("shopify_order_cancelled.json"), merchant_id=MERCHANT, use_presentment_currency=True
        )
        assert cmd.totals is not None
        assert cmd.totals.paid == Money(Decimal("192.36"), "CAD")

    def test_parse_cancellation_is_still_there(self):
        assert parse_cancellation(raw("shopify_order_cancelled.json")) == CancelByExternalId(
            "5908373029123", "customer", datetime(2026, 11, 17, 16, 30, tzinfo=UTC)
        )
