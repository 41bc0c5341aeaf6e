"""Ops alerts through Apprise: one library, 100+ targets (Slack, Teams, e-mail, ntfy...).

Merchants add their own targets, so Apprise runs inside :func:`~postpurchase.adapters.
net_guard.guarded`: every name it resolves and every connection it opens (whichever
plugin, HTTP, SMTP or raw sockets, redirects included) is checked against the outbound
policy, and a target inside our network is refused before anything connects to it.

Each URL is notified on its own, so one refused or failing target neither hides the others'
success nor makes a retry send the digest twice to the ones that took it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import apprise

from postpurchase.adapters.net_guard import REFUSED, AddressNotAllowed, OutboundPolicy, guarded
from postpurchase.domain.errors import InvalidInput
from postpurchase.service_layer.notification_ports import DeliveryError

logger = logging.getLogger(__name__)


MAX_URL = 2000


class AppriseOpsNotifier:
    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        self.policy = policy or OutboundPolicy()

    def check_url(self, url: str, field: str) -> None:
        """At save: refuse a URL Apprise does not understand, or whose host (for the
        services that connect to a host the URL names: json://, ntfy://, gotify://,
        mailto://...) is or resolves to an address we do not connect to. The send checks
        every connection again (DNS answers change); this only says so while the merchant is
        still looking. Resolving is network I/O: call it with no transaction open."""
        if not isinstance(url, str) or len(url) > MAX_URL or "://" not in url:
            raise InvalidInput(
                f"expected an Apprise URL (scheme://...) of at most {MAX_URL} characters",
                field=field,
            )
        scheme = url.split("://", 1)[0].lower()
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            raise InvalidInput(
                f"Apprise does not understand {scheme}:// URLs (see the Apprise wiki for the "
                "services it supports), or this one is incomplete",
                field=field,
            )
        host = getattr(plugin, "host", None)
        if "host" not in getattr(plugin, "template_tokens", {}) or not host:
            return  # a cloud service: the host in the URL is a token, not where we connect
        port = getattr(plugin, "port", None) or (443 if getattr(plugin, "secure", False) else 80)
        try:
            self.policy.check_url(f"http://{_bracketed(host)}:{int(port)}/")
        except AddressNotAllowed:
            raise InvalidInput(
                f"{scheme}:// target points at an address ops alerts are not sent to "
                "(loopback, private, link-local or another internal range); a self-hosted "
                "server can allow it with POSTPURCHASE_OUTBOUND_ALLOW",
                field=field,
            ) from None

    def notify(self, urls: Sequence[str], title: str, body: str) -> None:
        targets = []
        for url in urls:
            one = apprise.Apprise()
            if not one.add(url):
                raise DeliveryError(
                    f"Apprise does not understand {url.split(':')[0]}:// URLs", permanent=True
                )
            targets.append((url.split(":")[0], one))
        accepted = refused = 0
        for scheme, one in targets:
            with guarded(self.policy) as guard:
                ok = one.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
            if guard.refused:
                refused += 1
                logger.warning("ops target %s:// refused: address not allowed", scheme)
            elif ok:
                accepted += 1
        if accepted:
            return
        if refused == len(targets):
            raise DeliveryError(REFUSED, permanent=True)
        raise DeliveryError("no ops target accepted the digest", permanent=False)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
