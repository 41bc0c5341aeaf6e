"""Plugging the notification engine into a platform: ``register(platform)``.

Called once per process from the composition root. It builds the service from
``NotifySettings`` (which channels exist is configuration), subscribes it to every outbox
topic it needs, and remembers it on the platform so HTTP routes reach the same instance.

The platform is described by a Protocol rather than imported: adapters sit below the
composition root and must not import it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.model_serving import models_for
from postpurchase.adapters.notifications.email import SmtpEmailChannel
from postpurchase.adapters.notifications.gift_codes import SealedGiftCodes
from postpurchase.adapters.notifications.ops import AppriseOpsNotifier
from postpurchase.adapters.notifications.personalise import EnginePersonaliser
from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.adapters.notifications.sms import TwilioSmsChannel
from postpurchase.adapters.notifications.unit_of_work import (
    AmbientWrites,
    SqlNotificationUnitOfWork,
)
from postpurchase.adapters.notifications.webhooks import HttpWebhookPoster
from postpurchase.domain.notification_flows import flow_topics
from postpurchase.domain.notifications import OPS_TOPICS, WEBHOOK_TOPICS
from postpurchase.service_layer.notifications import Channels, NotificationService, ServiceConfig
from postpurchase.service_layer.ports import Clock, SecretBox
from postpurchase.service_layer.recommendations import LINK_PURPOSE

logger = logging.getLogger(__name__)

_ATTR = "_postpurchase_notifications"

Subscriber = Callable[[int, str, dict[str, Any]], None]


class _Queue(Protocol):
    def nudge_outbox(self) -> None: ...


class _CoreSettings(Protocol):
    @property
    def base_url(self) -> str: ...


class PlatformLike(Protocol):
    @property
    def engine(self) -> Engine: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def queue(self) -> _Queue: ...
    @property
    def settings(self) -> _CoreSettings: ...
    @property
    def keyring(self) -> SecretBox: ...

    def subscribe(self, topic: str, subscriber: Subscriber) -> None: ...


class _Subscriber:
    """The engine on the outbox: one row (``__call__``) or a drain's batch (``many``)."""

    def __init__(self, service: NotificationService, ambient: AmbientWrites) -> None:
        self.service = service
        self.ambient = ambient

    def __call__(self, row_id: int, topic: str, payload: dict[str, Any]) -> None:
        with self.ambient.lending():
            self.service.handle(row_id, topic, payload)

    def many(self, rows: list[tuple[int, str, dict[str, Any]]]) -> dict[int, Exception]:
        with self.ambient.lending():
            return self.service.handle_many(rows)

    def acting(self, conn: Connection, topic: str, merchant_ids: set[str]) -> set[str]:
        """The merchants for which an event of ``topic`` may cause anything here, asked
        in the writer's transaction before its outbox row is written (ADR 0041,
        ``adapters.outbox.Declaring``). A topic whose only use here is the merchant's
        webhooks (``OrderStatusChanged``, ``ShipmentDelivered``, ...) does something only
        where webhooks are on and an active endpoint listens to it; every other topic may
        plan a message, an alert or a cancellation, so it is always "may act"."""
        if topic not in HOOKS_ONLY:
            return set(merchant_ids)
        if self.service.channels.webhooks is None:
            return set()
        return listening(conn, topic, merchant_ids)


# Topics the engine plans nothing for but webhook deliveries (``NotificationService._plan_in``:
# flows, ops alerts and cancellations are the other uses); the test that holds this to the
# engine's behaviour plans every subscribed topic with no endpoint and finds nothing written.
HOOKS_ONLY: frozenset[str] = WEBHOOK_TOPICS - flow_topics() - OPS_TOPICS - {"OrderCancelled"}


def listening(conn: Connection, topic: str, merchant_ids: set[str]) -> set[str]:
    """Of ``merchant_ids``, those with an active endpoint that takes ``topic`` (as
    ``NotificationStore.endpoints_for`` picks them at planning time)."""
    if not merchant_ids:
        return set()
    e = t.webhook_endpoints.c
    rows = conn.execute(
        select(e.merchant_id, e.topics).where(
            e.merchant_id.in_(sorted(merchant_ids)), e.active.is_(True), e.deleted_at.is_(None)
        )
    ).all()
    return {m for m, topics in rows if "*" in (topics or ()) or topic in (topics or ())}


