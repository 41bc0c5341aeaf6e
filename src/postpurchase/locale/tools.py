"""``python -m postpurchase.locale.tools extract|check``: the templates translators start from.

Message ids are keys, and English is written by developers in ``en/LC_MESSAGES/<domain>.po``;
``extract`` turns it into ``<domain>.pot`` (each id with its English as a comment, and the
places in the code that use it), which ``pybabel update`` merges into every language
(``make i18n-update``). ``check`` fails when a ``.mo`` is older than its ``.po`` or a key
used in a template is missing from English.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

from postpurchase.locale import BABEL_IDS, DOMAINS, LOCALE_DIR

SOURCES = LOCALE_DIR.parent  # the package: templates and code that look keys up
_USE = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]""")


def _po(domain: str, lang: str) -> Catalog:
    with (LOCALE_DIR / BABEL_IDS[lang] / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        return read_po(f, locale=BABEL_IDS[lang], domain=domain)


def used_keys(root: Path = SOURCES) -> dict[str, list[str]]:
    """``t("key")`` uses in the web pages' templates and code (the tracking page, the portal,
    the console's returns pages): key -> places."""
    out: dict[str, list[str]] = {}
    found = []
    for web in (root / "entrypoints" / "web", root / "entrypoints" / "console"):
        found += [*web.rglob("*.html"), *web.rglob("*.py")]
    for path in sorted(found):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for key in _USE.findall(line):
                if key.endswith("."):
                    continue  # a prefix completed at run time (t("step." ~ name))
                out.setdefault(key, []).append(f"{path.relative_to(root)}:{n}")
    return out


def extract() -> list[Path]:
    """Write ``<domain>.pot`` for each domain from the English catalogue."""
    written = []
    uses = used_keys()
    for domain in DOMAINS:
        english = _po(domain, "en")
        pot = Catalog(domain=domain, project="postpurchase", version="1", fuzzy=False)
        for message in english:
            if not message.id:
                continue
            places = [
                (p.split(":")[0], int(p.split(":")[1])) for p in uses.get(str(message.id), [])
            ]
            pot.add(
                message.id, "", locations=places if domain == "web" else (),
                auto_comments=[f"en: {message.string}"], context=message.context,
            )  # fmt: skip
        path = LOCALE_DIR / f"{domain}.pot"
        with path.open("wb") as f:
            write_po(f, pot, width=100, sort_output=False)
        written.append(path)
    return written


def problems() -> list[str]:
    """Stale compiled catalogues and keys used but not in English."""
    out = []
    for domain in DOMAINS:
        for lang in BABEL_IDS:
            po = {(m.id, m.context): m.string for m in _po(domain, lang) if m.id}
            mo_path = LOCALE_DIR / BABEL_IDS[lang] / "LC_MESSAGES" / f"{domain}.mo"
            with mo_path.open("rb") as f:
                mo = {(m.id, m.context): m.string for m in read_mo(f) if m.id}
            if {k: v for k, v in po.items() if v} != mo:
                out.append(f"{mo_path.relative_to(LOCALE_DIR)} is stale: run make i18n-compile")
    english = {m.id for m in _po("web", "en") if m.id}
    for key, places in used_keys().items():
        plural = {f"{key}.one", f"{key}.other"} <= english
        if key not in english and not plural:
            out.append(f"{places[0]}: key {key!r} is not in en/LC_MESSAGES/web.po")
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["extract"]:
        for path in extract():
            print(path)
        return 0
    if argv[:1] == ["check"]:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    print("usage: python -m postpurchase.locale.tools extract|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
