"""SMS through Twilio's official SDK, behind the ``SmsChannel`` port.

Another provider is another class with the same ``send``. ``base_url`` points the SDK at a
different API host (a test double, an egress proxy): the SDK, its request signing and its
error parsing stay real.

**No idempotency key.** Twilio's Messages API (``POST /2010-04-01/Accounts/{sid}/Messages``,
``messages.create``) takes none: the SDK (9.x) passes ``Idempotency-Key`` only for newer
resources (Voice v3 transcriptions, Conversations v2, user-defined call messages), and the
Messages resource documents no such header or parameter. So an SMS follows the same rule
as an email: it is sent again only when a crash left the outcome of an attempt unknown
(claimed, lease run out, never recorded), and such re-sends are counted
(``unknown_outcomes``). The SDK's HTTP client is built without ``max_retries``, so it never
re-POSTs on its own.
"""

from __future__ import annotations

from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from postpurchase.service_layer.notification_ports import DeliveryError, OutgoingSms

# Twilio error codes that mean "this recipient, never again" rather than "try later".
OPTED_OUT_CODES = frozenset({21610})  # the recipient replied STOP


class TwilioSmsChannel:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        self.sender = sender

    def send(self, sms: OutgoingSms) -> str | None:
        kwargs: dict[str, Any] = {"to": sms.to, "body": sms.body}
        if self.sender.startswith("MG"):
            kwargs["messaging_service_sid"] = self.sender
        else:
            kwargs["from_"] = self.sender
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            status = int(exc.status or 0)
            permanent = 400 <= status < 500 and status not in (408, 409, 429)
            raise DeliveryError(
                f"Twilio {status} (code {exc.code}): {exc.msg}",
                permanent=permanent,
                opt_out=exc.code in OPTED_OUT_CODES,
                status_code=status,
                connection=status >= 500,
            ) from exc
        except (TwilioException, requests.RequestException, OSError) as exc:
            raise DeliveryError(
                f"Twilio unreachable: {type(exc).__name__}: {exc}", permanent=False, connection=True
            ) from exc
        return str(message.sid) if message.sid else None
