"""Notification channels (SMTP email, Twilio SMS, signed webhooks, Apprise ops digests), their
templates, and ``register(platform)`` which plugs the engine into the outbox."""

from postpurchase.adapters.notifications.demo_smtp import start_demo_smtp
from postpurchase.adapters.notifications.wiring import demo_settings, register, service_for

__all__ = ["demo_settings", "register", "service_for", "start_demo_smtp"]
