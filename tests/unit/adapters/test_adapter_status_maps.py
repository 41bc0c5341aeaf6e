import pytest

from postpurchase.adapters.tracking_sources.status_maps import (
    AFTERSHIP_SUBTAGS,
    AFTERSHIP_TAGS,
    CARRIER_ALIASES,
    CARRIER_CODES,
    EASYPOST_STATUS_DETAILS,
    EASYPOST_STATUSES,
    GENERIC_CODES,
    SHOPIFY_SHIPMENT_STATUSES,
    UNRECOGNISED,
    Mapped,
    map_aftership,
    map_carrier_code,
    map_easypost,
    map_shopify_shipment_status,
    normalise_carrier,
)
from postpurchase.domain.carrier_detection import CARRIERS
from postpurchase.domain.status import EXCEPTION_SUBSTATUSES, ShipmentStatus, Substatus

S = ShipmentStatus


def test_unrecognised_is_the_documented_safe_value():
    assert Mapped(S.IN_TRANSIT, Substatus.UNRECOGNISED, recognised=False) == UNRECOGNISED


class TestAfterShip:
    def test_every_tag_is_mapped(self):
        assert set(AFTERSHIP_TAGS) == {
            "Pending",
            "InfoReceived",
            "InTransit",
            "OutForDelivery",
            "AttemptFail",
            "AvailableForPickup",
            "Delivered",
            "Exception",
            "Expired",
        }

    @pytest.mark.parametrize("subtag", sorted(AFTERSHIP_SUBTAGS))
    def test_subtag_stays_in_its_family(self, subtag):
        """A subtag refines its tag; only the documented exception family moves."""
        tag = subtag.partition("_")[0]
        assert map_aftership(tag, subtag).status is AFTERSHIP_TAGS[tag].status
        assert map_aftership(tag, subtag).recognised

    @pytest.mark.parametrize(
        ("subtag", "substatus"),
        [
            ("Exception_002", Substatus.ADDRESS_ISSUE),
            ("Exception_003", Substatus.REFUSED),
            ("Exception_004", Substatus.CUSTOMS_HOLD),
            ("Exception_005", Substatus.DELAYED),
            ("Exception_007", Substatus.ADDRESS_ISSUE),
            ("Exception_010", Substatus.RETURNED_TO_SENDER),
            ("Exception_011", Substatus.RETURNED_TO_SENDER),
            ("Exception_012", Substatus.DAMAGED),
            ("Exception_013", Substatus.LOST),
            ("Exception_016", Substatus.DELAYED),
            ("Exception_017", Substatus.WEATHER),
            ("Exception_018", Substatus.CUSTOMS_HOLD),
        ],
    )
    def test_exception_subtags(self, subtag, substatus):
        assert map_aftership("Exception", subtag) == Mapped(S.EXCEPTION, substatus)
        assert substatus in EXCEPTION_SUBSTATUSES

    @pytest.mark.parametrize(
        ("subtag", "expected"),
        [
            ("InfoReceived_001", Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED)),
            ("InTransit_002", Mapped(S.IN_TRANSIT, Substatus.PICKED_UP)),
            ("InTransit_003", Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL)),
            ("InTransit_007", Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE)),
            ("OutForDelivery_001", Mapped(S.OUT_FOR_DELIVERY)),
            ("AttemptFail_001", Mapped(S.ATTEMPT_FAILED)),
            ("AvailableForPickup_001", Mapped(S.AVAILABLE_FOR_PICKUP)),
            ("Delivered_001", Mapped(S.DELIVERED)),
            ("Delivered_002", Mapped(S.DELIVERED, Substatus.PICKED_UP_BY_CUSTOMER)),
            ("Delivered_003", Mapped(S.DELIVERED, Substatus.SIGNED)),
            ("Expired_001", Mapped(S.EXPIRED, Substatus.NO_SCAN)),
            ("Pending_001", Mapped(S.PENDING)),
        ],
    )
    def test_non_exception_subtags(self, subtag, expected):
        assert map_aftership(None, subtag) == expected

    def test_unknown_subtag_of_known_tag_falls_back_to_tag(self):
        assert map_aftership("InTransit", "InTransit_099") == Mapped(S.IN_TRANSIT)
        assert map_aftership(None, "Delivered_042") == Mapped(S.DELIVERED)
        assert map_aftership("Exception", "Exception_014").status is S.EXCEPTION

    @pytest.mark.parametrize(("tag", "subtag"), [("Teleported", None), (None, None), ("", "")])
    def test_unknown_tag_is_unrecognised(self, tag, subtag):
        assert map_aftership(tag, subtag) is UNRECOGNISED


