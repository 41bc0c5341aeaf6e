"""Numbers two carriers could have issued: the likelier carrier ranks first, the other is
kept, and the confidence says how sure the reading is."""

from __future__ import annotations

import pytest

from postpurchase.domain.carrier_detection import Detection, candidates, detect


@pytest.mark.parametrize(
    ("number", "winner", "runner_up"),
    [
        ("287809468872", ("purolator", "medium"), ("fedex", "low")),  # both check digits hold
        ("477179081230", ("fedex", "high"), ("purolator", "low")),  # only FedEx's holds
        ("60120172242323", ("dhl_ecommerce", "low"), ("dpd", "low")),  # no check digit
        ("01905002345615", ("dpd", "low"), ("dhl_ecommerce", "low")),  # DPD depot 0190
        ("JJD0002257639032011", ("yodel", "medium"), ("dhl", "low")),  # Yodel's length
        ("JJD0099999999", ("dhl", "high"), None),
        ("07209562763", ("old_dominion", "high"), ("dhl", "low")),  # ODFL prefix + Luhn
        ("00340433836442636597", ("dhl_paket", "high"), ("fedex", "low")),  # DHL's GS1 prefix
    ],
)
def test_shared_shapes_rank_the_likelier_carrier_first_and_keep_the_other(
    number: str, winner: tuple[str, str], runner_up: tuple[str, str] | None
) -> None:
    found = candidates(number)
    assert (found[0].carrier, found[0].confidence) == winner
    assert detect(number).carrier == winner[0]
    if runner_up is not None:
        assert runner_up in [(d.carrier, d.confidence) for d in found[1:]]


def test_confidence_levels() -> None:
    assert detect("1Z879E930346834440").confidence == "high"  # prefix + check digit
    assert detect("986578788855").confidence == "high"  # check digit, no rival
    assert detect("TBA502887274000").confidence == "high"  # distinctive prefix, no check
    assert detect("KYV009956937").confidence == "medium"  # distinctive shape, no check
    assert detect("LX17635036").confidence == "medium"
    assert detect("01905002345615").confidence == "low"  # bare digits, no check
    assert detect("996578788855").confidence == "low"  # check digit fails
    assert detect("nothing here").confidence == "low"
    hinted = detect("9400 1112 0108 0805 4830 16", hint="dhl_ecommerce")
    assert (hinted.format, hinted.confidence) == ("dhl_ecommerce_impb", "medium")
    shadows = [d for d in candidates("9400 1112 0108 0805 4830 16") if d.carrier != "usps"]
    assert shadows and all(d.confidence == "low" for d in shadows)


def test_confidence_does_not_take_part_in_equality() -> None:
    assert Detection("X", "ups", True, "ups_1z", "high") == Detection("X", "ups", True, "ups_1z")
