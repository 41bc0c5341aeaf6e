"""What the console's returns pages share: the returns service of the app, the page's
language (the web catalogue: ``console.returns.*`` keys), and the return id's shape."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from postpurchase.entrypoints.api.routes.returns import returns_service
from postpurchase.entrypoints.console.auth import platform_of
from postpurchase.entrypoints.web.i18n import Translator, normalise_language, parse_accept_language
from postpurchase.service_layer.returns import Returns

RETURN_ID = re.compile(r"[0-9a-f]{32}")


def service(request: Request) -> Returns:
    """One returns service per app (it holds no state but its wiring)."""
    state = request.app.state
    found: Returns | None = getattr(state, "console_returns", None)
    if found is None:
        found = state.console_returns = returns_service(platform_of(request))
    return found


def translator(request: Request) -> Translator:
    """The reader's language from ``Accept-Language`` (English when none of ours matches)."""
    for tag in parse_accept_language(request.headers.get("accept-language")):
        lang = normalise_language(tag)
        if lang:
            return Translator(lang)
    return Translator("en")


def words(request: Request) -> dict[str, Any]:
    """Template context for the texts: ``t`` (keys ``console.returns.*``) and the language."""
    t = translator(request)
    return {"t": t, "lang": t.html_lang}
