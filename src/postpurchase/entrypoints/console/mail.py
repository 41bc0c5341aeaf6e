"""Invitation and password-reset e-mails, through the notification engine's e-mail channel
(the SMTP server set by ``POSTPURCHASE_SMTP_URL``), after the link's transaction committed.

A console mail is not a shopper notification: it has no flow, no quiet hours and no
unsubscribe link, so it goes straight to the channel rather than through message planning.
When no SMTP server is configured, or it refuses, the caller gets False and says so (an
invitation link is then shown to the owner who made it, to pass on by hand).
"""

from __future__ import annotations

import logging
import uuid

from postpurchase.adapters.notifications import service_for
from postpurchase.bootstrap import Platform
from postpurchase.domain.console import TokenPurpose
from postpurchase.service_layer.console import Link
from postpurchase.service_layer.notification_ports import OutgoingEmail

logger = logging.getLogger(__name__)

_SUBJECTS = {
    TokenPurpose.INVITE: "You are invited to the {store} console",
    TokenPurpose.SET_PASSWORD: "Set your password for the {store} console",
    TokenPurpose.RESET: "Reset your password for the {store} console",
}
_BODIES = {
    TokenPurpose.INVITE: (
        "You were invited to the {store} console as {role}.\n\n"
        "Choose a password to accept (the link works once, for 7 days):\n{url}\n"
    ),
    TokenPurpose.SET_PASSWORD: (
        "Choose a password for the {store} console (the link works once, for 7 days):\n{url}\n"
    ),
    TokenPurpose.RESET: (
        "Someone asked to reset the password of {email} for the {store} console.\n\n"
        "Choose a new password (the link works once, for an hour):\n{url}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n"
    ),
}


def compose(link: Link, base_url: str) -> OutgoingEmail:
    values = {
        "store": link.merchant.name,
        "role": link.user.role.value,
        "email": link.user.email,
        "url": link.url(base_url),
    }
    return OutgoingEmail(
        message_id=f"console-{uuid.uuid4().hex}",
        to=link.user.email,
        from_name=link.merchant.name,
        from_email=None,
        reply_to=None,
        subject=_SUBJECTS[link.purpose].format(**values),
        text=_BODIES[link.purpose].format(**values),
        html=None,
        unsubscribe_url=None,
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_link(platform: Platform, link: Link) -> bool:
    """Send the link's e-mail; False when there is no e-mail channel or it failed. Blocking
    network I/O: call from a thread, never inside a transaction."""
    channel = service_for(platform).channels.email
    if channel is None:
        logger.warning("console mail not sent: no SMTP server configured")
        return False
    try:
        channel.send(compose(link, platform.settings.base_url))
    except Exception:
        logger.warning("console mail to a team member failed", exc_info=True)
        return False
    return True
