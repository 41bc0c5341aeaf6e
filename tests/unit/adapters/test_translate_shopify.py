import base64
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.adapters.signatures import verify_shopify
from postpurchase.adapters.storefronts.shopify import (
    TOPICS,
    CancelByExternalId,
    FulfillmentLine,
    ShopifyFulfillment,
    line_sku,
    parse_cancellation,
    parse_fulfillment,
    parse_order,
    parse_refund,
    parse_webhook,
    shopify_id,
)
from postpurchase.domain.addresses import Address
from postpurchase.domain.commands import PlaceOrder, RecordRefund, RefundLineInput
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.money import Money
from postpurchase.domain.order_details import Discount, ServiceLevel, ShippingLine, TaxLine
from postpurchase.domain.status import ShipmentStatus, Substatus

PAYLOADS = Path(__file__).parents[2] / "fixtures" / "payloads"
MERCHANT = "m_north_wind"


def raw(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def order_data() -> dict:
    return orjson.loads(raw("shopify_order.json"))


def fulfillment_data() -> dict:
    return orjson.loads(raw("shopify_fulfillment.json"))


def data(name: str) -> dict:
    return orjson.loads(raw(name))


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


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
        data["tracking_urls"] = ["https://bobs-courier.example/t/7023210039414604"]
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


def test_line_sku_rules():
    assert line_sku({"sku": " ABC ", "variant_id": 1}) == "ABC"
    assert line_sku({"sku": None, "variant_id": 77}) == "variant-77"
    assert line_sku({"sku": "", "variant_id": None, "id": 9}) == "line-9"


REFERENCE = "shopify_order_reference_discount.json"  # Shopify's documented order, 9% off
MULTI = "shopify_order_multicurrency.json"  # USD shop, EUR shopper, gift card, digital line


class TestReferenceOrder:
    """The REST Admin API reference order: one 199.00 line, a FAKE30 code worth 17.91,
    a 50.00 sale transaction. Stored before as 199.00; the shopper owes 181.09."""

    def test_total_is_what_the_shopper_pays(self):
        cmd = parse_order(raw(REFERENCE), merchant_id=MERCHANT)
        assert cmd.totals is not None
        assert cmd.totals.total == usd("181.09")
        assert cmd.totals.subtotal == usd("181.09")  # subtotal_price: after the discount
        assert cmd.totals.discounts == usd("17.91")
        assert cmd.totals.shipping == usd("0") == cmd.shipping_fee
        assert cmd.totals.tax == usd("0.00")
        assert cmd.totals.paid == usd("50.00")  # 181.09 - 131.09 outstanding
        assert not cmd.totals.taxes_included

    def test_every_listed_field_is_carried(self):
        cmd = parse_order(raw(REFERENCE), merchant_id=MERCHANT)
        assert (cmd.external_id, cmd.number, cmd.email, cmd.phone) == (
            "1073459981",
            "#1002",
            "jane@example.com",
            "+18885551234",
        )
        assert cmd.customer_name == "Jane Smith"  # the recipient
        assert cmd.source_updated_at == datetime(2025, 7, 2, 16, 31, 38, tzinfo=UTC)
        [line] = cmd.lines
        assert (line.sku, line.name, line.quantity, line.unit_price, line.weight_grams) == (
            "IPOD2009BLACK",
            "IPod Touch 8GB - Black",
            1,
            usd("199.00"),
            567,
        )
        facts = line.facts
        assert (facts.external_id, facts.product_id, facts.variant_id, facts.variant_title) == (
            "1071823193",
            "921728736",
            "447654529",
            "Black",
        )
        assert facts.discount == usd("17.91")
        assert facts.tax == usd("0")
        assert facts.requires_shipping and not facts.gift_card and not facts.removed
        assert facts.fulfillable_quantity == 1 and facts.properties == ()
        d = cmd.details
        assert d.customer_name == "John Smith"  # the customer record
        assert d.accepts_marketing is False  # consent "not_subscribed"
        assert d.billing_address == Address(
            country="CA",
            postal_code="K2P 1L4",
            region="ON",
            city="Fakecity",
            line1="123 Fake Street",
            name="John Smith",
            phone="555-555-5555",
        )
        assert (d.shipping_method, d.service_level, d.shipping_lines) == (None, None, ())
        assert (d.note, d.note_attributes, d.tags) == (None, (), ())
        assert (d.financial_status, d.fulfillment_status) == ("paid", None)
        assert (d.presentment_currency, d.presentment_total) == (None, None)  # USD both
        assert d.discounts == (
            Discount(
                kind="code",  # discount_codes names it; Shopify files it as manual
                code="FAKE30",
                amount=usd("17.91"),
                target="lines",
                value="9.0",
                value_type="percentage",
            ),
        )
        assert d.tax_lines == ()
        assert d.extra == {"admin_graphql_api_id": "gid://shopify/Order/1073459981"}

    def test_presentment_mode_with_one_currency_is_the_same(self):
        shop = parse_order(raw(REFERENCE), merchant_id=MERCHANT)
        shown = parse_order(raw(REFERENCE), merchant_id=MERCHANT, use_presentment_currency=True)
        assert shown.totals == shop.totals and shown.lines == shop.lines

    @pytest.mark.parametrize(
        ("status", "paid"),
        [("paid", "181.09"), ("partially_refunded", "181.09"), ("pending", "0"), (None, "0")],
    )
    def test_paid_without_total_outstanding_follows_financial_status(self, status, paid):
        d = data(REFERENCE)
        del d["total_outstanding"]
        d["financial_status"] = status
        cmd = parse_order(d, merchant_id=MERCHANT)
        assert cmd.totals is not None and cmd.totals.paid == usd(paid)

    def test_no_total_price_leaves_totals_to_the_lines(self):
        d = data(REFERENCE)
        del d["total_price"], d["total_price_set"]
        assert parse_order(d, merchant_id=MERCHANT).totals is None


class TestMultiCurrencyOrder:
    def test_shop_money(self):
        cmd = parse_order(raw(MULTI), merchant_id=MERCHANT)
        assert cmd.currency == "USD"
        assert cmd.totals is not None
        t = cmd.totals
        assert (t.subtotal, t.discounts, t.shipping, t.tax, t.total, t.paid) == (
            usd("171.35"),
            usd("18.00"),
            usd("10.00"),
            usd("20.28"),
            usd("181.35"),  # taxes included: subtotal + shipping
            usd("181.35"),
        )
        assert t.taxes_included
        assert cmd.shipping_fee == usd("10.00")
        d = cmd.details
        assert (d.presentment_currency, d.presentment_total) == ("EUR", eur("166.48"))
        assert d.discounts == (
            Discount("code", "WELCOME10", usd("13.00"), "lines", "10.0", "percentage"),
            Discount(
                "automatic",
                "Express für 4,60 € weniger",
                usd("5.00"),
                "shipping",
                "4.6",
                "fixed_amount",
            ),
        )
        assert d.shipping_lines == (
            ShippingLine(
                title="DHL Express Worldwide",
                price=usd("15.00"),
                paid=usd("10.00"),
                code="EXPRESS",
                source="dhl",
                carrier_identifier="3f9bd1ad9c0e48ab2c0e75fd6b2e1fa7",
            ),
        )
        assert d.tax_lines == (TaxLine("DE MwSt", Decimal("0.19"), usd("20.28")),)

    def test_details(self):
        d = parse_order(raw(MULTI), merchant_id=MERCHANT).details
        assert d.customer_name == "Jonas Keller"
        assert d.accepts_marketing is True  # subscribed, though the checkout box was not ticked
        assert d.billing_address is not None and d.billing_address.line1 == "Hafenstraße 12"
        assert (d.shipping_method, d.service_level) == (
            "DHL Express Worldwide",
            ServiceLevel.EXPRESS,
        )
        assert d.note == "Bitte beim Nachbarn abgeben, falls niemand da ist."
        assert d.note_attributes == (("gift_wrap", "yes"), ("delivery_window", "evening"))
        assert d.tags == ("wholesale", "EU", "first-order")
        assert (d.financial_status, d.fulfillment_status) == ("paid", None)

    def test_gift_card_and_digital_lines_are_kept_and_do_not_ship(self):
        cmd = parse_order(raw(MULTI), merchant_id=MERCHANT)
        shell, maps, gift = cmd.lines
        assert shell.facts.requires_shipping and not shell.facts.gift_card
        assert shell.facts.properties == (("Monogram", "JK"), ("_gift", "yes"))
        assert shell.facts.tax == usd("17.24") and shell.facts.discount == usd("12.00")
        assert maps.sku == "MAP-ALP-PDF"
        assert not maps.facts.requires_shipping and not maps.facts.gift_card
        assert gift.sku == "variant-47330012411203"  # no SKU: the variant rule
        assert gift.facts.gift_card and not gift.facts.requires_shipping
        assert gift.facts.discount == usd("0") and gift.facts.tax == usd("0")
        assert gift.facts.variant_title == "€50"

    def test_presentment_mode_reads_every_amount_in_presentment_money(self):
        cmd = parse_order(raw(MULTI), merchant_id=MERCHANT, use_presentment_currency=True)
        assert cmd.currency == "EUR"
        assert [line.unit_price for line in cmd.lines] == [eur("110.00"), eur("9.20"), eur("50.00")]
        assert [line.facts.discount for line in cmd.lines] == [eur("11.00"), eur("0.92"), eur("0")]
        assert [line.facts.tax for line in cmd.lines] == [eur("15.81"), eur("1.32"), eur("0")]
        assert cmd.shipping_fee == eur("9.20")
        t = cmd.totals
        assert t is not None
        assert (t.subtotal, t.discounts, t.shipping, t.tax, t.total, t.paid) == (
            eur("157.28"),
            eur("16.52"),
            eur("9.20"),
            eur("18.60"),
            eur("166.48"),
            eur("166.48"),
        )
        d = cmd.details
        assert [x.amount for x in d.discounts] == [eur("11.92"), eur("4.60")]
        assert d.shipping_lines[0].price == eur("13.80")
        assert d.shipping_lines[0].paid == eur("9.20")
        assert d.tax_lines == (TaxLine("DE MwSt", Decimal("0.19"), eur("18.60")),)
        assert (d.presentment_currency, d.presentment_total) == ("EUR", eur("166.48"))

    @pytest.mark.parametrize(
        ("outstanding", "paid"),
        [("0.00", "166.48"), ("181.35", "0"), ("36.27", "133.18")],  # 36.27 USD ~ 33.30 EUR
    )
    def test_presentment_paid_converts_the_shop_outstanding(self, outstanding, paid):
        d = data(MULTI)
        d["total_outstanding"] = outstanding
        cmd = parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert cmd.totals is not None and cmd.totals.paid == eur(paid)

    def test_a_code_no_application_names_is_added(self):
        d = data(MULTI)
        d["discount_codes"].append({"code": "EXTRA5", "amount": "5.00", "type": "fixed_amount"})
        extra = parse_order(d, merchant_id=MERCHANT).details.discounts[-1]
        assert extra == Discount("code", "EXTRA5", usd("5.00"), "lines", None, "fixed_amount")
        shown = parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert shown.details.discounts[-1].amount == eur("4.59")  # 5.00 x 166.48 / 181.35

    def test_presentment_amount_missing(self):
        d = data(MULTI)
        del d["line_items"][0]["price_set"]
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert info.value.field == "line_items[0].price_set"

    def test_presentment_amount_in_another_currency(self):
        d = data(MULTI)
        d["shipping_lines"][0]["discounted_price_set"]["presentment_money"]["currency_code"] = "GBP"
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT, use_presentment_currency=True)
        assert (
            info.value.field
            == "shipping_lines[0].discounted_price_set.presentment_money.currency_code"
        )

    def test_only_digital_goods_and_gift_cards_is_refused(self):
        d = data(MULTI)
        d["line_items"] = d["line_items"][1:]
        with pytest.raises(InvalidInput) as info:
            parse_order(d, merchant_id=MERCHANT)
        assert info.value.field == "line_items"


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