def channels_from(settings: NotifySettings) -> Channels:
    """The channels this configuration enables (email needs an SMTP URL, SMS Twilio keys)."""
    email = (
        SmtpEmailChannel(settings.smtp_url, settings.smtp_from, ca_file=settings.smtp_ca_file)
        if settings.smtp_url
        else None
    )
    sms = None
    if settings.sms_configured:
        assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from
        sms = TwilioSmsChannel(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from,
            base_url=settings.twilio_base_url,
        )
    policy = settings.outbound_policy
    webhooks = (
        HttpWebhookPoster(timeout=settings.webhook_timeout_seconds, policy=policy)
        if settings.webhooks_enabled
        else None
    )
    return Channels(email=email, sms=sms, webhooks=webhooks, ops=AppriseOpsNotifier(policy))


def build_service(
    platform: PlatformLike,
    settings: NotifySettings | None = None,
    *,
    channels: Channels | None = None,
) -> NotificationService:
    settings = settings or NotifySettings()
    ambient = AmbientWrites.for_engine(platform.engine)
    config = ServiceConfig(
        base_url=platform.settings.base_url,
        defaults=settings.default_preferences(),
        give_up_after=timedelta(hours=settings.notify_give_up_hours),
        retry_base_seconds=settings.notify_retry_base_seconds,
        digest_minutes=settings.ops_digest_minutes,
        ops_urls=settings.ops_urls,
        sent_page=settings.notify_sent_page,
        # SQLite's one writer: a run of 50 holds the write lock for tens of ms, not hundreds.
        # PostgreSQL: a whole claimed outbox batch (500) in one run, so an order whose rows
        # span the batch is read and decoded once, not once per run (docs/scaling.md).
        plan_run=50 if platform.engine.dialect.name == "sqlite" else 500,
    )

    box = platform.keyring  # endpoint secrets are sealed at rest

    def uow() -> SqlNotificationUnitOfWork:
        return SqlNotificationUnitOfWork(platform.engine, platform.clock.now, ambient, box=box)

    def nudge() -> None:
        platform.queue.nudge_outbox()  # read at call time: the worker swaps the queue in

    service = NotificationService(
        uow=uow,
        clock=platform.clock,
        renderer=JinjaRenderer(),
        channels=channels if channels is not None else channels_from(settings),
        config=config,
        nudge=nudge,
    )
    # Messages state the date the tracking page shows: the same model cache (issue 16).
    service.models = models_for(platform.engine)
    # Recommendations and the late-delivery remedy personalise the shipped/delivered e-mails.
    service.personaliser = EnginePersonaliser(
        platform.engine, platform.settings.base_url, platform.keyring.derive(LINK_PURPOSE)
    )
    # A gift return's code goes into its message only when it is sent (kept sealed).
    service.gift_codes = SealedGiftCodes(platform.engine, box)
    return service


def register(
    platform: PlatformLike,
    settings: NotifySettings | None = None,
    *,
    channels: Channels | None = None,
    replace: bool = False,
) -> NotificationService:
    """Subscribe the notification engine to the platform's outbox. Idempotent per platform;
    ``replace=True`` swaps in a new configuration (the demo points email at its own server)."""
    existing: NotificationService | None = getattr(platform, _ATTR, None)
    previous: Subscriber | None = getattr(platform, _ATTR + "_subscriber", None)
    if existing is not None and previous is not None and not replace:
        return existing
    subscribers = getattr(platform, "subscribers", None)
    if previous is not None and isinstance(subscribers, dict):
        for fns in subscribers.values():
            while previous in fns:
                fns.remove(previous)
    service = build_service(platform, settings, channels=channels)
    ambient = AmbientWrites.for_engine(platform.engine)

    subscriber = _Subscriber(service, ambient)
    for topic in sorted(service.topics()):
        platform.subscribe(topic, subscriber)
    setattr(platform, _ATTR, service)
    setattr(platform, _ATTR + "_subscriber", subscriber)
    enabled = [c.value for c in service.channels.for_messages()]
    logger.info("notifications: channels %s", ", ".join(enabled) or "none (set SMTP URL)")
    return service


def demo_settings(smtp_url: str) -> NotifySettings:
    """What the demo wants: its own SMTP server (unless POSTPURCHASE_SMTP_URL is set), no
    quiet hours (a newcomer at 23:00 should still see mail), a short burst hold, and the
    page listing what was sent."""
    env = NotifySettings()
    return env.model_copy(
        update={
            "smtp_url": env.smtp_url or smtp_url,
            "notify_quiet_hours": "off",
            "notify_collapse_seconds": min(env.notify_collapse_seconds, 20),
            "notify_sent_page": True,
        }
    )


def service_for(platform: PlatformLike) -> NotificationService:
    """The platform's service (for routes): the registered one, else built on first use."""
    found: NotificationService | None = getattr(platform, _ATTR, None)
    if found is None:
        found = build_service(platform)
        setattr(platform, _ATTR, found)
    return found
