"""Matching a number against the format table, ranking the readings it fits, rating each.

Why this exists: a bare digit string can be several carriers' number at once, so detection is
a ranking, documented once here because `candidates` and `detect` both rely on it:

1. a reading whose check digit holds (or whose format has none) beats one whose check fails;
2. then the lower priority wins: a specific prefix such as ``1Z``, ``TBA``, ``420`` or an S10
   country suffix beats a bare digit string; among bare digit strings the carrier with the
   larger volume wins (FedEx before DPD), unless the number falls in the range the smaller
   carrier issues (a format's ``preferred`` start: Purolator's 0-3, DPD's depot 0xxx);
3. then the order of the table.

A number that fits a pattern but fails its check digit is still reported (``valid=False``)
because "looks like FedEx, but mistyped" is useful to a person.

Each reading gets a confidence: "high" when a check digit holds or the format has a prefix no
other carrier prints, "medium" for a distinctive shape with no check digit, "low" for a bare
digit string with no check digit and for any reading whose check fails. When readings of two
carriers of the same class of evidence both hold (a 12-digit number valid for FedEx and for
Purolator, "JJD" + 16 digits for Yodel and DHL), the winner is at most "medium". Every
reading below the winner is "low": it is the alternative, not the answer. Hint-only readings
(IMpb printed by FedEx SmartPost, DHL eCommerce, UPS Mail Innovations) rival nothing.

Input that is not one number however grouped (words or punctuation around it), or that no
format fits as a whole, is searched for a number inside it (`extract_number`):
"Tracking #: 1z999aa10123456784 (UPS)" is read as 1Z999AA10123456784.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from postpurchase.domain.carrier_detection.formats import FORMAT_INDEX, FORMATS
from postpurchase.domain.carrier_detection.normalise import (
    MAX_LENGTH,
    is_one_stretch,
    normalise,
    number_spans,
)
from postpurchase.domain.carrier_detection.rows import Format

__all__ = ["Confidence", "Detection", "candidates", "detect", "extract_number"]

Confidence: TypeAlias = Literal["high", "medium", "low"]
_LEVEL: dict[Confidence, int] = {"high": 2, "medium": 1, "low": 0}

# Priorities 10 or more apart are different classes of evidence (a prefix, a bare digit
# string): the lower class does not make the winner doubtful. See `formats` for the classes.
_RIVAL_SPAN = 10


@dataclass(frozen=True, slots=True)
class Detection:
    """The outcome of matching one tracking number against one format (or against none).

    `confidence` rates the reading among the others the number fits (see module docstring); it
    does not take part in equality, so two detections of the same reading compare equal.
    """

    number: str  # normalised: upper-case, spaces/dashes removed (or the number found in text)
    carrier: str | None  # carrier slug, None when no format matches
    valid: bool  # format matched AND check digit (where the format defines one) holds
    format: str | None  # e.g. "ups_1z", "usps_impb_22", "upu_s10", "fedex_12"
    confidence: Confidence = field(default="low", compare=False)


# Any format at all: a cheap first test for the many stretches of text that are no number.
_ANY_FORMAT = re.compile("|".join(f"(?:{fmt.pattern.pattern})" for fmt in FORMATS))


def _base_confidence(fmt: Format) -> Confidence:
    """What a holding reading of `fmt` is worth on its own."""
    if fmt.check is not None or fmt.evidence == "prefix":
        return "high"
    return "medium" if fmt.evidence == "shape" else "low"


def _ranked(number: str) -> list[Detection]:
    """Every format the normalised number fits, best first, rated (see module docstring)."""
    if not number or len(number) > MAX_LENGTH:
        return []
    found: list[tuple[bool, int, int, Format, str, bool]] = []
    for index, fmt in enumerate(FORMATS):
        if fmt.pattern.fullmatch(number) is None:
            continue
        carrier = fmt.carrier_for(number)
        if carrier is None:
            continue
        valid = fmt.check is None or fmt.check(number)
        found.append((not valid, fmt.priority_for(number), index, fmt, carrier, valid))
    found.sort(key=lambda row: row[:3])
    contested = _contested(found)
    ranked: list[Detection] = []
    winner_seen = False
    for _, _, _, fmt, carrier, valid in found:
        confidence: Confidence = "low"
        if valid and not winner_seen:
            confidence = _base_confidence(fmt)
            if contested and confidence == "high":
                confidence = "medium"
        winner_seen = winner_seen or valid
        ranked.append(Detection(number, carrier, valid, fmt.name, confidence))
    return ranked


def _contested(found: list[tuple[bool, int, int, Format, str, bool]]) -> bool:
    """Whether a valid reading of another carrier rivals the best valid one.

    Only readings within `_RIVAL_SPAN` priority points count: a bare digit string that also
    fits (an SSCC under DHL's prefix is a well-formed FedEx SSCC too) makes no prefix doubtful,
    and hint-only readings never do.
    """
    valid = [(priority, fmt, carrier) for _, priority, _, fmt, carrier, ok in found if ok]
    if not valid:
        return False
    best_priority, _, best_carrier = valid[0]
    return any(
        carrier != best_carrier and not fmt.shadow and priority - best_priority < _RIVAL_SPAN
        for priority, fmt, carrier in valid[1:]
    )


def extract_number(text: str) -> str | None:
    """The tracking number inside a line of text, normalised; None when there is none.

    For input pasted with words around it ("Tracking #: 1z999aa10123456784 (UPS)", "Your
    parcel 9400 1112 0108 0805 4830 16 ships today", "(00) 340434 1610940425 57"). Of the
    stretches of text that fit a format, the longest wins (a shorter one is usually a piece of
    it), then one whose check digit holds, then the more confident, then the first. Never
    raises.
    """
    best: tuple[int, bool, int, int] | None = None
    number: str | None = None
    for position, span in enumerate(number_spans(text)):
        if _ANY_FORMAT.fullmatch(span) is None:
            continue
        ranked = _ranked(span)
        if not ranked:
            continue
        top = ranked[0]
        key = (-len(span), not top.valid, -_LEVEL[top.confidence], position)
        if best is None or key < best:
            best, number = key, span
    return number


def _checked(detection: Detection) -> bool:
    """Whether `detection` is valid by a check digit (not by its pattern alone)."""
    if not detection.valid or detection.format is None:
        return False
    return FORMATS[FORMAT_INDEX[detection.format]].check is not None


def _lookup(raw: str) -> tuple[str, list[Detection]]:
    """The number `raw` stands for and its ranked readings, searching text when needed.

    A plain number (however grouped) is read whole, as `normalise` stores it, and so is any
    input whose whole reading passes a check digit (that does not happen by accident to a
    number with words glued on). Anything else is searched for a number inside it; the
    number found is taken unless only the whole reading is valid.
    """
    number = normalise(raw)
    ranked = _ranked(number)
    if ranked and (is_one_stretch(raw) or _checked(ranked[0])):
        return number, ranked
    found = extract_number(raw)
    if found is not None:
        inside = _ranked(found)
        if inside[0].valid or not (ranked and ranked[0].valid):
            return found, inside
    return number, ranked


def candidates(raw: str) -> list[Detection]:
    """Every format `raw` fits, best first: valid before invalid, then priority, then table order.

    Exposed because a bare digit string can be several carriers' number at once; a support
    screen or an import job can show the alternatives (with their confidence) instead of
    trusting the first guess. Input with words around the number is searched for it.
    """
    return _lookup(raw)[1]


def detect(raw: str, hint: str | None = None) -> Detection:
    """The carrier and format of a tracking number; never raises.

    `hint` is the carrier slug the caller (a storefront, a merchant) claims. Storefronts are
    often right about the carrier when the number alone is ambiguous (FedEx SmartPost numbers
    are USPS IMpb numbers), and often wrong when a label was bought elsewhere; so:

    * a valid reading for the hinted carrier wins (at least "medium" confidence: the claim
      and the check digit agree);
    * otherwise the best valid reading of any carrier wins (the hint was wrong);
    * otherwise (no check digit holds) the hinted carrier's reading, then the best reading,
      both with ``valid=False``;
    * when no format fits at all: ``carrier=hint`` (or None), ``format=None``, ``valid=False``.
    """
    number, ranked = _lookup(raw)
    claimed = hint.strip().lower() if isinstance(hint, str) and hint.strip() else None
    if claimed is not None:
        for detection in ranked:
            if detection.carrier == claimed and detection.valid:
                if detection.confidence == "low":
                    return replace(detection, confidence="medium")
                return detection
    if ranked and ranked[0].valid:
        return ranked[0]
    if claimed is not None:
        for detection in ranked:
            if detection.carrier == claimed:
                return detection
    if ranked:
        return ranked[0]
    return Detection(number=number, carrier=claimed, valid=False, format=None)
