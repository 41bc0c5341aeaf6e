"""The format table: one row per tracking-number format, how to recognise, check and draw it.

Why this exists: carrier detection is data, not code. Each row holds a pattern, a priority and,
where the carrier defines one, the check-digit rule that guards it, plus a generator of valid
numbers for tests and the simulated carrier network, and the source of its rule. The rows
live in `formats_couriers`, `formats_impb` and `formats_world` (by who issues the numbers);
this module joins them in tie-breaking order. Adding a format means adding a row there and a
line to docs/carriers.md (a test holds the two together); the ranking (`ranking`) reads the
table and nothing else.

Sources: "TND" is the open tracking_number_data project (jkeen/tracking_number_data,
couriers/*.json), whose formats, check-digit rules and test numbers we take as facts.
"""

from __future__ import annotations

from postpurchase.domain.carrier_detection.formats_couriers import COURIER_FORMATS
from postpurchase.domain.carrier_detection.formats_impb import IMPB_FORMATS
from postpurchase.domain.carrier_detection.formats_world import WORLD_FORMATS
from postpurchase.domain.carrier_detection.rows import Format

__all__ = ["FORMATS", "FORMAT_INDEX"]

# Priorities: 10 = a letter prefix/suffix no other carrier uses (12 = a shape without one);
# 15 = a GS1 company prefix inside an SSCC (DHL's); 20 = a digit prefix that identifies the
# format (IMpb application identifiers, FedEx "96"); 25 = a digit prefix of a smaller
# carrier; 30 = a bare digit string, the
# larger-volume carrier for that length; 35+ = the same digit string claimed by a smaller
# carrier or a rarer reading; 38-40 = no check digit to confirm it. `preferred` moves a reading
# up when the number falls in the range its carrier issues (see `ranking`).
FORMATS: tuple[Format, ...] = (*COURIER_FORMATS, *IMPB_FORMATS, *WORLD_FORMATS)
"""Every format, in the order that breaks ties between equally ranked readings."""

FORMAT_INDEX = {fmt.name: i for i, fmt in enumerate(FORMATS)}
"""Format name -> its position in `FORMATS`."""
