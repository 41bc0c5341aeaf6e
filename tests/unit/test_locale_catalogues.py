"""The gettext catalogues: compiled files match their sources, every key the pages use is in
English, ``pybabel`` reads them, and a merchant's overrides are validated and applied."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from postpurchase.entrypoints.web import i18n
from postpurchase.locale import BABEL_IDS, LOCALE_DIR, strings
from postpurchase.locale.tools import problems, used_keys
from postpurchase.service_layer.settings import validate_document
from postpurchase.service_layer.settings.services import SettingsInvalid


def test_compiled_catalogues_are_current_and_every_used_key_exists() -> None:
    assert problems() == []
    assert {"help.title", "faq.title", "help.chat"} <= set(used_keys())


def test_every_language_is_a_po_and_mo_pair_babel_reads() -> None:
    for lang, babel_id in BABEL_IDS.items():
        for domain in ("web", "messages"):
            assert (LOCALE_DIR / babel_id / "LC_MESSAGES" / f"{domain}.po").is_file()
        assert strings("web", lang)["help.title"]
    assert strings("messages", "pt-BR", "shipped")["subject"].count("{order}") == 1


def test_pybabel_compiles_the_sources(tmp_path: Path) -> None:
    """What ``make i18n-compile`` runs, on a copy: every catalogue compiles, fully translated."""
    import shutil

    shutil.copytree(LOCALE_DIR, tmp_path / "locale", ignore=shutil.ignore_patterns("*.py*"))
    pybabel = Path(sys.executable).with_name("pybabel")
    out = subprocess.run(
        [str(pybabel), "compile", "-d", str(tmp_path / "locale"), "-D", "web", "--statistics"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    report = out.stderr + out.stdout
    counts = re.findall(r"(\d+) of (\d+) messages \((\d+)%\) translated", report)
    assert len(counts) == len(BABEL_IDS)  # one line per language
    assert {total for _, total, _ in counts} == {str(len(strings("web", "en")))}
    assert all(done == total and pct == "100" for done, total, pct in counts)


def test_a_merchant_override_is_validated_and_wins() -> None:
    s = validate_document({"strings": {"pt_br": {"help.title": "Dúvidas? Fale com a gente"}}})
    assert s.strings == {"pt-BR": {"help.title": "Dúvidas? Fale com a gente"}}
    t = i18n.translator("pt-BR", s.strings)
    assert t("help.title") == "Dúvidas? Fale com a gente"
    assert t("help.email") == i18n.CATALOGUE["pt-BR"]["help.email"]  # others unchanged
    assert i18n.translator("de", s.strings)("help.title") == i18n.CATALOGUE["de"]["help.title"]


@pytest.mark.parametrize(
    ("strings", "says"),
    [
        ({"en": {"no.such.key": "x"}}, "not a key"),
        ({"en": {"order.label": "Order"}}, "{number}"),  # the placeholder was dropped
        ({"en": {"order.label": "Order {numbr}"}}, "{number}"),
        ({"xx": {"help.title": "x"}}, "locale"),
        ({"en": {"help.title": 5}}, "string"),
    ],
)
def test_bad_overrides_are_refused(strings: dict[str, object], says: str) -> None:
    with pytest.raises(SettingsInvalid) as err:
        validate_document({"strings": strings})
    assert err.value.errors[0]["field"].startswith("strings")
    assert says in err.value.errors[0]["message"]
