"""A Shopify order onto PlaceOrder: the documented order's fields, the fallbacks for what a
store leaves out, and the JSON path a bad value is refused with."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests.unit.adapters.shopify.payloads import MERCHANT, MULTI, data, order_data, raw

from postpurchase.adapters.storefronts.shopify import TOPICS, line_sku, parse_order
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money


class TestOrder:
    def test_full_documented_order(self):
        cmd = parse_order(raw("shopify_order.json"), merchant_id=MERCHANT)
        assert isinstance(cmd, PlaceOrder)
        assert cmd.merchant_id == MERCHANT
        assert cmd.external_id == "5908373029123"
        assert cmd.number == "#1001"
        assert cmd.email == "avery.lee@example.com"
        assert cmd.phone == "+1 416-555-0142"
        assert cmd.customer_name == "Avery Lee"
        assert cmd.locale == "en-CA"
        assert cmd.currency == "USD"
        assert cmd.source == "shopify"
        assert cmd.placed_at == datetime(2026, 11, 17, 14, 3, 55, tzinfo=UTC)
        assert cmd.shipping_fee == Money(Decimal("7.45"), "USD")
        assert cmd.shipping_address == Address(
            country="CA",
            postal_code="M5V 2T6",
            region="ON",
            city="Toronto",
            line1="410 Front Street West",
            line2="Unit 1207",
            name="Avery Lee",
            phone="+1 416-555-0142",
        )
        assert [(x.sku, x.name, x.quantity, x.unit_price, x.weight_grams) for x in cmd.lines] == [
            (
                "TRJ-SLT-M",
                "Trail Runner Jacket - Slate / M",
                2,
                Money(Decimal("49.00"), "USD"),
                380,
            ),
            (
                "variant-44519338148099",
                "Merino Trail Sock 3-pack",
                1,
                Money(Decimal("19.00"), "USD"),
                360,
            ),
            (
                "GIFT-CARD",
                "North Wind Gift Card - $0.00",
                1,
                Money(Decimal("0.00"), "USD"),
                0,
            ),
        ]
        assert cmd.promise is None
        assert cmd.source_updated_at == datetime(2026, 11, 17, 14, 3, 57, tzinfo=UTC)
        assert cmd.cancelled_at is None and cmd.cancel_reason is None

    def test_money_is_never_float(self):
        cmd = parse_order(raw("shopify_order.json"), merchant_id=MERCHANT)
        assert all(type(line.unit_price.amount) is Decimal for line in cmd.lines)
        assert type(cmd.shipping_fee.amount) is Decimal

    def test_presentment_currency(self):
        cmd = parse_order(
            raw("shopify_order.json"), merchant_id=MERCHANT, use_presentment_currency=True
        )
        assert cmd.currency == "CAD"
        assert cmd.lines[0].unit_price == Money(Decimal("67.50"), "CAD")
        assert cmd.shipping_fee == Money(Decimal("10.26"), "CAD")

    def test_gift_card_lines_are_kept_and_do_not_ship(self):
        cmd = parse_order(raw("shopify_order.json"), merchant_id=MERCHANT)
        [gift] = [line for line in cmd.lines if line.sku == "GIFT-CARD"]
        assert gift.facts.gift_card and not gift.facts.requires_shipping
        assert all(not line.facts.gift_card for line in cmd.lines if line is not gift)

    def test_only_digital_lines_is_refused(self):
        data = order_data()
        for item in data["line_items"]:
            item["requires_shipping"] = False
        with pytest.raises(InvalidInput) as info:
            parse_order(data, merchant_id=MERCHANT)
        assert info.value.field == "line_items"

    def test_shipping_discount_and_removed_lines(self):
        data = order_data()
        data["shipping_lines"][0]["discounted_price"] = "0.00"
        data["shipping_lines"].append({"price": "12.00", "is_removed": True})
        data["shipping_lines"].append({"price": "1.50"})  # no discounted_price: price
        cmd = parse_order(data, merchant_id=MERCHANT)
        assert cmd.shipping_fee == Money(Decimal("1.50"), "USD")

    def test_wrapped_rest_response_is_accepted(self):
        cmd = parse_order({"order": order_data()}, merchant_id=MERCHANT)
        assert cmd.external_id == "5908373029123"

    def test_pickup_order_falls_back_to_billing_address(self):
        data = order_data()
        data["shipping_address"] = None
        data["billing_address"]["city"] = "Ottawa"
        cmd = parse_order(data, merchant_id=MERCHANT)
        assert cmd.shipping_address.city == "Ottawa"

    def test_names_and_contacts_fall_back(self):
        data = order_data()
        data["email"] = None
        data["contact_email"] = None
        data["shipping_address"]["name"] = None
        data["shipping_address"]["first_name"] = None
        data["shipping_address"]["last_name"] = None
        data["shipping_address"]["phone"] = None
        data["customer_locale"] = None
        data["name"] = None
        cmd = parse_order(data, merchant_id=MERCHANT)
        assert cmd.email == "avery.lee@example.com"  # customer.email
        assert cmd.phone == "+14165550142"  # customer.phone
        assert cmd.customer_name == "Avery Lee"  # customer first/last
        assert cmd.locale == "en"
        assert cmd.number == "#1001"  # order_number

    @pytest.mark.parametrize(
        ("mutate", "field"),
        [
            (lambda d: d.pop("id"), "id"),
            (lambda d: d.__setitem__("currency", "dollars"), "currency"),
            (lambda d: d.pop("currency"), "currency"),
            (lambda d: d.__setitem__("line_items", []), "line_items"),
            (lambda d: d["line_items"][0].__setitem__("price", 49.0), "line_items[0].price"),
            (lambda d: d["line_items"][0].__setitem__("price", "abc"), "line_items[0].price"),
            (lambda d: d["line_items"][1].__setitem__("price", "-1"), "line_items[1].unit_price"),
            (lambda d: d["line_items"][0].__setitem__("quantity", "2"), "line_items[0].quantity"),
            (
                lambda d: d["shipping_lines"][0].__setitem__("discounted_price", 7.45),
                "shipping_lines[0].discounted_price",
            ),
            (
                lambda d: d["shipping_address"].__setitem__("country_code", "Canada"),
                "shipping_address.country_code",
            ),
            (lambda d: d.__setitem__("created_at", "2026-11-17T09:03:55"), "created_at"),
            (lambda d: d.__setitem__("email", 5), "email"),
        ],
    )
    def test_bad_fields_are_named(self, mutate, field):
        data = order_data()
        mutate(data)
        with pytest.raises(InvalidInput) as info:
            parse_order(data, merchant_id=MERCHANT)
        assert info.value.field == field

    def test_no_address_at_all(self):
        data = order_data()
        data["shipping_address"] = None
        data["billing_address"] = None
        data["customer"]["default_address"] = None
        with pytest.raises(InvalidInput) as info:
            parse_order(data, merchant_id=MERCHANT)
        assert info.value.field == "shipping_address"

    def test_a_line_never_ordered_is_dropped(self):
        data = order_data()
        data["line_items"][1]["quantity"] = 0
        data["line_items"][1]["current_quantity"] = 0
        cmd = parse_order(data, merchant_id=MERCHANT)
        assert [line.sku for line in cmd.lines] == ["TRJ-SLT-M", "GIFT-CARD"]


def test_line_sku_rules():
    assert line_sku({"sku": " ABC ", "variant_id": 1}) == "ABC"
    assert line_sku({"sku": None, "variant_id": 77}) == "variant-77"
    assert line_sku({"sku": "", "variant_id": None, "id": 9}) == "line-9"


class TestFieldErrors:
    @pytest.mark.parametrize(
        ("name", "mutate", "field"),
        [
            ("o", lambda d: d["line_items"][2].__setitem__("price", 0.0), "line_items[2].price"),
            ("o", lambda d: d.__setitem__("currency", "XYZ"), "currency"),
            ("o", lambda d: d.__setitem__("presentment_currency", "ZZZ"), "presentment_currency"),
            (
                "o",
                lambda d: d["line_items"][1].__setitem__("quantity", -1),
                "line_items[1].quantity",
            ),
            (
                "o",
                lambda d: d["line_items"][0].__setitem__("current_quantity", -1),
                "line_items[0].current_quantity",
            ),
            (
                "o",
                lambda d: d["line_items"][0].__setitem__("fulfillable_quantity", -2),
                "line_items[0].fulfillable_quantity",
            ),
            ("o", lambda d: d["tax_lines"][0].__setitem__("price", 15.21), "tax_lines[0].price"),
            ("o", lambda d: d.__setitem__("total_price", 139.66), "total_price"),
            (
                "o",
                lambda d: d.pop("subtotal_price") and d.pop("subtotal_price_set"),
                "subtotal_price",
            ),
            ("o", lambda d: d.__setitem__("total_discounts", "-1.00"), "total_discounts"),
            ("o", lambda d: d.__setitem__("total_outstanding", 0.0), "total_outstanding"),
            ("o", lambda d: d.__setitem__("tags", 7), "tags"),
            (
                "o",
                lambda d: d["note_attributes"][0].__setitem__("name", None),
                "note_attributes[0].name",
            ),
            (
                "o",
                lambda d: d["billing_address"].__setitem__("country_code", "Canada"),
                "billing_address.country_code",
            ),
            ("o", lambda d: d.__setitem__("updated_at", "2026-11-17T09:03:57"), "updated_at"),
            ("o", lambda d: d.__setitem__("cancelled_at", "yesterday"), "cancelled_at"),
            (
                "o",
                lambda d: d["shipping_lines"][0].__setitem__("price", 7.45),
                "shipping_lines[0].price",
            ),
            (
                "m",
                lambda d: d["line_items"][0]["discount_allocations"][0].__setitem__("amount", 12.0),
                "line_items[0].discount_allocations[0].amount",
            ),
            (
                "m",
                lambda d: d["shipping_lines"][0]["discount_allocations"][0].__setitem__(
                    "discount_application_index", "1"
                ),
                "shipping_lines[0].discount_allocations[0].discount_application_index",
            ),
            (
                "m",
                lambda d: d["line_items"][0]["properties"][0].__setitem__("value", {"x": 1}),
                "line_items[0].properties[0].value",
            ),
            (
                "m",
                lambda d: d["line_items"][0]["discount_allocations"][0].__setitem__(
                    "amount", "200.00"
                ),
                None,  # a discount over the line: fine, the store says so
            ),
        ],
    )
    def test_the_json_path_is_named(self, name, mutate, field):
        d = order_data() if name == "o" else data(MULTI)
        mutate(d)
        if field is None:
            parse_order(d, merchant_id=MERCHANT)
            return
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT)
        assert info.value.field == field

    def test_a_lower_case_currency_is_read(self):
        d = order_data()
        d["currency"] = "usd"
        assert parse_order(d, merchant_id=MERCHANT).currency == "USD"

    def test_topics(self):
        assert {"orders/updated", "refunds/create"} <= TOPICS
