"""Tracking numbers found inside text (e-mails, notes, links), however they are grouped,
cased or surrounded."""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from postpurchase.domain.carrier_detection import (
    Detection,
    candidates,
    detect,
    example_number,
    extract_number,
)
from postpurchase.domain.carrier_detection.formats import FORMATS
from postpurchase.domain.carrier_detection.normalise import is_one_stretch
from tests.unit.carrier_detection.fast_settings import FAST


@pytest.mark.parametrize(
    ("text", "number", "carrier"),
    [
        ("Tracking #: 1z999aa10123456784 (UPS)", "1Z999AA10123456784", "ups"),
        ("Your parcel 9400 1112 0108 0805 4830 16 ships today", "9400111201080805483016", "usps"),
        ("(00) 340434 1610940425 57", "00340434161094042557", "dhl_paket"),
        ("https://www.ups.com/track?tracknum=1Z879E930346834440&x=1", "1Z879E930346834440", "ups"),
        ("Order 1001: RB 123 456 785 GB", "RB123456785GB", "royal_mail"),
        ("GM2951173225174494 shipped", "GM2951173225174494", "dhl_ecommerce"),
        ("here is a 3318810025, thanks", "3318810025", "dhl"),
        ("TBA 502887274000 (Amazon)", "TBA502887274000", "amazon"),
        ("LaserShip: 1LS CX VE00 58631Y.", "1LSCXVE0058631Y", "lasership"),
    ],
)
def test_numbers_are_found_inside_text(text: str, number: str, carrier: str) -> None:
    assert extract_number(text) == number
    found = detect(text)
    assert (found.number, found.carrier, found.valid) == (number, carrier, True)
    assert candidates(text)[0] == found


def test_text_without_a_number_finds_none() -> None:
    assert extract_number("Thanks for your order!") is None
    assert extract_number("") is None
    assert extract_number(None) is None  # type: ignore[arg-type]
    assert detect("Thanks for your order!") == Detection("THANKSFORYOURORDER!", None, False, None)


def test_a_typo_inside_text_is_reported_whole_rather_than_as_a_valid_piece() -> None:
    found = detect("Tracking: 9400 1112 0108 0805 4830 17 (USPS)")
    assert (found.number, found.carrier, found.valid) == ("9400111201080805483017", "usps", False)


def test_one_stretch_is_a_number_however_grouped() -> None:
    assert is_one_stretch("1z 999 aa1-01 2345 6784")
    assert is_one_stretch(" RB 123 456 785 GB\n")
    assert is_one_stretch("tba 502887274000")
    assert not is_one_stretch("GM2951173225174494 shipped")
    assert not is_one_stretch("Tracking #: 1Z999AA10123456784")
    assert not is_one_stretch("")


_TEMPLATES = [
    "{}",
    "  {}  ",
    "Tracking #: {} (carrier)",
    "Your parcel {} is on its way.",
    "tracking number={}&lang=en",
    "Sendungsnummer: {}",
]

ROUND_TRIP_FORMATS = [
    (fmt.carrier or "royal_mail", fmt.name)
    for fmt in FORMATS
    if not fmt.shadow and fmt.name not in {"fedex_smartpost_22"}
]


def _groups(number: str, rng: random.Random) -> list[str]:
    out, i = [], 0
    while i < len(number):
        size = rng.randint(1, 5)
        out.append(number[i : i + size])
        i += size
    return out


def _joins(groups: list[str], lower: bool, prose: bool) -> bool:
    """Whether the documented rule lets these groups join into one number: a letters-only
    group has at most 4 letters first and at most 2 after that, and inside text it must be
    written in capitals."""
    return all(
        not g.isalpha() or (not (lower and prose) and len(g) <= (4 if i == 0 else 2))
        for i, g in enumerate(groups)
    )


@FAST
@given(
    case=st.sampled_from(ROUND_TRIP_FORMATS),
    seed=st.integers(0, 2**32),
    template=st.sampled_from(_TEMPLATES),
    separator=st.sampled_from(["", " ", "-", " - ", "\u2013", "\u00a0"]),
    lower=st.booleans(),
)
def test_any_valid_number_round_trips_through_grouping_case_and_text(
    case: tuple[str, str], seed: int, template: str, separator: str, lower: bool
) -> None:
    carrier, fmt = case
    rng = random.Random(seed)
    number = example_number(carrier, rng, fmt)
    plain = detect(number)
    assume(plain.carrier == carrier and plain.valid)  # a requested format can be outranked
    groups = _groups(number, rng)
    if separator != "":
        assume(_joins(groups, lower, prose=template.strip() != "{}"))
    written = separator.join(groups)
    written = written.lower() if lower else written
    found = detect(template.format(written))
    assert (found.number, found.carrier, found.valid) == (number, carrier, True), written
    assert found.format == plain.format
