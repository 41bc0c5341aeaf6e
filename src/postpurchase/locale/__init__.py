"""The gettext catalogues (issue 14): what shoppers read, in every language we speak.

``<babel id>/LC_MESSAGES/<domain>.po`` are the sources translators edit (Poedit, Weblate,
Lokalize ...), ``.mo`` the compiled catalogues read at run time (committed, so a clean clone
works; ``make i18n-compile`` rebuilds them and a test fails when they are stale). Two domains:

* ``web``: the tracking page and checkout texts; message ids are stable keys
  (``help.title``), so renaming an English sentence never orphans its translations;
* ``messages``: notification texts; a flow's sentences carry the flow as ``msgctxt``
  (``shipped`` / ``subject``), sentences shared by every flow have none;
* ``returns``: the returns portal (keys, like ``web``).

``{name}`` placeholders are filled by ``str.format``; plurals are two keys (``.one`` and
``.other``) chosen by the caller's rule for the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo

LOCALE_DIR = Path(__file__).parent
DOMAINS = ("web", "messages", "returns")
# Our language tags (URLs, settings) -> the catalogue directories (Babel/gettext ids).
BABEL_IDS: Mapping[str, str] = {"en": "en", "es": "es", "pt-BR": "pt_BR", "fr": "fr", "de": "de"}


@cache
def _catalog(domain: str, lang: str) -> Catalog:
    path = LOCALE_DIR / BABEL_IDS[lang] / "LC_MESSAGES" / f"{domain}.mo"
    with path.open("rb") as f:
        return read_mo(f)


@cache
def strings(domain: str, lang: str, context: str | None = None) -> Mapping[str, str]:
    """Every translated message of ``domain`` in ``lang`` with that ``msgctxt`` (None: the
    ones without), by id. Untranslated entries are left out."""
    out: dict[str, str] = {}
    for message in _catalog(domain, lang):
        text = message.string
        if message.id and message.context == context and isinstance(text, str) and text:
            out[str(message.id)] = text
    return out


def contexts(domain: str, lang: str = "en") -> frozenset[str]:
    """The ``msgctxt`` values a domain uses (the flows, for ``messages``)."""
    return frozenset(m.context for m in _catalog(domain, lang) if m.context)
