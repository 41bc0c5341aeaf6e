"""Normalising a tracking number as typed, pasted or printed into the form we match and store.

Why this exists: labels print numbers in groups, people type them in lower case and documents
swap the hyphen for typographic dashes, yet the same parcel must compare equal however it was
written. Shipments are stored under this form, so it must stay stable. People also paste the
number with words around it ("Tracking #: 1z999aa10123456784 (UPS)"); `number_spans` lists
the stretches of such text that could be the number, and `ranking` picks the one that is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["MAX_LENGTH", "is_one_stretch", "normalise", "number_spans"]

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


# Between two runs of letters/digits, only these join them into one number: labels and
# e-mails group a number with spaces, dashes or brackets ("(00) 3 40434 ...", "1LS7...-1").
# Anything else (":", "#", "/", "=", ",") ends the number.
_TOKEN = re.compile(r"[0-9A-Za-z]+")
_JOINING = frozenset("()[]") | _DASHES

# A caller may paste a whole e-mail; only its start is searched, to bound the work.
_MAX_TEXT = 2000


def _word(token: str) -> bool:
    return token.isalpha()


def _joinable(gap: str) -> bool:
    return all(ch.isspace() or ch in _JOINING for ch in gap)


def number_spans(text: str) -> Iterator[str]:
    """Every stretch of `text` that could be a tracking number, normalised, left to right.

    A stretch is one or more consecutive runs of letters and digits separated only by
    whitespace, dashes or brackets, at most `MAX_LENGTH` characters once joined. Words are
    left out where they cannot belong to a number: a run of letters only joins other runs
    when it is written in capitals (labels print prefixes that way, prose does not: "a",
    "via") and may open a stretch when it has at most 4 letters ("TBA", "GFUS") or sit inside
    or close it with at most 2 ("CX", the "GB" of an S10 number), so "Tracking", "shipped" or
    "(UPS)" never join one. Never raises; yields nothing for a non-string.
    """
    if not isinstance(text, str):
        return
    text = text[:_MAX_TEXT]
    groups: list[list[str]] = []
    end = -1
    for match in _TOKEN.finditer(text):
        token = match.group()
        if groups and _joinable(text[end : match.start()]):
            groups[-1].append(token)
        else:
            groups.append([token])
        end = match.end()
    for group in groups:
        for i in range(len(group)):
            span = ""
            for j in range(i, len(group)):
                token = group[j]
                if _word(token) and (len(token) > (4 if j == i else 2) or not token.isupper()):
                    break
                span += token.upper()
                if len(span) > MAX_LENGTH:
                    break
                if not _word(span):
                    yield span


def is_one_stretch(text: str) -> bool:
    """Whether all of `text` is one stretch in the sense of `number_spans`.

    True for a number however it is grouped ("1z 999 aa1-01", "RB 123 456 785 GB"); False when
    words or other punctuation surround it, which `normalise` alone would glue onto it
    ("GM2951173225174494 shipped" must not read as one long DHL eCommerce number).
    """
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        return False
    end = 0
    for index, match in enumerate(_TOKEN.finditer(text)):
        token = match.group()
        if not _joinable(text[end : match.start()]):
            return False
        if _word(token) and len(token) > (4 if index == 0 else 2):
            return False
        end = match.end()
    return end > 0 and _joinable(text[end:])
