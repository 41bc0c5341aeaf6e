"""Notification channels (SMTP email, Twilio SMS, signed webhooks, Apprise ops digests), their
templates, and ``register(platform)`` which plugs the engine into the outbox."""

from postpurchase.adapters.notifications.demo_smtp import start_demo_smtp
from postpurchase.adapters.notifications.wiring import register, service_for

__all__ = ["register", "service_for", "start_demo_smtp"]
