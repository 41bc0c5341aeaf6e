"""The tracking page's message catalogues, one module per language.

Kept out of ``i18n`` so the Translator and the Babel formatting read on one screen and each
language's text can be reviewed (and edited by a translator) on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from postpurchase.entrypoints.web.catalogues.de import DE
from postpurchase.entrypoints.web.catalogues.en import EN
from postpurchase.entrypoints.web.catalogues.es import ES
from postpurchase.entrypoints.web.catalogues.fr import FR
from postpurchase.entrypoints.web.catalogues.pt_br import PT_BR

CATALOGUE: Mapping[str, Mapping[str, str]] = {
    "en": EN,
    "es": ES,
    "pt-BR": PT_BR,
    "fr": FR,
    "de": DE,
}

__all__ = ["CATALOGUE", "DE", "EN", "ES", "FR", "PT_BR"]
