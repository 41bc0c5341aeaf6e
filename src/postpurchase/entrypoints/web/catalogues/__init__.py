"""The tracking page's messages per language, read from the gettext catalogues
(``postpurchase/locale/<lang>/LC_MESSAGES/web.po``, compiled to ``.mo``; see
``postpurchase.locale`` and ``make i18n-extract|i18n-update|i18n-compile``).

``EN`` is the reference: every other language must have each of its keys (a test checks it),
and the Translator falls back to it for a key a language lacks.
"""

from __future__ import annotations

from collections.abc import Mapping

from postpurchase.locale import BABEL_IDS, strings

CATALOGUE: Mapping[str, Mapping[str, str]] = {lang: strings("web", lang) for lang in BABEL_IDS}
EN = CATALOGUE["en"]

__all__ = ["CATALOGUE", "EN"]
