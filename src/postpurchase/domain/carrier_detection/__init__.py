"""Which carrier issued a tracking number, from its format and its check digit.

Why this exists: a merchant pastes a tracking number (or a storefront sends one with no carrier
or the wrong carrier), and we must know whom to poll, which status mapping to use and which
tracking link to show. The Python libraries for this cover few carriers, so this package is a
data table of our own: one row per number format (a pattern, a priority and, where the carrier
defines one, the check-digit algorithm that guards it) plus the check-digit algorithms.

Why check digits matter: most carriers reuse plain digit strings of the same length (12 digits
is FedEx Express or Purolator, 20 digits is USPS or FedEx SmartPost...). A pattern alone would
guess; the check digit each carrier defines tells the formats apart and catches typos, so the
caller can tell a shopper "this number looks mistyped" before any carrier is asked.

Layout: `checksums` (the algorithms), `posts` (UPU S10 country suffixes), `carriers` (slugs),
`rows` (what a table row holds), `formats` (the table, joined from `formats_couriers`,
`formats_impb` and `formats_world`), `normalise` (and the stretches of text that could be a
number), `ranking` (`candidates`, `detect`, `extract_number`; the ranking rule and the
confidence levels are documented there), `examples` (valid numbers for tests and simulations)
and `urls` (`carrier_from_url`, the carrier a tracking link's host names). docs/carriers.md
lists every format with its check-digit rule and the source of that rule.

Pure domain: stdlib only, no I/O.
"""

from postpurchase.domain.carrier_detection.carriers import CARRIERS
from postpurchase.domain.carrier_detection.checksums import (
    dhl_mod7,
    fedex_mod11,
    gs1_mod10,
    iso7064_mod37_36,
    luhn,
    s10_mod11,
    ups_mod10,
)
from postpurchase.domain.carrier_detection.examples import example_number, formats_for
from postpurchase.domain.carrier_detection.normalise import normalise
from postpurchase.domain.carrier_detection.ranking import (
    Confidence,
    Detection,
    candidates,
    detect,
    extract_number,
)
from postpurchase.domain.carrier_detection.urls import carrier_from_url

__all__ = [
    "CARRIERS",
    "Confidence",
    "Detection",
    "candidates",
    "carrier_from_url",
    "detect",
    "dhl_mod7",
    "example_number",
    "extract_number",
    "fedex_mod11",
    "formats_for",
    "gs1_mod10",
    "iso7064_mod37_36",
    "luhn",
    "normalise",
    "s10_mod11",
    "ups_mod10",
]
