"""A test send: the message on sample data, in the merchant's branding, to an address the
merchant gives, through the channel configured for real messages (subject marked [TEST])."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from postpurchase.domain.errors import Conflict, InvalidInput
from postpurchase.domain.ids import new_id
from postpurchase.domain.notifications import Channel, normalise_phone, valid_email
from postpurchase.service_layer.audit import record_change
from postpurchase.service_layer.notification_core import Channels
from postpurchase.service_layer.notification_ports import OutgoingEmail, OutgoingSms
from postpurchase.service_layer.templates.ports import TemplateRenderer
from postpurchase.service_layer.templates.services import branding_of, check_target, preview
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork


def send_test(
    uow_factory: Callable[[], AbstractUnitOfWork],
    renderer: TemplateRenderer,
    channels: Channels,
    merchant_id: str,
    flow: str,
    channel: str,
    locale: str,
    to: str,
    actor: str,
    *,
    version: int | None = None,
    draft: Any = None,
) -> tuple[int | None, str | None]:
    """Render (as :func:`preview`), send (no transaction open), audit. Returns the version
    sent (None: a draft) and the provider's id. Refused: a bad address (422), a channel this
    installation has not configured (409)."""
    ch = check_target(flow, channel)
    address = to.strip()
    if ch is Channel.EMAIL and not valid_email(address):
        raise InvalidInput("not an email address", field="to")
    if ch is Channel.SMS:
        phone = normalise_phone(address, None)
        if phone is None:
            raise InvalidInput("not a phone number in E.164 (+15550100)", field="to")
        address = phone
    shown, rendered = preview(
        uow_factory(), renderer, merchant_id, flow, channel, locale, draft=draft, version=version
    )
    uow: AbstractUnitOfWork = uow_factory()
    with uow:
        merchant = uow.merchants.get(merchant_id)
    name, branding = branding_of(merchant)
    if ch is Channel.EMAIL:
        if channels.email is None:
            raise Conflict("email is not configured (POSTPURCHASE_SMTP_URL)", field="channel")
        provider_id = channels.email.send(
            OutgoingEmail(
                message_id=new_id(), to=address, from_name=branding.sender_name or name,
                from_email=branding.from_email, reply_to=branding.reply_to,
                subject=f"[TEST] {rendered.subject}", text=rendered.text, html=rendered.html,
                unsubscribe_url=None, headers={"X-Postpurchase-Test": "1"},
            )
        )  # fmt: skip
    else:
        if channels.sms is None:
            raise Conflict("SMS is not configured (POSTPURCHASE_TWILIO_*)", field="channel")
        provider_id = channels.sms.send(
            OutgoingSms(message_id=new_id(), to=address, body=f"[TEST] {rendered.text}")
        )
    audit: AbstractUnitOfWork = uow_factory()
    with audit:
        record_change(
            audit, merchant_id, actor=actor, action="templates.test_send",
            subject=f"template:{flow}/{channel}",
            after={"to": address, "locale": locale, "version": shown},
        )  # fmt: skip
        audit.commit()
    return shown, provider_id
