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

from postpurchase.adapters.net_guard import REFUSED, OutboundPolicy, guarded
from postpurchase.service_layer.notification_ports import DeliveryError

logger = logging.getLogger(__name__)


class AppriseOpsNotifier:
    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        self.policy = policy or OutboundPolicy()

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
