"""The returns portal's words, per language (the tracking page's five), read from the
gettext catalogues (``postpurchase/locale/<lang>/LC_MESSAGES/returns.po``, compiled to
``.mo``; ``make i18n-update|i18n-compile``).

Kept apart from the tracking page's catalogue (a domain of its own) so the returns context
owns its text; a key missing in a language falls back to English, and a test checks every
language has every key. Rule keys (``rule.<rule>``) translate the policy's one-line
explanations; their values come from the decision (``{days}``, ``{until}``, ``{amount}``).
"""

from __future__ import annotations

from collections.abc import Mapping

from postpurchase.locale import BABEL_IDS, strings

RETURNS_CATALOGUE: Mapping[str, Mapping[str, str]] = {
    lang: strings("returns", lang) for lang in BABEL_IDS
}
EN = RETURNS_CATALOGUE["en"]
DE = RETURNS_CATALOGUE["de"]
FR = RETURNS_CATALOGUE["fr"]
ES = RETURNS_CATALOGUE["es"]
PT_BR = RETURNS_CATALOGUE["pt-BR"]