class TestEasyPost:
    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            ("pre_transit", S.INFO_RECEIVED),
            ("in_transit", S.IN_TRANSIT),
            ("out_for_delivery", S.OUT_FOR_DELIVERY),
            ("delivered", S.DELIVERED),
            ("available_for_pickup", S.AVAILABLE_FOR_PICKUP),
            ("return_to_sender", S.EXCEPTION),
            ("failure", S.EXCEPTION),
            ("cancelled", S.EXCEPTION),
            ("error", S.PENDING),
        ],
    )
    def test_statuses(self, status, expected):
        assert map_easypost(status).status is expected
        assert map_easypost(status).recognised

    def test_every_documented_status_is_in_the_table(self):
        assert set(EASYPOST_STATUSES) == {
            "unknown",
            "pre_transit",
            "in_transit",
            "out_for_delivery",
            "delivered",
            "available_for_pickup",
            "return_to_sender",
            "failure",
            "cancelled",
            "error",
        }

    def test_unknown_status_is_unrecognised(self):
        assert map_easypost("unknown") is UNRECOGNISED
        assert map_easypost("teleported", "arrived_at_facility") is UNRECOGNISED
        assert map_easypost(None) is UNRECOGNISED

    @pytest.mark.parametrize(
        ("detail", "expected"),
        [
            ("arrived_at_facility", Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL)),
            ("departed_facility", Mapped(S.IN_TRANSIT, Substatus.HUB_DEPARTURE)),
            ("received_at_origin_facility", Mapped(S.IN_TRANSIT, Substatus.PICKED_UP)),
            ("weather_delay", Mapped(S.EXCEPTION, Substatus.WEATHER)),
            ("delayed", Mapped(S.EXCEPTION, Substatus.DELAYED)),
            ("lost", Mapped(S.EXCEPTION, Substatus.LOST)),
            ("damaged", Mapped(S.EXCEPTION, Substatus.DAMAGED)),
            ("return", Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER)),
            ("refused", Mapped(S.EXCEPTION, Substatus.REFUSED)),
            ("status_update", Mapped(S.IN_TRANSIT)),
            ("never_documented_detail", Mapped(S.IN_TRANSIT)),
        ],
    )
    def test_in_transit_details(self, detail, expected):
        assert map_easypost("in_transit", detail) == expected

    def test_every_detail_is_mappable_under_in_transit(self):
        for detail in EASYPOST_STATUS_DETAILS:
            assert map_easypost("in_transit", detail).recognised

    def test_delivered_is_never_overridden_by_a_detail(self):
        assert map_easypost("delivered", "damaged") == Mapped(S.DELIVERED)
        assert map_easypost("delivered", "arrived_at_destination") == Mapped(S.DELIVERED)

    def test_detail_refines_pre_transit(self):
        assert map_easypost("pre_transit", "label_created") == Mapped(
            S.INFO_RECEIVED, Substatus.LABEL_CREATED
        )
        assert map_easypost("available_for_pickup", "arrived_at_pickup_location") == Mapped(
            S.AVAILABLE_FOR_PICKUP
        )


class TestShopify:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("label_printed", S.INFO_RECEIVED),
            ("label_purchased", S.INFO_RECEIVED),
            ("confirmed", S.INFO_RECEIVED),
            ("in_transit", S.IN_TRANSIT),
            ("out_for_delivery", S.OUT_FOR_DELIVERY),
            ("attempted_delivery", S.ATTEMPT_FAILED),
            ("ready_for_pickup", S.AVAILABLE_FOR_PICKUP),
            ("delivered", S.DELIVERED),
            ("failure", S.EXCEPTION),
        ],
    )
    def test_documented_values(self, value, expected):
        mapped = map_shopify_shipment_status(value)
        assert mapped is not None
        assert mapped.status is expected
        assert value in SHOPIFY_SHIPMENT_STATUSES

    def test_none_means_no_event(self):
        assert map_shopify_shipment_status(None) is None
        assert map_shopify_shipment_status("") is None

    def test_unknown_value_is_unrecognised(self):
        assert map_shopify_shipment_status("beamed_up") is UNRECOGNISED


