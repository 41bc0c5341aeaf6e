"""The shape of one row of the format table, and the helpers that build rows.

Why this exists: `formats` should read as data (one call per format). What a row holds (pattern,
priority, check rule, generator, evidence, source) and how a check rule or a generator is
derived from the layout of a number live here, so the table stays short enough to review.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "AN",
    "DIGITS",
    "LETTERS",
    "Evidence",
    "Format",
    "Part",
    "draw",
    "row",
]

DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
AN = DIGITS + LETTERS

Part: TypeAlias = str | tuple[str, int]
"""A piece of a number to generate: a literal, or (alphabet, length) drawn at random."""

Evidence: TypeAlias = Literal["prefix", "shape", "digits"]
"""What a match says on its own, before any check digit: a prefix or suffix no other carrier
prints ("1Z", "TBA", "GFUS"), a distinctive shape without one (3 letters + 9 digits), or a bare
digit string that several carriers print."""


def draw(rng: random.Random, parts: Iterable[Part]) -> str:
    """Concatenate `parts`, drawing each (alphabet, length) part from `rng`."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            alphabet, length = part
            out.append("".join(rng.choice(alphabet) for _ in range(length)))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Format:
    """One row of the table: how to recognise, check, rank and generate one number format."""

    name: str
    carrier: str | None  # None: the carrier comes from the number itself (S10 country suffix)
    pattern: re.Pattern[str]
    priority: int  # lower wins between readings whose validity agrees; see `ranking`
    check: Callable[[str], bool] | None  # None: the carrier defines no check digit
    generate: Callable[[random.Random, str], str]  # (rng, carrier slug) -> a valid number
    weight: int = 1  # how often example_number picks it by default; 0 = only on request
    evidence: Evidence = "digits"
    source: str = ""  # where the pattern and the check rule come from (see docs/carriers.md)
    carrier_from: Callable[[str], str | None] | None = None  # the carrier read off the number
    # Numbers that also match `preferred` (from their start) rank with `preferred_priority`:
    # how a shared shape goes to the carrier whose range the number falls in.
    preferred: re.Pattern[str] | None = None
    preferred_priority: int = 0
    shadow: bool = False  # a reading only a caller's hint selects (IMpb printed by others)

    def carrier_for(self, number: str) -> str | None:
        """The carrier slug of `number` under this format (None: not a valid S10 country)."""
        if self.carrier is not None:
            return self.carrier
        return None if self.carrier_from is None else self.carrier_from(number)

    def priority_for(self, number: str) -> int:
        """This format's priority for `number` (lower ranks first)."""
        if self.preferred is not None and self.preferred.match(number) is not None:
            return self.preferred_priority
        return self.priority


def _checked(
    algorithm: Callable[[str], str], start: int, implied: str, after: int
) -> Callable[[str], bool]:
    """Check rule for the common layout: one check character covers number[start:at].

    `at` is the check character's position: the last one, or `after` characters before the end
    (FedEx's 32-digit ASTRA barcode carries 4 digits after the tracking number's check digit).
    `implied` is a prefix the carrier's rule includes although it is not printed (USPS 20-digit
    numbers are IMpb with the "91" application identifier dropped, FedEx SmartPost 20-digit
    ones drop "92").
    """

    def check(number: str) -> bool:
        at = len(number) - 1 - after
        return algorithm(implied + number[start:at]) == number[at]

    return check


def _generator(
    parts: tuple[Part, ...],
    algorithm: Callable[[str], str] | None,
    start: int,
    implied: str,
    tail: tuple[Part, ...],
    lead: tuple[str, ...],
) -> Callable[[random.Random, str], str]:
    """Draw a number for a `_checked` layout: [lead] + parts + check + tail."""

    def generate(rng: random.Random, carrier: str) -> str:
        body = (rng.choice(lead) if lead else "") + draw(rng, parts)
        if algorithm is not None:
            body += algorithm(implied + body[start:])
        return body + draw(rng, tail) if tail else body

    return generate


def row(
    name: str,
    carrier: str,
    regex: str,
    priority: int,
    parts: tuple[Part, ...],
    algorithm: Callable[[str], str] | None = None,
    *,
    evidence: Evidence,
    source: str,
    start: int = 0,
    implied: str = "",
    tail: tuple[Part, ...] = (),
    lead: tuple[str, ...] = (),
    weight: int = 1,
    preferred: str | None = None,
    preferred_priority: int = 0,
    shadow: bool = False,
) -> Format:
    """A table row whose check character (if any) follows the payload it covers.

    The generator draws `lead` (one of the given literals), then `parts`, then the check
    character over the payload from `start`, then `tail`.
    """
    after = sum(len(p) if isinstance(p, str) else p[1] for p in tail)
    return Format(
        name=name,
        carrier=carrier,
        pattern=re.compile(regex),
        priority=priority,
        check=None if algorithm is None else _checked(algorithm, start, implied, after),
        generate=_generator(parts, algorithm, start, implied, tail, lead),
        weight=weight,
        evidence=evidence,
        source=source,
        preferred=None if preferred is None else re.compile(preferred),
        preferred_priority=preferred_priority,
        shadow=shadow,
    )
