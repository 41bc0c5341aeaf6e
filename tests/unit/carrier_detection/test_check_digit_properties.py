"""Properties of the check digits: a substituted digit or a changed check digit is caught,
and no input, however garbled, makes detection raise."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from postpurchase.domain.carrier_detection import (
    CARRIERS,
    candidates,
    detect,
    example_number,
    extract_number,
    normalise,
)
from postpurchase.domain.carrier_detection.formats import FORMATS
from tests.unit.carrier_detection.fast_settings import FAST

# Formats whose check digit catches every single-digit substitution (GS1 mod 10, Luhn,
# ISO 7064 MOD 37,36), with the first position the check covers. UPS/OnTrac mod 10 (x2
# weights), FedEx mod 11 (10 folds to 0), DHL mod 7 and S10 (two remainders give 5) do not.
FULL_COVERAGE = [
    ("usps", "usps_20", 0),
    ("usps", "usps_impb_20", 0),
    ("usps", "usps_impb_22", 0),
    ("usps", "usps_impb_26", 0),
    ("usps", "usps_impb_30", 8),
    ("usps", "usps_impb_34", 12),
    ("fedex", "fedex_15", 0),
    ("fedex", "fedex_96_22", 7),
    ("fedex", "fedex_smartpost_20", 0),
    ("canada_post", "canada_post_16", 0),
    ("dhl_paket", "dhl_paket_nve", 0),
    ("purolator", "purolator_12", 0),
    ("dpd", "dpd_15", 0),
    ("dpd", "dpd_28", 0),
    ("fedex", "fedex_sscc_18", 0),
    ("fedex", "fedex_sscc_20", 0),
    ("old_dominion", "old_dominion", 0),
    ("old_dominion", "old_dominion_guaranteed", 0),
]


def _valid_for(number: str, fmt: str) -> bool:
    return any(d.format == fmt and d.valid for d in candidates(number))


@FAST
@given(
    case=st.sampled_from(FULL_COVERAGE),
    seed=st.integers(0, 2**32),
    where=st.integers(0, 40),
    shift=st.integers(1, 9),
)
def test_single_digit_substitution_is_caught(
    case: tuple[str, str, int], seed: int, where: int, shift: int
) -> None:
    carrier, fmt, start = case
    number = example_number(carrier, random.Random(seed), fmt)
    assert _valid_for(number, fmt)
    positions = [i for i in range(start, len(number)) if number[i].isdigit()]
    i = positions[where % len(positions)]
    mutated = number[:i] + str((int(number[i]) + shift) % 10) + number[i + 1 :]
    assert not _valid_for(mutated, fmt), (number, mutated)


CHECKED_FORMATS = [
    (fmt.carrier or "royal_mail", fmt.name) for fmt in FORMATS if fmt.check is not None
]


def _check_at(fmt: str, number: str) -> int:
    """Index of the check character: S10's sits before the country, ASTRA's 4 from the end."""
    return {"upu_s10": 10, "fedex_astra_32": len(number) - 5}.get(fmt, len(number) - 1)


@FAST
@given(case=st.sampled_from(CHECKED_FORMATS), seed=st.integers(0, 2**32), shift=st.integers(1, 9))
def test_changing_the_check_digit_is_caught_for_every_checked_format(
    case: tuple[str, str], seed: int, shift: int
) -> None:
    carrier, fmt = case
    number = example_number(carrier, random.Random(seed), fmt)
    at = _check_at(fmt, number)
    if not number[at].isdigit():
        return  # a DPD check letter; the substitution property above covers it
    mutated = number[:at] + str((int(number[at]) + shift) % 10) + number[at + 1 :]
    assert not _valid_for(mutated, fmt), (number, mutated)


@FAST
@given(st.text(max_size=80))
def test_garbage_never_raises(raw: str) -> None:
    detection = detect(raw)
    assert detection.carrier is None or detection.carrier in CARRIERS
    assert detection.number in {normalise(raw), extract_number(raw)}
    assert detection.confidence in {"high", "medium", "low"}
    found = candidates(raw)
    if detection.format is None:
        assert found == [] and not detection.valid
    else:
        assert detection == found[0]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.from_regex(r"[0-9A-Z -]{8,40}", fullmatch=True), st.sampled_from([None, "ups", "x"]))
def test_number_like_garbage_never_raises(raw: str, hint: str | None) -> None:
    detection = detect(raw, hint)
    assert detection.carrier is None or detection.carrier in CARRIERS or detection.carrier == hint
    ranked = candidates(raw)
    assert ranked == sorted(ranked, key=lambda d: not d.valid)
