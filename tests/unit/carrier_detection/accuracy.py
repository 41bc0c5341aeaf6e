"""Measuring carrier detection on one family of numbers: its real numbers (published and
drawn by each format's rule), the same numbers made invalid (wrong check digit, wrong
length) and random strings; test_accuracy.py holds the targets."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from functools import cache

from postpurchase.domain.carrier_detection import detect
from postpurchase.domain.carrier_detection.formats import FORMAT_INDEX, FORMATS
from postpurchase.domain.carrier_detection.posts import s10_carrier
from postpurchase.domain.carrier_detection.rows import DIGITS
from tests.unit.carrier_detection.families import FAMILIES, Family

DRAWS = 150  # rule-generated numbers per format of a family
RANDOM_PER_FAMILY = 300  # random strings in each family's invalid set
SEED = 20240611
_S10_CARRIERS = ("royal_mail", "usps", "correios", "china_post", "la_poste", "postal_cv")


def expected_carrier(family: Family, number: str) -> str | None:
    if family.carrier is not None:
        return family.carrier
    return s10_carrier(detect(number).number[-2:])


def real_numbers(family: Family, rng: random.Random) -> list[str]:
    """Published examples plus numbers drawn by each format's rule (not filtered by detect)."""
    numbers = list(family.published)
    for name in family.formats:
        fmt = FORMATS[FORMAT_INDEX[name]]
        carriers = _S10_CARRIERS if family.carrier is None else (family.carrier,)
        numbers += [fmt.generate(rng, rng.choice(carriers)) for _ in range(DRAWS)]
    for generate in family.extra:
        numbers += [generate(rng) for _ in range(DRAWS)]
    return numbers


def _check_position(family: Family, number: str) -> int | None:
    """Where the check character of a (normalised) real number sits; None: no check digit."""
    best = detect(number)
    fmt = FORMATS[FORMAT_INDEX[best.format]] if best.format else None
    if fmt is None or fmt.check is None:
        return None
    if fmt.name == "upu_s10":
        return 10
    if fmt.name == "fedex_astra_32":
        return len(best.number) - 5
    return len(best.number) - 1


def wrong_check(family: Family, numbers: list[str], rng: random.Random) -> list[str]:
    """Each checked real number with its check character replaced by two other characters."""
    out: list[str] = []
    for raw in numbers:
        at = _check_position(family, raw)
        if at is None:
            continue
        number = detect(raw).number
        alphabet = DIGITS if number[at].isdigit() else string.ascii_uppercase + DIGITS
        for other in rng.sample([c for c in alphabet if c != number[at]], 2):
            out.append(number[:at] + other + number[at + 1 :])
    return out


def wrong_length(family: Family, numbers: list[str], rng: random.Random) -> list[str]:
    """Each real number made shorter and longer until no format of its family allows its length.

    One character at a time (dropped anywhere, or a digit inserted anywhere): a number that
    still fits its family's pattern is a well-formed number, not one of a wrong length (a
    format without a check digit cannot tell it from a real one, and neither can anybody).
    """
    patterns = [FORMATS[FORMAT_INDEX[name]].pattern for name in family.formats]

    def fits(number: str) -> bool:
        return any(p.fullmatch(number) for p in patterns)

    out: list[str] = []
    for raw in numbers:
        shorter = longer = detect(raw).number
        while fits(shorter) and len(shorter) > 1:
            i = rng.randrange(len(shorter))
            shorter = shorter[:i] + shorter[i + 1 :]
        while fits(longer) and len(longer) < 80:
            j = rng.randrange(len(longer) + 1)
            longer = longer[:j] + rng.choice(DIGITS) + longer[j:]
        out += [shorter, longer]
    return out


def random_strings(rng: random.Random, count: int) -> list[str]:
    """Letters and digits (upper and lower case, some spaces), 4 to 40 characters."""
    alphabet = string.ascii_letters + DIGITS * 3 + " "
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(4, 40))) for _ in range(count)]


@dataclass(frozen=True)
class Row:
    label: str
    new: bool
    real: int
    right: int
    check_total: int
    check_rejected: int
    length_total: int
    length_rejected: int
    random_total: int
    random_rejected: int

    @property
    def accuracy(self) -> float:
        return self.right / self.real

    @property
    def check_rejection(self) -> float:
        return self.check_rejected / self.check_total if self.check_total else 1.0

    @property
    def rejection(self) -> float:
        """Invalid numbers of all three kinds (wrong check, wrong length, random) rejected."""
        total = self.check_total + self.length_total + self.random_total
        rejected = self.check_rejected + self.length_rejected + self.random_rejected
        return rejected / total


def _accepted_as(number: str, carrier: str | None) -> bool:
    found = detect(number)
    return found.valid and found.carrier == carrier


@cache
def measure() -> tuple[Row, ...]:
    rows: list[Row] = []
    for family in FAMILIES:
        rng = random.Random(f"{SEED}-{family.label}")
        real = real_numbers(family, rng)
        right = sum(detect(n).carrier == expected_carrier(family, n) for n in real)
        bad_check = wrong_check(family, real, rng)
        bad_length = wrong_length(family, real, rng)
        garbage = random_strings(rng, RANDOM_PER_FAMILY)
        check_rejected = sum(not _rejected_fails(family, n) for n in bad_check)
        length_rejected = sum(not _rejected_fails(family, n) for n in bad_length)
        random_rejected = sum(not _rejected_fails(family, n) for n in garbage)
        rows.append(
            Row(
                family.label,
                family.new,
                len(real),
                right,
                len(bad_check),
                check_rejected,
                len(bad_length),
                length_rejected,
                len(garbage),
                random_rejected,
            )
        )
    return tuple(rows)


def _rejected_fails(family: Family, number: str) -> bool:
    """True when an invalid number of `family` is accepted as a valid number of its carrier."""
    if family.carrier is None:
        found = detect(number)
        return found.valid and found.format == "upu_s10"
    return _accepted_as(number, family.carrier)


@cache
def random_rejection() -> tuple[int, int]:
    strings = random_strings(random.Random(SEED), 5000)
    return len(strings), sum(not detect(s).valid for s in strings)
