"""Normalising a tracking number as typed, pasted or printed into the form we match and store.

Why this exists: labels print numbers in groups, people type them in lower case and documents
swap the hyphen for typographic dashes, yet the same parcel must compare equal however it was
written. Shipments are stored under this form, so it must stay stable.
"""

from __future__ import annotations

__all__ = ["MAX_LENGTH", "normalise"]

# Hyphen-minus plus the dashes word processors and PDFs substitute for it; a number copied
# from a shipping e-mail often carries one of these instead of "-".
_DASHES = frozenset("-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")

# No format in the table is longer than this; longer input is not a tracking number, and the
# cap keeps detection cheap whatever a caller pastes.
MAX_LENGTH = 64


def normalise(raw: str) -> str:
    """Upper-case and drop whitespace and dashes, the way carriers' own tracking forms do.

    Labels print numbers in groups ("1Z 999 AA1 01 2345 6784", "0307-1790-0005"), and people
    type them in lower case, so the same parcel must compare equal however it was written.
    Never raises: anything that is not a string normalises to the empty string.
    """
    if not isinstance(raw, str):
        return ""
    if raw.isalnum() and raw.isascii():  # the common case: already clean, no per-char walk
        return raw.upper()
    return "".join(ch for ch in raw.upper() if not ch.isspace() and ch not in _DASHES)
