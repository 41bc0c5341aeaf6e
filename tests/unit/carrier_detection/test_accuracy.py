"""Accuracy of carrier detection per number family, against the targets of issue 11.

Real numbers of each family are the carriers' own published examples (sample numbers from
their documentation and developer sandboxes, and the test numbers of the open
tracking_number_data project) plus numbers drawn by each format's published rule (the
format table's own generators, called directly so nothing is filtered by detection).
Invalid numbers are those real numbers with a wrong check digit or a wrong length, plus
random strings.

Targets: for every family, >= 95% of real numbers get the right carrier and >= 95% of
invalid ones are not accepted as a valid number of that carrier; >= 95% of random strings
get no valid reading at all.

The families are in families.py, the measurement in accuracy.py. Print the table:
``.venv/bin/python -m tests.unit.carrier_detection.test_accuracy``
"""

from __future__ import annotations

import pytest

from postpurchase.domain.carrier_detection.formats import FORMATS
from tests.unit.carrier_detection.accuracy import measure, random_rejection
from tests.unit.carrier_detection.families import FAMILIES, Family

TARGET = 0.95

# Two published rules read the same digits for the same carrier, so a wrong check digit is a
# valid number under the sibling rule one time in nine: USPS 20-digit numbers with and
# without the implied "91", and an SSCC after its "00" versus a FedEx SmartPost 20-digit
# number. Their wrong-check rejection is held at 85%; every other family's at the target.
SIBLING_RULES = {"USPS 20": 0.85, "SSCC-18 (FedEx Ground)": 0.85}


@pytest.mark.parametrize("family", FAMILIES, ids=[f.label for f in FAMILIES])
def test_real_numbers_of_every_family_get_the_right_carrier(family: Family) -> None:
    row = next(r for r in measure() if r.label == family.label)
    assert row.accuracy >= TARGET, (family.label, row)


@pytest.mark.parametrize("family", FAMILIES, ids=[f.label for f in FAMILIES])
def test_invalid_numbers_of_every_family_are_not_accepted(family: Family) -> None:
    row = next(r for r in measure() if r.label == family.label)
    assert row.rejection >= TARGET, (family.label, row)
    assert row.check_rejection >= SIBLING_RULES.get(family.label, TARGET), (family.label, row)


def test_random_strings_are_not_accepted() -> None:
    total, rejected = random_rejection()
    assert rejected / total >= TARGET


def test_every_format_is_measured_by_some_family() -> None:
    measured = {name for family in FAMILIES for name in family.formats}
    shadows = {fmt.name for fmt in FORMATS if fmt.shadow}
    assert {fmt.name for fmt in FORMATS} - shadows <= measured


def main() -> None:
    """Print the per-family table (markdown)."""
    print("| family | new | real numbers | right carrier | wrong check rejected |", end="")
    print(" wrong length rejected | random rejected | all invalid rejected |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in measure():
        check = (
            f"{row.check_rejected / row.check_total:.1%} ({row.check_total})"
            if row.check_total
            else "n/a (no check digit)"
        )
        print(
            f"| {row.label} | {'yes' if row.new else ''} | {row.real} | {row.accuracy:.1%} | "
            f"{check} | {row.length_rejected / row.length_total:.1%} ({row.length_total}) | "
            f"{row.random_rejected / row.random_total:.1%} | {row.rejection:.1%} |"
        )
    total, rejected = random_rejection()
    print(f"\nRandom strings with no valid reading: {rejected / total:.1%} of {total}")


if __name__ == "__main__":
    main()
