"""The console's use cases on an in-memory unit of work: accounts, the team, the actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.console import Attention, ParcelFacts, Role
from postpurchase.domain.errors import Conflict, InvalidInput, NotFound
from postpurchase.domain.money import Money
from postpurchase.service_layer.console import (
    Accounts,
    InvalidCredentials,
    MerchantRef,
    NotAllowed,
    ParcelOfOrder,
    ShipmentActions,
    StoreNeeded,
)
from tests.console_fakes import FakeConsoleUnitOfWork, PlainHasher, State
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PW = "correct horse battery"


@pytest.fixture
def state() -> State:
    s = State()
    for mid in ("m1", "m2"):
        s.merchants[mid] = MerchantRef(mid, f"shop-{mid}", f"Shop {mid}")
    return s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def accounts(state: State, clock: FakeClock) -> Accounts:
    return Accounts(lambda: FakeConsoleUnitOfWork(state), PlainHasher(), clock.now)


def member(accounts: Accounts, slug: str, email: str, role: Role) -> None:
    accounts.set_password(accounts.create_user(slug, email, role).token, PW)


def test_a_link_sets_the_password_once_and_is_audited(accounts: Accounts, state: State) -> None:
    link = accounts.create_user("shop-m1", "Ann@Example.com", Role.OWNER)
    assert link.user.email == "ann@example.com" and link.url("https://x").endswith(link.token)
    user = accounts.set_password(link.token, PW)
    assert user.password_hash == "plain$" + PW  # the hasher's output, never the password
    with pytest.raises(NotFound):
        accounts.set_password(link.token, PW)
    actions = [r.entry.action for r in state.audit.rows]
    assert actions == ["console.user.created", "console.password.set_password"]


def test_login_session_and_expiry(accounts: Accounts, clock: FakeClock) -> None:
    member(accounts, "shop-m1", "ann@example.com", Role.AGENT)
    signed = accounts.login("ann@example.com", PW)
    assert accounts.principal(signed.session_token) == signed.principal
    clock.advance(hours=12, seconds=1)
    assert accounts.principal(signed.session_token) is None


def test_unknown_address_still_costs_a_hash(accounts: Accounts) -> None:
    hasher = accounts.hasher
    assert isinstance(hasher, PlainHasher)
    before = hasher.verified
    with pytest.raises(InvalidCredentials):
        accounts.login("nobody@example.com", PW)
    assert hasher.verified == before + 1


def test_one_address_at_two_stores(accounts: Accounts) -> None:
    member(accounts, "shop-m1", "agency@example.com", Role.AGENT)
    member(accounts, "shop-m2", "agency@example.com", Role.VIEWER)
    with pytest.raises(StoreNeeded):
        accounts.login("agency@example.com", PW)
    assert accounts.login("agency@example.com", PW, "shop-m2").principal.role is Role.VIEWER


def test_team_rules(accounts: Accounts, state: State) -> None:
    member(accounts, "shop-m1", "owner@example.com", Role.OWNER)
    member(accounts, "shop-m1", "agent@example.com", Role.AGENT)
    owner = accounts.login("owner@example.com", PW).principal
    agent = accounts.login("agent@example.com", PW).principal
    with pytest.raises(NotAllowed):
        accounts.invite(agent, "new@example.com", Role.OWNER)
    with pytest.raises(Conflict):
        accounts.invite(owner, "agent@example.com", Role.AGENT)
    with pytest.raises(Conflict):
        accounts.change_role(owner, owner.user_id, Role.VIEWER)  # the last owner
    accounts.change_role(owner, agent.user_id, Role.OWNER)
    accounts.change_role(owner, owner.user_id, Role.VIEWER)  # now there is another
    assert accounts.principal("") is None


def parcel(state: State, merchant_id: str = "m1", fee: str = "6.95") -> ParcelOfOrder:
    p = ParcelOfOrder(
        "s1", merchant_id, "o1", "#1", "ext-1", "api", "shopper@example.com", None, "en",
        Money(Decimal(fee), "USD"), "1Z1", "ups",
        ParcelFacts("attempt_failed", None, True, NOW - timedelta(days=1), NOW, date(2026, 12, 1)),
    )  # fmt: skip
    state.parcels[p.id] = p
    return p


class Reshipper:
    """The shipment command's side: it gets the audit entry to write with the shipment."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.audited: list[AuditEntry] = []

    def reship(
        self, merchant_id: str, order_id: str, number: str, carrier: str | None, audit: AuditEntry
    ) -> str:
        self.calls.append((order_id, number))
        self.audited.append(audit)
        return "s2"


class Refunder:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.audited: list[AuditEntry] = []

    def refund_shipping(self, p: ParcelOfOrder, key: str, audit: AuditEntry) -> str:
        self.keys.append(key)
        self.audited.append(audit)
        return f"ledger:{key}"


def test_actions(accounts: Accounts, state: State, clock: FakeClock) -> None:
    member(accounts, "shop-m1", "agent@example.com", Role.AGENT)
    member(accounts, "shop-m1", "viewer@example.com", Role.VIEWER)
    agent = accounts.login("agent@example.com", PW).principal
    viewer = accounts.login("viewer@example.com", PW).principal
    reshipper, refunder = Reshipper(), Refunder()
    actions = ShipmentActions(lambda: FakeConsoleUnitOfWork(state), clock.now, no_scan_days=5,
                              reshipper=reshipper, refunder=refunder)  # fmt: skip
    parcel(state)
    actions.message(agent, "s1", "Hello", "Where shall we leave it?")
    assert [m.recipient for m in state.outbox] == ["shopper@example.com"]
    assert actions.reship(agent, "s1", " 1Z999AA10123456784 ", "") == "s2"
    assert reshipper.calls == [("o1", "1Z999AA10123456784")]
    assert actions.refund_shipping(agent, "s1") == "ledger:console-shipping-o1"
    assert actions.resolve(agent, "s1", "done") == [Attention.FAILED_ATTEMPT]
    assert {r[3] for r in state.resolutions} == {"messaged", "reshipped", "refunded", "resolved"}
    # a reshipment's and a refund's entries go with the change (to the other context's path)
    assert [r.entry.action for r in state.audit.rows][-2:] == [
        "console.shipment.messaged",
        "console.shipment.resolved",
    ]
    (reshipped,), (refunded,) = reshipper.audited, refunder.audited
    assert (reshipped.action, reshipped.actor) == ("console.shipment.reshipped", agent.actor)
    assert reshipped.changes["resolved"] == [None, ["failed_attempt"]]
    assert refunded.action == "console.shipment.refunded"
    assert refunded.changes["refund.shipping"] == [None, "6.95 USD"]
    with pytest.raises(NotAllowed):
        actions.resolve(viewer, "s1", None)
    with pytest.raises(InvalidInput):
        actions.message(agent, "s1", "", "body")
    state.parcels["s1"] = replace_merchant(state.parcels["s1"], "m2")
    with pytest.raises(NotFound):
        actions.resolve(agent, "s1", None)  # another store's shipment


def replace_merchant(p: ParcelOfOrder, merchant_id: str) -> ParcelOfOrder:
    from dataclasses import replace

    return replace(p, merchant_id=merchant_id)
