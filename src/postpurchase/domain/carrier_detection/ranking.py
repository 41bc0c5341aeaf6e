"""Matching a number against the format table and ranking the readings it fits.

Why this exists: a bare digit string can be several carriers' number at once, so detection is
a ranking, documented once here because `candidates` and `detect` both rely on it: a format
whose check digit holds beats one whose check fails; then the lower `priority` wins (a specific
prefix such as ``1Z``, ``TBA``, ``420`` or an S10 country suffix beats a bare digit string;
among bare digit strings the carrier with the larger volume wins: FedEx before Purolator and
DPD); then the order of the table. A number that fits a pattern but fails its check digit is
still reported (``valid=False``) because "looks like FedEx, but mistyped" is useful to a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from postpurchase.domain.carrier_detection.formats import FORMATS
from postpurchase.domain.carrier_detection.normalise import MAX_LENGTH, normalise

__all__ = ["Detection", "candidates", "detect"]


@dataclass(frozen=True, slots=True)
class Detection:
    """The outcome of matching one tracking number against one format (or against none)."""

    number: str  # normalised: upper-case, spaces/dashes removed
    carrier: str | None  # carrier slug, None when no format matches
    valid: bool  # format matched AND check digit (where the format defines one) holds
    format: str | None  # e.g. "ups_1z", "usps_impb_22", "upu_s10", "fedex_12"


def _ranked(number: str) -> list[Detection]:
    """Every format the normalised number fits, best first (see module docstring)."""
    if not number or len(number) > MAX_LENGTH:
        return []
    found: list[tuple[bool, int, int, Detection]] = []
    for index, fmt in enumerate(FORMATS):
        if fmt.pattern.fullmatch(number) is None:
            continue
        carrier = fmt.carrier_for(number)
        if carrier is None:
            continue
        valid = fmt.check is None or fmt.check(number)
        found.append((not valid, fmt.priority, index, Detection(number, carrier, valid, fmt.name)))
    found.sort(key=lambda row: row[:3])
    return [row[3] for row in found]


def candidates(raw: str) -> list[Detection]:
    """Every format `raw` fits, best first: valid before invalid, then priority, then table order.

    Exposed because a bare digit string can be several carriers' number at once; a support
    screen or an import job can show the alternatives instead of trusting the first guess.
    """
    return _ranked(normalise(raw))


def detect(raw: str, hint: str | None = None) -> Detection:
    """The carrier and format of a tracking number; never raises.

    `hint` is the carrier slug the caller (a storefront, a merchant) claims. Storefronts are
    often right about the carrier when the number alone is ambiguous (FedEx SmartPost numbers
    are USPS IMpb numbers), and often wrong when a label was bought elsewhere; so:

    * a valid reading for the hinted carrier wins;
    * otherwise the best valid reading of any carrier wins (the hint was wrong);
    * otherwise (no check digit holds) the hinted carrier's reading, then the best reading,
      both with ``valid=False``;
    * when no format fits at all: ``carrier=hint`` (or None), ``format=None``, ``valid=False``.
    """
    number = normalise(raw)
    ranked = _ranked(number)
    claimed = hint.strip().lower() if isinstance(hint, str) and hint.strip() else None
    if claimed is not None:
        for detection in ranked:
            if detection.carrier == claimed and detection.valid:
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
