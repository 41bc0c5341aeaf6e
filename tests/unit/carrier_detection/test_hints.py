"""A carrier hint (from the store or the shipment) decides between readings of a number only
when the number fits the hinted carrier."""

from __future__ import annotations

from postpurchase.domain.carrier_detection import Detection, candidates, detect


def test_hint_picks_the_hinted_carrier_when_the_number_fits_it() -> None:
    smartpost = "9261292700768711948021"  # IMpb number on a FedEx SmartPost label
    assert detect(smartpost).carrier == "usps"
    assert detect(smartpost, hint="fedex") == Detection(
        smartpost, "fedex", True, "fedex_smartpost_22"
    )
    # Valid for both FedEx (mod 11) and Purolator (Luhn): Purolator issues numbers from 0-3,
    # so it ranks first; FedEx on a hint.
    assert detect("287809468872").carrier == "purolator"
    assert detect("287809468872", hint=" FedEx ").carrier == "fedex"
    assert detect("287809468872", hint="fedex").confidence == "medium"
    assert [d.carrier for d in candidates("287809468872")] == ["purolator", "fedex"]


def test_impb_numbers_follow_a_hint_for_carriers_that_print_them() -> None:
    number = "9400 1112 0108 0805 4830 16"
    assert detect(number).carrier == "usps"
    assert detect(number, hint="dhl_ecommerce").format == "dhl_ecommerce_impb"
    assert detect(number, hint="ups").format == "ups_mi_impb"
    assert detect(number, hint="dhl").carrier == "usps"


def test_wrong_hint_yields_to_the_detected_carrier() -> None:
    assert detect("1Z879E930346834440", hint="fedex").carrier == "ups"
    assert detect("RB123456785GB", hint="usps").carrier == "royal_mail"


def test_no_match_returns_the_hint_or_none() -> None:
    assert detect("hello world", hint="fedex") == Detection("HELLOWORLD", "fedex", False, None)
    assert detect("hello world") == Detection("HELLOWORLD", None, False, None)
    assert detect("", hint="") == Detection("", None, False, None)


def test_hint_with_a_failing_check_still_prefers_the_hinted_reading() -> None:
    assert detect("320595463939", hint="fedex") == Detection(
        "320595463939", "fedex", False, "fedex_12"
    )
    assert detect("320595463939").carrier == "purolator"
    assert detect("477179081231", hint="purolator").carrier == "purolator"  # FedEx's range
    assert detect("477179081231").carrier == "fedex"
