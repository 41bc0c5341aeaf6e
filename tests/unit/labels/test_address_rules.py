"""Our own address checks before a label is bought: postal-code formats per country,
regions, required fields, and the suggested correction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    canonical_postal_code,
    canonical_region,
    check_address,
    postal_code_ok,
)
from postpurchase.domain.carriers.address_rules import POSTAL_FORMATS, REGIONS


def full(country: str, postal_code: str | None, region: str | None = None) -> Address:
    return Address(country, postal_code, region, "Springfield", "1 Main St", name="Ana Lee")


# One published example per format (the posts' own sample addresses).
VALID = {
    "US": "94103", "CA": "K1A 0B1", "GB": "SW1A 1AA", "DE": "10115", "FR": "75008",
    "IT": "00184", "ES": "28013", "NL": "1012 AB", "BE": "1000", "AT": "1010", "CH": "8001",
    "DK": "1050", "NO": "0150", "SE": "111 52", "FI": "00100", "PL": "00-950",
    "PT": "1100-148", "IE": "D02 X285", "AU": "2000", "NZ": "6011", "JP": "100-0001",
    "BR": "01310-100", "MX": "06600", "IN": "110001",
}  # fmt: skip
REGION_OF = {"US": "CA", "CA": "ON", "AU": "NSW"}


def test_every_format_has_a_published_example() -> None:
    assert set(VALID) == set(POSTAL_FORMATS)


@pytest.mark.parametrize(("country", "code"), sorted(VALID.items()))
def test_published_examples_pass(country: str, code: str) -> None:
    verdict = check_address(full(country, code, REGION_OF.get(country)))
    assert verdict.valid, verdict.problems
    assert verdict.suggestion is None


@pytest.mark.parametrize(
    ("country", "given", "fixed"),
    [
        ("GB", "sw1a1aa", "SW1A 1AA"), ("CA", "k1a0b1", "K1A 0B1"),
        ("US", "941031234", "94103-1234"),
        ("NL", "1012ab", "1012 AB"), ("PL", "00950", "00-950"), ("SE", "11152", "111 52"),
        ("JP", "1000001", "100-0001"), ("IE", "d02x285", "D02 X285"),
    ],
)  # fmt: skip
def test_a_code_written_loosely_gets_its_printed_form_suggested(
    country: str, given: str, fixed: str
) -> None:
    verdict = check_address(full(country, given, REGION_OF.get(country)))
    assert not verdict.valid
    assert verdict.problems[0].field == "destination.postal_code"
    assert fixed in verdict.problems[0].message
    assert verdict.suggestion is not None and verdict.suggestion.postal_code == fixed
    assert check_address(verdict.suggestion).valid


def test_a_code_of_another_shape_is_refused_without_a_guess() -> None:
    verdict = check_address(full("US", "9410", "CA"))
    assert [p.field for p in verdict.problems] == ["destination.postal_code"]
    assert "12345 or 12345-6789" in verdict.problems[0].message
    assert verdict.suggestion is None


def test_required_fields_are_named() -> None:
    verdict = check_address(Address("US", None), role="origin")
    fields = {p.field for p in verdict.problems}
    assert fields == {
        "origin.name", "origin.line1", "origin.city", "origin.postal_code", "origin.region",
    }  # fmt: skip


def test_a_region_name_is_written_as_its_code() -> None:
    verdict = check_address(full("CA", "K1A 0B1", "ontario"))
    assert verdict.suggestion is not None and verdict.suggestion.region == "ON"
    assert check_address(full("US", "94103", "Narnia")).problems[0].field == "destination.region"


def test_a_country_without_a_known_format_takes_any_code() -> None:
    assert check_address(full("ZA", "whatever")).valid


# ---- properties -------------------------------------------------------------------------


@given(st.sampled_from(sorted(POSTAL_FORMATS)), st.text(max_size=20))
def test_any_input_gets_a_verdict_and_a_suggestion_that_passes(country: str, code: str) -> None:
    code = code.strip()
    verdict = check_address(full(country, code or None, REGION_OF.get(country)))
    if verdict.suggestion is not None:
        assert check_address(verdict.suggestion).valid
        # a suggestion only rewrites the code: same letters and digits, same place
        bare = "".join(ch for ch in code.upper() if ch.isalnum())
        fixed = verdict.suggestion.postal_code or ""
        assert "".join(ch for ch in fixed if ch.isalnum()) == bare


@given(st.sampled_from(sorted(VALID)), st.data())
def test_canonical_form_is_idempotent_and_keeps_valid_codes(
    country: str, data: st.DataObject
) -> None:
    code = VALID[country]
    # the same code with its separators dropped, lowered or spaced differently
    loose = data.draw(st.sampled_from([code.lower(), code.replace(" ", ""), code.replace("-", "")]))
    once = canonical_postal_code(country, loose)
    assert canonical_postal_code(country, once) == once
    if country != "US":  # a 5-digit ZIP has no separator to restore
        assert once == code
    assert postal_code_ok(country, canonical_postal_code(country, code))


@given(st.sampled_from(sorted(REGIONS)), st.data())
def test_every_region_code_reads_as_itself_in_any_case(country: str, data: st.DataObject) -> None:
    region = data.draw(st.sampled_from(sorted(REGIONS[country])))
    assert canonical_region(country, region.lower()) == region
    assert canonical_region(country, f"  {region} ") == region
