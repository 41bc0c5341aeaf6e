"""Two stores, each with an owner, an agent and a viewer, and a console client per person
(both backends). Passwords are hashed by real argon2id with cheap parameters, so the suite
stays fast; the log-in form itself is driven by test_console_auth."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from postpurchase.adapters.console import Argon2Hasher
from postpurchase.adapters.db.console import SqlConsoleUnitOfWork
from postpurchase.bootstrap import Platform, bootstrap
from postpurchase.config import Settings
from postpurchase.domain.console import Role
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer import handlers
from postpurchase.service_layer.console import Accounts
from tests.factories import T0, ref
from tests.fakes import FakeClock

PASSWORD = "correct horse battery"


def cheap_accounts(platform: Platform) -> Accounts:
    return Accounts(
        lambda: SqlConsoleUnitOfWork(platform.engine),
        Argon2Hasher(time_cost=1, memory_kib=8192),
        platform.clock.now,
    )


def team_of_every_role(accounts: Accounts, slug: str) -> dict[Role, str]:
    """One member per role of ``slug``'s team, each with ``PASSWORD``; their addresses."""
    emails = {}
    for role in Role:
        address = f"{role.value}@{slug}.example"
        link = accounts.create_user(slug, address, role)
        accounts.set_password(link.token, PASSWORD)
        emails[role] = address
    return emails


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no csrf field on the page"
    return found.group(1)


@dataclass
class Person:
    email: str
    role: Role
    client: TestClient
    csrf: str

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = {"csrf": self.csrf, **(data or {})}
        return self.client.post(url, data=body, follow_redirects=False, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, follow_redirects=False, **kw)


@dataclass
class Store:
    merchant_id: str
    slug: str
    key: str
    people: dict[Role, Person] = field(default_factory=dict)

    @property
    def owner(self) -> Person:
        return self.people[Role.OWNER]

    @property
    def agent(self) -> Person:
        return self.people[Role.AGENT]

    @property
    def viewer(self) -> Person:
        return self.people[Role.VIEWER]


@dataclass
class Console:
    platform: Platform
    clock: FakeClock
    accounts: Accounts
    app: Any
    a: Store
    b: Store
    clients: list[TestClient]

    def client(self) -> TestClient:
        """A fresh browser from its own address (rate limits are per address)."""
        c = TestClient(self.app, client=(f"10.{uuid.uuid4().int % 250}.{ref()[:3]}", 50000))
        c.__enter__()
        self.clients.append(c)
        return c

    def person(self, store: Store, role: Role, email: str | None = None) -> Person:
        email = email or f"{role.value}-{ref()}@example.com"
        link = self.accounts.create_user(store.slug, email, role)
        self.accounts.set_password(link.token, PASSWORD)
        signed = self.accounts.login(email, PASSWORD)
        c = self.client()
        c.cookies.set(
            "pp_console", signed.session_token, domain="testserver.local", path="/console"
        )
        return Person(email, role, c, signed.principal.csrf)


def make_console(engine: Any, clock: FakeClock) -> Iterator[Console]:
    platform = bootstrap(Settings(), engine=engine, clock=clock, notifications=False)
    app = create_app(platform)
    accounts = cheap_accounts(platform)
    app.state.console_accounts = accounts
    stores = []
    for _ in range(2):
        slug = "c" + ref()
        merchant, key, _ = handlers.create_merchant(
            platform.uow(), clock, "Shop " + slug, slug=slug
        )
        stores.append(Store(merchant.id, slug, key))
    console = Console(platform, clock, accounts, app, stores[0], stores[1], [])
    for store in stores:
        for role in Role:
            store.people[role] = console.person(store, role)
    yield console
    for c in console.clients:
        c.__exit__(None, None, None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(days=5))


@pytest.fixture
def console(engine: Any, clock: FakeClock) -> Iterator[Console]:
    yield from make_console(engine, clock)