class TestFulfillmentCarrier:
    def test_no_company_and_a_ups_link(self):
        f = parse_fulfillment(raw("shopify_fulfillment_legacy_no_company.json"))
        assert f.tracking_company is None
        assert f.carrier == "ups"
        assert f.tracking_numbers == ("1Z999AA10123456784",)
        assert f.tracking_urls == (
            "https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784",
        )
        assert (f.location_id, f.name, f.service) == ("71234568451", "#1001.2", "manual")
        assert f.lines == (
            FulfillmentLine("14982743261443", "TRJ-SLT-M", 2, "Trail Runner Jacket - Slate / M"),
        )

    def test_an_unknown_host_leaves_the_carrier_to_detection(self):
        d = data("shopify_fulfillment_legacy_no_company.json")
        d["tracking_url"] = "https://track.example-3pl.com/p/1Z999AA10123456784"
        f = parse_fulfillment(d)
        assert f.carrier is None  # the shipment's creation detects UPS from the number
        assert f.tracking_numbers == ("1Z999AA10123456784",)

    def test_no_company_and_no_link(self):
        d = data("shopify_fulfillment_legacy_no_company.json")
        d["tracking_url"] = None
        f = parse_fulfillment(d)
        assert f.carrier is None and f.tracking_urls == ()

    @pytest.mark.parametrize(
        ("url", "carrier"),
        [
            ("https://tools.usps.com/go/TrackConfirmAction?tLabels=9400100000000000000000", "usps"),
            ("https://www.fedex.com/fedextrack/?trknbr=449044304137821", "fedex"),
            ("https://www.dhl.com/en/express/tracking.html?AWB=1234567890", "dhl"),
            ("https://ecommerceportal.dhl.com/track/?ref=GM123", "dhl_ecommerce"),
            ("https://www.royalmail.com/track-your-item#/tracking-results/AB123", "royal_mail"),
            ("https://auspost.com.au/mypost/track/details/ABC", "australia_post"),
            ("track.dpd.co.uk/parcels/15501234", "dpd"),
            ("https://www.ups.com.evil.example/track", None),
            ("https://track.aftership.com/1Z999AA10123456784", None),
            ("not a link", None),
        ],
    )
    def test_carrier_from_the_link_host(self, url, carrier):
        d = data("shopify_fulfillment_legacy_no_company.json")
        d["tracking_url"] = url
        assert parse_fulfillment(d).carrier == carrier

    def test_the_company_wins_over_the_link(self):
        d = data("shopify_fulfillment_legacy_no_company.json")
        d["tracking_company"] = "FedEx"
        assert parse_fulfillment(d).carrier == "fedex"

    def test_several_numbers_and_links(self):
        f = parse_fulfillment(raw("shopify_fulfillment_multi_parcel.json"))
        assert f.carrier == "fedex"
        assert f.tracking_numbers == ("449044304137821", "449044304137838")
        assert f.tracking_urls == (
            "https://www.fedex.com/fedextrack/?trknbr=449044304137821",
            "https://www.fedex.com/fedextrack/?trknbr=449044304137838",
        )

    def test_links_stay_paired_with_their_numbers(self):
        d = data("shopify_fulfillment_multi_parcel.json")
        d["tracking_numbers"] = ["449044304137821", "449044304137821", "", "449044304137838"]
        d["tracking_urls"] = ["https://a.example/1", "https://a.example/dup", "", "https://b/2"]
        f = parse_fulfillment(d)
        assert f.tracking_numbers == ("449044304137821", "449044304137838")
        assert f.tracking_urls == ("https://a.example/1", "https://b/2")
        d["tracking_urls"] = ["", "https://a.example/dup", "", "https://b/2"]
        assert parse_fulfillment(d).tracking_urls == ()  # urls[n] is always number n's

    def test_more_links_than_numbers_are_all_kept(self):
        d = data("shopify_fulfillment_multi_parcel.json")
        d["tracking_numbers"] = ["449044304137821"]
        d["tracking_urls"].append("https://www.fedex.com/fedextrack/?trknbr=449044304137821")
        f = parse_fulfillment(d)
        assert len(f.tracking_urls) == 2  # the duplicate link once

    def test_lines_the_order_does_not_know_are_parsed(self):
        f = parse_fulfillment(raw("shopify_fulfillment_multi_parcel.json"))
        assert f.lines[1] == FulfillmentLine(
            "14982799990001", "SAMPLE-KIT-24", 1, "Trail Sample Kit"
        )
        assert f.line_items == (("TRJ-SLT-M", 1), ("SAMPLE-KIT-24", 1))  # today's shape

    def test_a_link_that_is_not_a_string(self):
        d = data("shopify_fulfillment_multi_parcel.json")
        d["tracking_urls"][1] = 5
        with pytest.raises(InvalidInput) as info:
            parse_fulfillment(d)
        assert info.value.field == "tracking_urls[1]"


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


