"""A backfilled order (the Admin GraphQL shape) reads into the same snapshot as the same
order delivered by a webhook (the REST shape): money, lines, discounts, taxes, presentment
currency, SKU-less lines, fulfilments and refunds."""

from __future__ import annotations

import pytest

from postpurchase.adapters.storefronts.shopify import parse_fulfillment, parse_order, parse_refund
from postpurchase.adapters.storefronts.shopify.backfill import order_commands
from postpurchase.adapters.storefronts.shopify.fulfillments import as_command
from postpurchase.domain.commands import PlaceOrder, RecordFulfillment, RecordRefund
from tests.integration.storefronts.shopify_shapes import fixture, graphql_order


def _same_money(a: PlaceOrder, b: PlaceOrder) -> None:
    assert (a.external_id, a.number, a.email, a.currency) == (
        b.external_id, b.number, b.email, b.currency
    )  # fmt: skip
    assert (a.placed_at, a.source_updated_at, a.cancelled_at) == (
        b.placed_at, b.source_updated_at, b.cancelled_at
    )  # fmt: skip
    assert a.totals == b.totals and a.shipping_fee == b.shipping_fee
    assert a.shipping_address == b.shipping_address
    assert [(x.sku, x.name, x.quantity, x.unit_price) for x in a.lines] == [
        (x.sku, x.name, x.quantity, x.unit_price) for x in b.lines
    ]
    for x, y in zip(a.lines, b.lines, strict=True):
        assert (x.facts.external_id, x.facts.discount, x.facts.tax, x.facts.gift_card,
                x.facts.requires_shipping, x.facts.removed, x.facts.variant_id) == (
            y.facts.external_id, y.facts.discount, y.facts.tax, y.facts.gift_card,
            y.facts.requires_shipping, y.facts.removed, y.facts.variant_id)  # fmt: skip
    da, db = a.details, b.details
    assert da.discounts == db.discounts and da.shipping_lines == db.shipping_lines
    assert da.tax_lines == db.tax_lines and da.tags == db.tags
    assert da.presentment_currency == db.presentment_currency
    assert da.presentment_totals == db.presentment_totals
    assert da.presentment_total == db.presentment_total
    assert da.financial_status == db.financial_status and da.note == db.note


@pytest.mark.parametrize(
    "name",
    [
        "shopify_order.json",  # presentment CAD, a line without SKU, a gift card, HST
        "shopify_order_reference_discount.json",  # code and automatic discounts
        "shopify_order_multicurrency.json",
        "shopify_order_cancelled.json",
        "shopify_order_updated_edit.json",  # a line edited away
    ],
)
def test_a_graphql_order_reads_as_its_webhook_does(name: str) -> None:
    rest = fixture(name)
    webhook = parse_order(rest, merchant_id="m")
    commands = order_commands(graphql_order(rest), "m")
    assert isinstance(commands[0], PlaceOrder)
    _same_money(commands[0], webhook)


def test_fulfilments_and_refunds_come_with_their_order() -> None:
    rest = fixture("shopify_order.json")
    fulfilment = {**fixture("shopify_fulfillment.json"), "order_id": rest["id"]}
    refund = {**fixture("shopify_refund_lines.json"), "order_id": rest["id"]}
    node = graphql_order({**rest, "fulfillments": [fulfilment], "refunds": [refund]})
    _, shipped, refunded = order_commands(node, "m")
    assert isinstance(shipped, RecordFulfillment) and isinstance(refunded, RecordRefund)
    expected = as_command(parse_fulfillment(fulfilment), "m")
    assert shipped.fulfillment_id == expected.fulfillment_id
    assert shipped.tracking_numbers == expected.tracking_numbers
    assert shipped.carrier == expected.carrier
    assert [(x.sku, x.quantity, x.line_external_id) for x in shipped.lines] == [
        (x.sku, x.quantity, x.line_external_id) for x in expected.lines
    ]
    by_webhook = parse_refund(refund, merchant_id="m")
    assert refunded.refund_external_id == by_webhook.refund_external_id
    assert refunded.amount == by_webhook.amount and refunded.shipping == by_webhook.shipping
    assert refunded.lines == by_webhook.lines
