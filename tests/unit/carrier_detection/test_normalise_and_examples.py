"""Normalising what a shopper types, the carrier table covering the carriers we promise, and
example_number drawing a valid number of each carrier and format."""

from __future__ import annotations

import random

import pytest

from postpurchase.domain.carrier_detection import (
    CARRIERS,
    Detection,
    candidates,
    detect,
    example_number,
    formats_for,
    normalise,
)
from postpurchase.domain.carrier_detection.carriers import LINK_ONLY

NEW_CARRIERS = [
    "yodel",
    "old_dominion",
    "canpar",
    "landmark_global",
    "gofo",
    "speedee",
    "yunexpress",
]

REQUIRED = [
    "ups",
    "usps",
    "fedex",
    "dhl",
    "dhl_ecommerce",
    "amazon",
    "ontrac",
    "lasership",
    "canada_post",
    "purolator",
    "dpd",
    "royal_mail",
    "deutsche_post",
    "la_poste",
    "correios",
    "china_post",
    "japan_post",
    "australia_post",
    "postnl",
    "correos",
    "poste_italiane",
    "india_post",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1z 879 e93 03 4683 4440", "1Z879E930346834440"),
        ("  0307-1790-0005-2348-3741\n", "03071790000523483741"),
        ("rb\u00a0123\u2009456\u2013785\tgb", "RB123456785GB"),
        ("", ""),
        ("--  --", ""),
    ],
)
def test_normalise_handles_spaces_dashes_and_case(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_never_raises_on_non_strings() -> None:
    assert normalise(None) == ""  # type: ignore[arg-type]
    assert detect(12345) == Detection("", None, False, None)  # type: ignore[arg-type]


def test_carriers_cover_the_required_slugs() -> None:
    for slug in [*REQUIRED, *NEW_CARRIERS, *LINK_ONLY]:
        assert slug in CARRIERS, slug
        assert CARRIERS[slug]
    assert not any(slug.startswith("upu_") for slug in CARRIERS)


def test_example_number_round_trips_for_every_carrier() -> None:
    rng = random.Random(20240601)
    for carrier in CARRIERS:
        if carrier in LINK_ONLY:  # known from tracking links only; no number format
            with pytest.raises(ValueError):
                example_number(carrier, rng)
            continue
        for _ in range(3):
            number = example_number(carrier, rng)
            detection = detect(number)
            assert (detection.carrier, detection.valid) == (carrier, True), (carrier, number)
            assert detection.number == number


def test_example_number_of_each_format_is_valid_for_it() -> None:
    rng = random.Random(7)
    for carrier in [*REQUIRED, *NEW_CARRIERS, "dhl_paket"]:
        for fmt in formats_for(carrier):
            for _ in range(3):
                number = example_number(carrier, rng, fmt)
                assert any(
                    d.format == fmt and d.carrier == carrier and d.valid for d in candidates(number)
                ), (carrier, fmt, number)


def test_example_number_is_deterministic_and_rejects_unknowns() -> None:
    assert example_number("ups", random.Random(7)) == example_number("ups", random.Random(7))
    with pytest.raises(ValueError):
        example_number("pony_express", random.Random(1))
    with pytest.raises(ValueError):
        example_number("ups", random.Random(1), "fedex_12")
