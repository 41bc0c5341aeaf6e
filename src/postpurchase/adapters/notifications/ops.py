"""Ops alerts through Apprise: one library, 100+ targets (Slack, Teams, e-mail, ntfy...)."""

from __future__ import annotations

from collections.abc import Sequence

import apprise

from postpurchase.service_layer.notification_ports import DeliveryError


class AppriseOpsNotifier:
    def notify(self, urls: Sequence[str], title: str, body: str) -> None:
        targets = apprise.Apprise()
        for url in urls:
            if not targets.add(url):
                raise DeliveryError(
                    f"Apprise does not understand {url.split(':')[0]}:// URLs", permanent=True
                )
        ok = targets.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        if not ok:
            raise DeliveryError("no ops target accepted the digest", permanent=False)
