"""Notification integration fixtures: a platform on each database backend with the engine
registered, real local servers for every channel, and a drain that runs the outbox dry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.notifications.demo_smtp import DemoSmtp, start_demo_smtp
from postpurchase.adapters.notifications.settings import NotifySettings
from postpurchase.adapters.notifications.wiring import channels_from, register
from postpurchase.adapters.outbox import drain
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain.merchants import Merchant
from postpurchase.service_layer import handlers
from postpurchase.service_layer.notifications import Channels, NotificationService
from tests.factories import T0, ref
from tests.fakes import FakeClock

BASE_URL = "https://shop.test"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[DemoSmtp]:
    server = start_demo_smtp("127.0.0.1", 0, tmp_path / "mail")
    yield server
    server.stop()


@dataclass
class Notify:
    platform: Platform
    service: NotificationService
    merchant: Merchant
    api_key: str
    clock: FakeClock
    engine: Engine

    def drain(self, rounds: int = 10) -> int:
        """Run the outbox until nothing is due (what the worker does on each nudge)."""
        total = 0
        for _ in range(rounds):
            done = drain(self.engine, self.platform.subscribers, now=self.clock.now)
            total += done
            if not done:
                break
        return total

    def advance(self, **kw: float) -> int:
        self.clock.advance(**kw)
        return self.drain()

    def messages(self, **match: Any) -> list[dict[str, Any]]:
        m = t.notification_messages
        q = select(m).where(m.c.merchant_id == self.merchant.id).order_by(m.c.created_at, m.c.id)
        for key, value in match.items():
            q = q.where(m.c[key] == value)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]


def make_notify(
    engine: Engine, settings: NotifySettings, channels: Channels | None = None
) -> Notify:
    clock = FakeClock(T0 + timedelta(hours=1))
    platform = bootstrap(
        Settings(base_url=BASE_URL), engine=engine, clock=clock, notifications=False
    )
    service = register(platform, settings, channels=channels or channels_from(settings))
    merchant, key, *_ = handlers.create_merchant(platform.uow(), clock, "Shop " + ref())
    return Notify(platform, service, merchant, key, clock, engine)


def quiet_settings(**kw: Any) -> NotifySettings:
    """No quiet hours and no burst hold: integration tests assert on delivery, not timing."""
    base: dict[str, Any] = {
        "notify_quiet_hours": "off",
        "notify_collapse_seconds": 0,
        "notify_sent_page": True,
    }
    base.update(kw)
    return NotifySettings(**base)


@pytest.fixture
def notify(engine: Engine, smtp: DemoSmtp) -> Notify:
    return make_notify(engine, quiet_settings(smtp_url=smtp.url))
