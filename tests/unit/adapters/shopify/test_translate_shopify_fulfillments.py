"""A Shopify fulfillment: its parcels, the status it reports, and the carrier read from the
company name or the tracking link's host."""

from datetime import UTC, datetime

import pytest
from tests.unit.adapters.shopify.payloads import MERCHANT, data, fulfillment_data, raw

from postpurchase.adapters.storefronts.shopify import (
    FulfillmentLine,
    ShopifyFulfillment,
    parse_fulfillment,
    parse_order,
)
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.status import ShipmentStatus, Substatus


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