# ------------------------------------------------------------------------------------------
# generated orders: totals are exact Decimals and agree with the lines and discounts
# ------------------------------------------------------------------------------------------

_cents = st.integers(min_value=0, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def _generated(draw: st.DrawFn) -> tuple[dict, dict[str, Decimal]]:
    rate = draw(st.sampled_from([Decimal(1), Decimal(2), Decimal(3)]))

    def money(amount: Decimal) -> dict:
        return {
            "shop_money": {"amount": str(amount), "currency_code": "USD"},
            "presentment_money": {"amount": str(amount * rate), "currency_code": "JPY"},
        }

    lines, gross, line_discounts, taxes = [], Decimal(0), Decimal(0), Decimal(0)
    for i in range(draw(st.integers(min_value=1, max_value=5))):
        price, qty = draw(_cents), draw(st.integers(min_value=1, max_value=5))
        off = draw(st.integers(min_value=0, max_value=int(price * qty * 100))) / Decimal(100)
        tax = draw(_cents)
        gross, line_discounts, taxes = gross + price * qty, line_discounts + off, taxes + tax
        lines.append(
            {
                "id": 1000 + i,
                "sku": f"SKU-{i}",
                "name": f"Item {i}",
                "quantity": qty,
                "current_quantity": qty,
                "requires_shipping": True,
                "price": str(price),
                "price_set": money(price),
                "tax_lines": [
                    {"title": "Tax", "rate": 0.1, "price": str(tax), "price_set": money(tax)}
                ],
                "discount_allocations": [
                    {"amount": str(off), "amount_set": money(off), "discount_application_index": 0}
                ],
            }
        )
    ship = draw(_cents)
    ship_off = draw(st.integers(min_value=0, max_value=int(ship * 100))) / Decimal(100)
    included = draw(st.booleans())
    subtotal = gross - line_discounts
    grand = subtotal + (ship - ship_off) + (0 if included else taxes)
    order = {
        "id": 42,
        "currency": "USD",
        "presentment_currency": "JPY",
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:06Z",
        "shipping_address": {"country_code": "US", "zip": "10001"},
        "line_items": lines,
        "shipping_lines": [
            {
                "title": "Standard",
                "price": str(ship),
                "price_set": money(ship),
                "discounted_price": str(ship - ship_off),
                "discounted_price_set": money(ship - ship_off),
                "discount_allocations": [
                    {
                        "amount": str(ship_off),
                        "amount_set": money(ship_off),
                        "discount_application_index": 1,
                    }
                ],
            }
        ],
        "discount_applications": [
            {"type": "manual", "title": "Lines", "target_type": "line_item"},
            {"type": "automatic", "title": "Ship", "target_type": "shipping_line"},
        ],
        "subtotal_price": str(subtotal),
        "subtotal_price_set": money(subtotal),
        "total_discounts": str(line_discounts + ship_off),
        "total_discounts_set": money(line_discounts + ship_off),
        "total_tax": str(taxes),
        "total_tax_set": money(taxes),
        "taxes_included": included,
        "total_price": str(grand),
        "total_price_set": money(grand),
        "total_outstanding": "0.00",
    }
    expected = {
        "rate": rate,
        "subtotal": subtotal,
        "discounts": line_discounts + ship_off,
        "shipping": ship - ship_off,
        "tax": taxes,
        "total": grand,
    }
    return order, expected


@settings(max_examples=150, deadline=None)
@given(_generated(), st.booleans())
def test_generated_totals_are_exact_and_consistent(case, presentment):
    order, expected = case
    cmd = parse_order(order, merchant_id=MERCHANT, use_presentment_currency=presentment)
    factor = expected["rate"] if presentment else Decimal(1)
    cur = "JPY" if presentment else "USD"
    t = cmd.totals
    assert t is not None
    amounts = [t.subtotal, t.discounts, t.shipping, t.tax, t.total, t.paid, cmd.shipping_fee]
    assert all(type(m.amount) is Decimal and m.currency == cur for m in amounts)
    for key in ("subtotal", "discounts", "shipping", "tax", "total"):
        assert getattr(t, key).amount == expected[key] * factor
    assert t.paid == t.total and t.shipping == cmd.shipping_fee
    tax = Money.zero(cur) if t.taxes_included else t.tax
    assert t.total == t.subtotal + t.shipping + tax
    line_discounts = sum((line.facts.discount.amount for line in cmd.lines), Decimal(0))
    gross = sum((line.unit_price.amount * line.quantity for line in cmd.lines), Decimal(0))
    assert gross - line_discounts == t.subtotal.amount
    assert sum((d.amount.amount for d in cmd.details.discounts), Decimal(0)) == t.discounts.amount
    assert sum((x.facts.tax.amount for x in cmd.lines), Decimal(0)) == t.tax.amount