class TestCarrierCodes:
    @pytest.mark.parametrize(
        ("carrier", "code", "expected"),
        [
            ("ups", "MP", Mapped(S.INFO_RECEIVED, Substatus.LABEL_CREATED)),
            ("ups", "AR", Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL)),
            ("ups", "D", Mapped(S.DELIVERED)),
            ("ups", "x", Mapped(S.EXCEPTION)),
            ("usps", "01", Mapped(S.DELIVERED)),
            ("usps", "02", Mapped(S.ATTEMPT_FAILED)),
            ("usps", "OF", Mapped(S.OUT_FOR_DELIVERY)),
            ("usps", "09", Mapped(S.EXCEPTION, Substatus.RETURNED_TO_SENDER)),
            ("fedex", "OD", Mapped(S.OUT_FOR_DELIVERY)),
            ("fedex", "DE", Mapped(S.ATTEMPT_FAILED)),
            ("fedex", "CD", Mapped(S.EXCEPTION, Substatus.CUSTOMS_HOLD)),
            ("fedex", "OF", Mapped(S.IN_TRANSIT, Substatus.HUB_ARRIVAL)),  # not USPS's OF
            ("dhl", "WC", Mapped(S.OUT_FOR_DELIVERY)),
            ("dhl", "OK", Mapped(S.DELIVERED)),
            ("dhl", "NH", Mapped(S.ATTEMPT_FAILED, "recipient_unavailable")),
        ],
    )
    def test_carrier_tables(self, carrier, code, expected):
        assert map_carrier_code(carrier, code) == expected

    def test_generic_table_serves_unknown_carriers_and_missing_carrier(self):
        assert map_carrier_code(None, "delivered") == Mapped(S.DELIVERED)
        assert map_carrier_code("ontrac", " weather_delay ") == Mapped(
            S.EXCEPTION, Substatus.WEATHER
        )
        assert map_carrier_code("ups", "OUT_FOR_DELIVERY") == Mapped(S.OUT_FOR_DELIVERY)

    def test_unknown_codes_are_unrecognised(self):
        assert map_carrier_code("ups", "ZZ9") is UNRECOGNISED
        assert map_carrier_code(None, "") is UNRECOGNISED
        assert map_carrier_code(None, None) is UNRECOGNISED

    def test_exception_codes_use_known_exception_substatuses_when_they_can(self):
        tables = [GENERIC_CODES, *CARRIER_CODES.values()]
        for table in tables:
            for mapped in table.values():
                assert mapped.recognised
                if mapped.status is S.EXCEPTION and mapped.substatus is not None:
                    assert mapped.substatus in EXCEPTION_SUBSTATUSES | {"cancelled"}


class TestCarrierNames:
    @pytest.mark.parametrize(
        ("name", "slug"),
        [
            ("UPS", "ups"),
            ("USPS", "usps"),
            ("FedEx", "fedex"),
            ("DHL Express", "dhl"),
            ("DHLExpress", "dhl"),
            ("DHL eCommerce", "dhl_ecommerce"),
            ("Canada Post", "canada_post"),
            ("canada-post", "canada_post"),
            ("Royal Mail", "royal_mail"),
            ("Amazon Logistics US", "amazon"),
            ("AmazonShipping", "amazon"),
            ("OnTrac", "ontrac"),
            ("LaserShip", "lasership"),
            ("Purolator", "purolator"),
            ("DPD UK", "dpd"),
            ("Hermes UK", "evri"),
        ],
    )
    def test_names_from_every_source(self, name, slug):
        assert normalise_carrier(name) == slug

    def test_our_slugs_map_onto_themselves(self):
        for slug in set(CARRIER_ALIASES.values()) | set(CARRIERS):
            assert normalise_carrier(slug) == slug

    def test_detection_display_names_are_understood(self):
        assert normalise_carrier("DHL Paket (Germany)") == "dhl_paket"
        assert normalise_carrier("Hongkong Post") == "hongkong_post"

    @pytest.mark.parametrize("name", [None, "", "Bob's Van Service", "Other"])
    def test_unknown_names(self, name):
        assert normalise_carrier(name) is None
