"""A Shopify refund onto RecordRefund: lines, shipping and the money that really went back."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests.unit.adapters.shopify.payloads import MERCHANT, data, raw, usd

from postpurchase.adapters.storefronts.shopify import parse_refund, parse_webhook
from postpurchase.domain.commands import RecordRefund, RefundLineInput
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money


class TestRefund:
    def test_lines_and_the_money_returned(self):
        cmd = parse_webhook(
            "refunds/create", raw("shopify_refund_lines.json"), merchant_id=MERCHANT
        )
        assert cmd == RecordRefund(
            merchant_id=MERCHANT,
            order_external_id="5908373029123",
            refund_external_id="988215373891",
            created_at=datetime(2026, 11, 28, 15, 14, 9, tzinfo=UTC),
            amount=usd("76.84"),  # the successful transaction; the failed one is not money
            shipping=usd("0"),
            lines=(
                RefundLineInput("TRJ-SLT-M", 1, usd("49.00"), "14982743261443", "return"),
                RefundLineInput(
                    "variant-44519338148099", 1, usd("19.00"), "14982743294211", "no_restock"
                ),
            ),
            note="Returned: too big",
        )

    def test_presentment_mode(self):
        cmd = parse_refund(
            raw("shopify_refund_lines.json"), merchant_id=MERCHANT, use_presentment_currency=True
        )
        cad = [line.amount for line in cmd.lines]
        assert cad == [Money(Decimal("67.50"), "CAD"), Money(Decimal("26.15"), "CAD")]
        # the transactions are in USD: the refund's own parts, 67.50 + 8.78 + 26.15 + 3.40
        assert cmd.amount == Money(Decimal("105.83"), "CAD")

    def test_shipping_only(self):
        cmd = parse_refund(raw("shopify_refund_shipping_only.json"), merchant_id=MERCHANT)
        assert cmd.lines == ()
        assert cmd.shipping == usd("7.45") and cmd.amount == usd("7.45")

    def test_shipping_from_order_adjustments_alone(self):
        d = data("shopify_refund_shipping_only.json")
        d["refund_shipping_lines"] = []
        assert parse_refund(d, merchant_id=MERCHANT).shipping == usd("7.45")

    def test_a_line_without_its_line_item_uses_the_line_id(self):
        d = data("shopify_refund_lines.json")
        del d["refund_line_items"][1]["line_item"]
        assert parse_refund(d, merchant_id=MERCHANT).lines[1].sku == "line-14982743294211"

    def test_wrapped_rest_response(self):
        wrapped = {"refund": data("shopify_refund_lines.json")}
        assert parse_refund(wrapped, merchant_id=MERCHANT).refund_external_id == "988215373891"

    @pytest.mark.parametrize(
        ("mutate", "field"),
        [
            (lambda d: d.pop("id"), "id"),
            (lambda d: d.pop("order_id"), "order_id"),
            (lambda d: d.pop("created_at") and d.pop("processed_at"), "created_at"),
            (
                lambda d: d["refund_line_items"][0].pop("subtotal_set"),
                "refund_line_items[0].subtotal",  # Shopify's plain subtotal is a float
            ),
            (
                lambda d: d["refund_line_items"][0].__setitem__("quantity", -1),
                "refund_line_items[0].quantity",
            ),
            (
                lambda d: (
                    d["refund_line_items"][1].pop("line_item_id")
                    and d["refund_line_items"][1].pop("line_item")
                ),
                "refund_line_items[1].line_item_id",
            ),
            (lambda d: d["transactions"][1].__setitem__("amount", 76.84), "transactions[1].amount"),
            (
                lambda d: d["transactions"][1].__setitem__("currency", "XYZ"),
                "transactions[1].currency",
            ),
            (
                lambda d: d["total_duties_set"]["shop_money"].__setitem__("currency_code", "XYZ"),
                "total_duties_set.shop_money.currency_code",
            ),
        ],
    )
    def test_bad_fields_are_named(self, mutate, field):
        d = data("shopify_refund_lines.json")
        mutate(d)
        with pytest.raises(InvalidInput) as info:
            parse_refund(d, merchant_id=MERCHANT)
        assert info.value.field == field
