"""Outbound webhooks: JSON POSTs signed with HMAC-SHA256 (``X-Postpurchase-Signature``).

The signature scheme is the one :mod:`postpurchase.adapters.signatures` verifies:
``t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}." + body)>``. The timestamp is the real wall
clock at sending time (receivers compare it with theirs), so every retry and every replay is
signed afresh while the body -- and the event id inside it -- stays byte-identical.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from postpurchase import __version__
from postpurchase.adapters.signatures import POSTPURCHASE_HEADER, sign_postpurchase
from postpurchase.service_layer.notification_ports import DeliveryError, WebhookRequest

MAX_RESPONSE_BYTES = 4096


class HttpWebhookPoster:
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.wall_clock = wall_clock
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,  # a redirect would re-send the body somewhere unsigned-for
            headers={"User-Agent": f"postpurchase-webhooks/{__version__}"},
            transport=transport,
        )

    def post(self, request: WebhookRequest) -> int:
        headers = {
            "Content-Type": "application/json",
            POSTPURCHASE_HEADER: sign_postpurchase(request.body, request.secret, self.wall_clock()),
            "X-Postpurchase-Event-Id": request.event_id,
            "X-Postpurchase-Event-Type": request.event_type,
            "X-Postpurchase-Delivery-Id": request.delivery_id,
        }
        try:
            response = self.client.post(request.url, content=request.body, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise DeliveryError(f"invalid endpoint URL: {exc}", permanent=True) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
        return response.status_code

    def close(self) -> None:
        self.client.close()
