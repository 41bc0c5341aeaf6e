"""Shopify's GraphQL ids (gid://shopify/Kind/N) and its REST ids name the same records."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.adapters.shopify.payloads import MERCHANT, REFERENCE, data, raw

from postpurchase.adapters.storefronts.shopify import (
    parse_fulfillment,
    parse_order,
    parse_refund,
    shopify_id,
)
from postpurchase.domain.errors import InvalidInput


class TestGraphQLIds:
    def test_gid_and_rest_ids_are_the_same_order(self):
        rest = parse_order(raw(REFERENCE), merchant_id=MERCHANT)
        d = data(REFERENCE)
        d["id"] = "gid://shopify/Order/1073459981"
        item = d["line_items"][0]
        item["id"] = "gid://shopify/LineItem/1071823193"
        item["product_id"] = "gid://shopify/Product/921728736"
        item["variant_id"] = "gid://shopify/ProductVariant/447654529"
        backfill = parse_order(d, merchant_id=MERCHANT)
        assert backfill.external_id == rest.external_id == "1073459981"
        assert backfill.lines == rest.lines

    @given(st.integers(min_value=1, max_value=10**18))
    def test_any_id_either_way(self, n):
        for kind in ("Order", "LineItem", "Fulfillment", "Refund"):
            assert shopify_id(n, "id", kind) == shopify_id(f"gid://shopify/{kind}/{n}", "id", kind)

    @pytest.mark.parametrize(
        "bad", ["gid://shopify/Customer/1073459981", "gid://shopify/Order/", "gid://x", 0, -4, True]
    )
    def test_wrong_ids_are_refused(self, bad):
        d = data(REFERENCE)
        d["id"] = bad
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT)
        assert info.value.field == "id"

    def test_a_line_id_of_another_kind(self):
        d = data(REFERENCE)
        d["line_items"][0]["id"] = "gid://shopify/Order/1071823193"
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT)
        assert info.value.field == "line_items[0].id"

    def test_fulfillment_and_refund_gids(self):
        f = parse_fulfillment(raw("shopify_fulfillment_multi_parcel.json"))
        assert (f.fulfillment_id, f.order_external_id, f.location_id) == (
            "5329013719299",
            "5908373029123",
            "71234600001",
        )
        assert f.lines[0].line_item_id == "14982743261443"
        d = data("shopify_refund_lines.json")
        d["id"] = "gid://shopify/Refund/988215373891"
        d["order_id"] = "gid://shopify/Order/5908373029123"
        d["refund_line_items"][0]["line_item_id"] = "gid://shopify/LineItem/14982743261443"
        assert parse_refund(d, merchant_id=MERCHANT) == parse_refund(
            raw("shopify_refund_lines.json"), merchant_id=MERCHANT
        )
