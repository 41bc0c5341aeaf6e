"""Store connections and the storefront refund ledger on SQLite and PostgreSQL: credentials
sealed at rest, one shop per merchant, resumable backfill state, refunds that never pay
twice."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.storefront_store import reseal_connections
from postpurchase.adapters.secrets import Keyring, new_key
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.errors import Conflict, InvalidInput
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money
from postpurchase.domain.orders import LineFacts, OrderLineInput
from postpurchase.domain.storefronts import (
    AttemptStatus,
    BackfillState,
    BackfillStatus,
    ConnectionSettings,
    ConnectionStatus,
    RefundedLine,
    RefundRequest,
    RefundRequestLine,
    RefundResult,
    StoreConnection,
    StorePlatform,
)
from postpurchase.service_layer import handlers
from postpurchase.service_layer.storefronts import StoreRefused
from postpurchase.service_layer.storefronts.refunds import refund_order
from tests.factories import T0, place_order, ref
from tests.fakes import FakeClock

TOKEN = "shpat_" + "0f" * 16  # the shape of an Admin API access token


@pytest.fixture
def platform(engine):
    return bootstrap(Settings(), engine=engine, clock=FakeClock(T0), notifications=False)


def merchant(platform):
    return handlers.create_merchant(platform.uow(), platform.clock, "Shop " + ref()).merchant


def connection(merchant_id: str, shop: str | None = None, **kw) -> StoreConnection:
    return StoreConnection(
        id=new_id(), merchant_id=merchant_id, platform=kw.pop("platform", StorePlatform.SHOPIFY),
        shop=shop or f"{ref()}.myshopify.com", scopes=("read_orders", "write_orders"),
        credentials=kw.pop("credentials", {"access_token": TOKEN}), installed_at=T0, **kw,
    )  # fmt: skip


def test_credentials_are_sealed_and_come_back_in_the_clear(platform, engine) -> None:
    m = merchant(platform)
    c = connection(m.id, settings=ConnectionSettings(write_back_tracking=True))
    with platform.uow() as uow:
        uow.connections.add(c)
        uow.commit()
    with engine.connect() as conn:
        row = conn.execute(
            select(t.store_connections).where(t.store_connections.c.id == c.id)
        ).mappings().one()  # fmt: skip
    assert TOKEN not in json.dumps(dict(row), default=str)
    assert row["credentials"].startswith("fernet:")
    with platform.uow() as uow:
        back = uow.connections.get(m.id, StorePlatform.SHOPIFY)
        by_shop = uow.connections.get_by_shop(StorePlatform.SHOPIFY, c.shop)
    assert back is not None and by_shop is not None and by_shop.id == c.id
    assert back.credentials == {"access_token": TOKEN}
    assert back.settings.write_back_tracking is True and back.scopes == c.scopes
    assert back.installed_at == T0 and back.status is ConnectionStatus.ACTIVE


def test_a_shop_has_one_merchant_and_a_merchant_one_store_per_platform(platform) -> None:
    a, b = merchant(platform), merchant(platform)
    first = connection(a.id)
    with platform.uow() as uow:
        uow.connections.add(first)
        uow.commit()
    for taken in (connection(b.id, shop=first.shop), connection(a.id)):
        with platform.uow() as uow, pytest.raises(Conflict) as refused:
            uow.connections.add(taken)
        assert refused.value.field == "shop"
    keys = {"consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40}
    woo = connection(
        a.id, shop="https://shop.example.com", platform=StorePlatform.WOOCOMMERCE, credentials=keys
    )
    with platform.uow() as uow:
        uow.connections.add(woo)
        uow.commit()
    with platform.uow() as uow:
        kinds = {c.platform for c in uow.connections.for_merchant(a.id)}
        assert kinds == {StorePlatform.SHOPIFY, StorePlatform.WOOCOMMERCE}
        assert uow.connections.for_merchant(b.id) == []  # tenants never see each other's
        assert uow.connections.get(b.id, StorePlatform.SHOPIFY) is None


def test_uninstall_keeps_the_row_and_drops_the_token(platform) -> None:
    m = merchant(platform)
    c = connection(m.id)
    with platform.uow() as uow:
        uow.connections.add(c)
        uow.commit()
    with platform.uow() as uow:
        held = uow.connections.get(m.id, StorePlatform.SHOPIFY)
        assert held is not None and held.uninstall(T0 + timedelta(days=2))
        assert not held.uninstall(T0 + timedelta(days=3))  # a redelivery changes nothing
        uow.connections.save(held)
        uow.commit()
    with platform.uow() as uow:
        gone = uow.connections.get(m.id, StorePlatform.SHOPIFY)
    assert gone is not None and gone.status is ConnectionStatus.UNINSTALLED
    assert gone.credentials == {} and gone.uninstalled_at == T0 + timedelta(days=2)
    gone.reinstall(("read_orders",), {"access_token": TOKEN + "2"}, T0 + timedelta(days=4))
    with platform.uow() as uow:
        uow.connections.save(gone)
        uow.commit()
    with platform.uow() as uow:
        back = uow.connections.get(m.id, StorePlatform.SHOPIFY)
    assert back is not None and back.active and back.credentials["access_token"] == TOKEN + "2"


def test_backfill_state_is_kept_per_kind_so_a_run_resumes(platform) -> None:
    m = merchant(platform)
    c = connection(m.id)
    with platform.uow() as uow:
        uow.connections.add(c)
        uow.commit()
    state = BackfillState("orders", date(2026, 1, 1), BackfillStatus.RUNNING, started_at=T0)
    state = state.advanced("eyJsYXN0X2lkIjo0NTA3ODk0Njl9", 50, T0 + timedelta(minutes=1))
    state = state.stopped(
        "401 Unauthorized: the access token was revoked", T0 + timedelta(minutes=2)
    )
    products = BackfillState("products", None, BackfillStatus.DONE, imported=7, started_at=T0)
    with platform.uow() as uow:
        uow.connections.save_backfill(c.id, state)
        uow.connections.save_backfill(c.id, products)
        uow.commit()
    with platform.uow() as uow:
        back = uow.connections.get(m.id, StorePlatform.SHOPIFY)
    assert back is not None
    assert back.backfill("orders") == state and back.backfill("products") == products
    assert back.backfill("orders").resumes(date(2026, 1, 1))  # type: ignore[union-attr]
    assert not back.backfill("orders").resumes(date(2025, 1, 1))  # type: ignore[union-attr]


def test_reencrypt_reseals_credentials_with_the_first_key(platform, engine) -> None:
    m = merchant(platform)
    c = connection(m.id)
    with platform.uow() as uow:
        uow.connections.add(c)
        uow.commit()
    rotated = Keyring([new_key(), *Settings().encryption_keys.split(",")])
    with engine.begin() as conn:
        assert reseal_connections(conn, rotated) >= 1
        assert reseal_connections(conn, rotated) == 0
        sealed = conn.execute(
            select(t.store_connections.c.credentials).where(t.store_connections.c.id == c.id)
        ).scalar_one()
    assert json.loads(rotated.open(sealed)) == {"access_token": TOKEN}


# ---- the refund flow, against an in-memory store (the Shopify adapter has its own tests) ----


class Store:
    """An in-memory store: pays what it is asked, once per call; can refuse or time out."""

    def __init__(self) -> None:
        self.paid: list[RefundRequest] = []
        self.fail_with: Exception | None = None

    def refund(self, connection: StoreConnection, request: RefundRequest) -> RefundResult:
        if self.fail_with is not None:
            raise self.fail_with
        self.paid.append(request)
        return self._result(request)

    def find(self, connection: StoreConnection, request: RefundRequest) -> RefundResult | None:
        done = [r for r in self.paid if r.idempotency_key == request.idempotency_key]
        return self._result(done[0]) if done else None

    def _result(self, request: RefundRequest) -> RefundResult:
        lines = tuple(RefundedLine(x.store_line_id, x.quantity, Money.of("12.50", "USD"))
                      for x in request.lines)  # fmt: skip
        amount = Money.of(str(Decimal("12.50") * sum(x.quantity for x in request.lines)), "USD")
        return RefundResult(f"rf-{request.idempotency_key}", amount, Money.zero("USD"), T0, lines)


def shop_order(platform, m):
    with platform.uow() as uow:
        uow.connections.add(connection(m.id))
        uow.commit()
    lines = (OrderLineInput("MUG-1", "Mug", 2, Money.of("12.50", "USD"),
                            facts=LineFacts(external_id="866550311766439020")),)  # fmt: skip
    cmd = place_order(m.id, source="shopify", lines=lines, external_id="820982911946154508")
    return platform.bus().handle(cmd).id


def mug(qty: int, key: str) -> RefundRequest:
    line = RefundRequestLine("866550311766439020", qty)
    return RefundRequest("820982911946154508", "USD", (line,), idempotency_key=key)


def test_a_retried_refund_never_pays_twice(platform) -> None:
    m = merchant(platform)
    order_id = shop_order(platform, m)
    store = Store()
    first = refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "ret-1"))
    again = refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "ret-1"))
    assert len(store.paid) == 1 and again.replayed and again.result == first.result
    assert first.estimate == Money.of("12.50", "USD")
    with platform.uow() as uow:
        refunds = uow.refunds.for_order(m.id, order_id)
        attempt = uow.storefront_refunds.get(m.id, "ret-1")
    assert [r.external_id for r in refunds] == ["rf-ret-1"]
    assert refunds[0].lines[0].line_id is not None  # matched to our line by the store's id
    assert attempt is not None and attempt.status is AttemptStatus.SUCCEEDED
    with pytest.raises(InvalidInput) as reused:  # the same key for another refund
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(2, "ret-1"))
    assert reused.value.field == "idempotency_key"
    with pytest.raises(InvalidInput) as too_much:  # one mug left: refused before the store
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(2, "ret-2"))
    assert too_much.value.field == "lines[0].quantity" and len(store.paid) == 1
    with platform.uow() as uow:
        assert uow.storefront_refunds.get(m.id, "ret-2") is None  # nothing recorded


def test_an_unknown_outcome_is_looked_up_before_paying_again(platform) -> None:
    m = merchant(platform)
    order_id = shop_order(platform, m)
    store = Store()
    store.fail_with = TimeoutError("read timed out")
    with pytest.raises(TimeoutError):
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "k-time"))
    with platform.uow() as uow:
        pending = uow.storefront_refunds.get(m.id, "k-time")
    assert pending is not None and pending.status is AttemptStatus.PENDING
    store.fail_with = None
    with pytest.raises(Conflict):  # still in flight as far as we know
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "k-time"))
    store.paid.append(mug(1, "k-time"))  # the timed-out call had reached the store after all
    platform.clock.advance(minutes=11)
    out = refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "k-time"))
    assert out.replayed and len(store.paid) == 1


def test_a_refusal_is_recorded_and_the_key_may_be_tried_again(platform) -> None:
    m = merchant(platform)
    order_id = shop_order(platform, m)
    store = Store()
    store.fail_with = StoreRefused("Refund amount exceeds the refundable amount", field="amount")
    with pytest.raises(Conflict) as refused:
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "k-no"))
    assert refused.value.field == "amount"
    with platform.uow() as uow:
        failed = uow.storefront_refunds.get(m.id, "k-no")
    assert (
        failed is not None and failed.status is AttemptStatus.FAILED and "exceeds" in failed.error
    )
    store.fail_with = None
    out = refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "k-no"))
    assert not out.replayed and len(store.paid) == 1
    with platform.uow() as uow:
        assert uow.storefront_refunds.get(m.id, "k-no").attempts == 2  # type: ignore[union-attr]


def test_another_tenants_order_is_not_found(platform) -> None:
    a, b = merchant(platform), merchant(platform)
    order_id = shop_order(platform, a)
    with platform.uow() as uow:
        uow.connections.add(connection(b.id))
        uow.commit()
    with pytest.raises(Exception) as nope:
        refund_order(platform.uow(), platform.clock, Store(), b.id, order_id, mug(1, "x"))
    assert getattr(nope.value, "field", None) == "order_id"


def test_an_uninstalled_store_refunds_nothing(platform) -> None:
    m = merchant(platform)
    order_id = shop_order(platform, m)
    with platform.uow() as uow:
        c = uow.connections.get(m.id, StorePlatform.SHOPIFY)
        assert c is not None
        c.uninstall(T0)
        uow.connections.save(c)
        uow.commit()
    store = Store()
    with pytest.raises(Conflict):
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "x"))
    assert store.paid == []


def test_a_persons_refund_is_audited_before_the_call_and_with_its_outcome(platform) -> None:
    """No network call inside a transaction, yet nothing unaudited: ``requested`` commits
    with the pending attempt (so a call that never answers is still on record), the outcome
    with the settlement or the refusal."""
    m = merchant(platform)
    order_id = shop_order(platform, m)
    store = Store()
    entry = AuditEntry(m.id, "user:agent@example.com", "console.shipment.refunded",
                       f"order:{order_id}", T0, {"refund.shipping": [None, "1 USD"]})  # fmt: skip

    def actions() -> list[tuple[str, object]]:
        with platform.uow() as uow:
            rows = uow.audit.list(m.id, subject=f"order:{order_id}")
        return [(r.entry.action, r.entry.changes["refund.status"][1]) for r in reversed(rows)]

    store.fail_with = TimeoutError("read timed out")
    with pytest.raises(TimeoutError):
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "a-1"),
                     audit=entry)  # fmt: skip
    assert actions() == [("console.shipment.refunded.requested", "requested")]
    store.fail_with = StoreRefused("Refund amount exceeds the refundable amount", field="amount")
    with pytest.raises(Conflict):
        refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "a-2"),
                     audit=entry)  # fmt: skip
    store.fail_with = None
    refund_order(platform.uow(), platform.clock, store, m.id, order_id, mug(1, "a-3"), audit=entry)
    assert actions()[1:] == [
        ("console.shipment.refunded.requested", "requested"),
        ("console.shipment.refunded.refused", "refused"),
        ("console.shipment.refunded.requested", "requested"),
        ("console.shipment.refunded", "succeeded"),
    ]
