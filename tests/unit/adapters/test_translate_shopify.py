import base64
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from postpurchase.adapters.signatures import verify_shopify
from postpurchase.adapters.storefronts.shopify import (
    CancelByExternalId,
    ShopifyFulfillment,
    line_sku,
    parse_cancellation,
    parse_fulfillment,
    parse_order,
    parse_webhook,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.status import ShipmentStatus, Substatus

PAYLOADS = Path(__file__).parents[2] / "fixtures" / "payloads"
MERCHANT = "m_north_wind"


def raw(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def order_data() -> dict:
    return orjson.loads(raw("shopify_order.json"))


def fulfillment_data() -> dict:
    return orjson.loads(raw("shopify_fulfillment.json"))


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
        ]
        assert cmd.promise is None

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

    def test_gift_card_lines_are_not_shipped(self):
        cmd = parse_order(raw("shopify_order.json"), merchant_id=MERCHANT)
        assert "GIFT-CARD" not in {line.sku for line in cmd.lines}

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

    def test_removed_line_is_skipped(self):
        data = order_data()
        data["line_items"][1]["quantity"] = 0
        cmd = parse_order(data, merchant_id=MERCHANT)
        assert [line.sku for line in cmd.lines] == ["TRJ-SLT-M"]


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


class TestFulfillment:
    def test_full_documented_fulfillment(self):
        f = parse_fulfillment(raw("shopify_fulfillment.json"))
        assert isinstance(f, ShopifyFulfillment)
        assert f.order_external_id == "5908373029123"
        assert f.fulfillment_id == "5329013653763"
        assert f.tracking_numbers == ("7023210039414604",)
        assert f.tracking_company == "Canada Post"
        assert f.carrier == "canada_post"
        assert f.line_items == (("TRJ-SLT-M", 2), ("variant-44519338148099", 1))
        assert f.shipment_status is ShipmentStatus.IN_TRANSIT
        assert f.raw_shipment_status == "in_transit"
        assert f.created_at == datetime(2026, 11, 18, 19, 22, 7, tzinfo=UTC)
        assert f.updated_at == datetime(2026, 11, 19, 13, 41, 30, tzinfo=UTC)
        assert f.status == "success" and not f.cancelled
        assert f.name == "#1001.1"
        assert f.service == "manual"
        assert len(f.tracking_urls) == 1

    def test_fulfillment_lines_match_order_lines(self):
        order = parse_order(raw("shopify_order.json"), merchant_id=MERCHANT)
        f = parse_fulfillment(raw("shopify_fulfillment.json"))
        assert {sku for sku, _ in f.line_items} <= {line.sku for line in order.lines}

    def test_tracking_event_is_idempotent_per_status(self):
        f = parse_fulfillment(raw("shopify_fulfillment.json"))
        [event] = f.tracking_events()
        assert event.status is ShipmentStatus.IN_TRANSIT
        assert event.source == "shopify"
        assert event.occurred_at == f.updated_at
        again = parse_fulfillment(raw("shopify_fulfillment.json")).tracking_events()[0]
        assert again.fingerprint == event.fingerprint
        data = fulfillment_data()
        data["shipment_status"] = "delivered"
        delivered = parse_fulfillment(data).tracking_events()[0]
        assert delivered.status is ShipmentStatus.DELIVERED
        assert delivered.fingerprint != event.fingerprint

    @pytest.mark.parametrize(
        ("value", "status", "substatus"),
        [
            ("label_printed", ShipmentStatus.INFO_RECEIVED, Substatus.LABEL_CREATED),
            ("confirmed", ShipmentStatus.INFO_RECEIVED, None),
            ("in_transit", ShipmentStatus.IN_TRANSIT, None),
            ("out_for_delivery", ShipmentStatus.OUT_FOR_DELIVERY, None),
            ("attempted_delivery", ShipmentStatus.ATTEMPT_FAILED, None),
            ("ready_for_pickup", ShipmentStatus.AVAILABLE_FOR_PICKUP, None),
            ("delivered", ShipmentStatus.DELIVERED, None),
            ("failure", ShipmentStatus.EXCEPTION, None),
        ],
    )
    def test_shipment_statuses(self, value, status, substatus):
        data = fulfillment_data()
        data["shipment_status"] = value
        f = parse_fulfillment(data)
        assert (f.shipment_status, f.substatus, f.recognised) == (status, substatus, True)

    def test_no_shipment_status_means_no_event(self):
        data = fulfillment_data()
        data["shipment_status"] = None
        f = parse_fulfillment(data)
        assert f.shipment_status is None and f.tracking_events() == ()

    def test_unknown_shipment_status_is_unrecognised(self):
        data = fulfillment_data()
        data["shipment_status"] = "teleported"
        [event] = parse_fulfillment(data).tracking_events()
        assert not event.recognised and event.carrier_code == "teleported"

    def test_several_parcels_and_legacy_single_number(self):
        data = fulfillment_data()
        data["tracking_numbers"] = ["1z999aa10123456784", "1Z999AA1-0123456784", "", "1Z2"]
        data["tracking_company"] = "UPS"
        f = parse_fulfillment(data)
        assert f.tracking_numbers == ("1Z999AA10123456784", "1Z2")
        assert f.carrier == "ups"
        data = fulfillment_data()
        del data["tracking_numbers"]
        assert parse_fulfillment(data).tracking_numbers == ("7023210039414604",)

    def test_unknown_carrier_keeps_the_raw_name(self):
        data = fulfillment_data()
        data["tracking_company"] = "Bob's Courier"
        f = parse_fulfillment(data)
        assert f.carrier is None and f.tracking_company == "Bob's Courier"

    def test_cancelled_fulfillment(self):
        data = fulfillment_data()
        data["status"] = "cancelled"
        assert parse_fulfillment(data).cancelled

    @pytest.mark.parametrize(
        ("mutate", "field"),
        [
            (lambda d: d.pop("order_id"), "order_id"),
            (lambda d: d.pop("id"), "id"),
            (lambda d: d.__setitem__("tracking_numbers", "1Z"), "tracking_numbers"),
            (lambda d: d.__setitem__("tracking_numbers", [5]), "tracking_numbers[0]"),
            (lambda d: d["line_items"][1].__setitem__("quantity", -1), "line_items[1].quantity"),
            (lambda d: d.pop("created_at"), "created_at"),
        ],
    )
    def test_bad_fields_are_named(self, mutate, field):
        data = fulfillment_data()
        mutate(data)
        with pytest.raises(InvalidInput) as info:
            parse_fulfillment(data)
        assert info.value.field == field


class TestWebhook:
    def test_dispatch_by_topic(self):
        order = raw("shopify_order.json")
        assert isinstance(parse_webhook("orders/create", order, merchant_id=MERCHANT), PlaceOrder)
        assert isinstance(
            parse_webhook("orders/cancelled", order, merchant_id=MERCHANT), CancelByExternalId
        )
        for topic in ("fulfillments/create", "fulfillments/update"):
            result = parse_webhook(topic, raw("shopify_fulfillment.json"), merchant_id=MERCHANT)
            assert isinstance(result, ShopifyFulfillment)

    def test_unknown_topic(self):
        with pytest.raises(InvalidInput) as info:
            parse_webhook("products/create", b"{}", merchant_id=MERCHANT)
        assert info.value.field == "X-Shopify-Topic"

    def test_malformed_json(self):
        with pytest.raises(InvalidInput) as info:
            parse_webhook("orders/create", b"{", merchant_id=MERCHANT)
        assert info.value.field == "body"

    def test_hmac_of_the_raw_fixture(self):
        body = raw("shopify_order.json")
        digest = hmac.new(b"shpss_secret", body, hashlib.sha256).digest()
        assert verify_shopify(body, base64.b64encode(digest).decode(), "shpss_secret")


def test_line_sku_rules():
    assert line_sku({"sku": " ABC ", "variant_id": 1}) == "ABC"
    assert line_sku({"sku": None, "variant_id": 77}) == "variant-77"
    assert line_sku({"sku": "", "variant_id": None, "id": 9}) == "line-9"
