"""The automatic remedy on SQLite and PostgreSQL: the rule through the API (validated,
audited, per merchant); a late delivery's ``ShipmentDelivered`` gives the order its remedy
once (ledger unique per order), through the store's refund port when a store is connected;
the customer timeline and the KPI show it, to its merchant only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import event, select

from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.remedies import SqlRemedyStore, remedies_for_customer
from postpurchase.adapters.outbox import BatchSubscriber
from postpurchase.domain.ids import new_id
from postpurchase.domain.money import Money
from postpurchase.domain.orders import LineFacts, OrderLineInput, Promise
from postpurchase.domain.storefronts import (
    RefundRequest,
    RefundResult,
    StoreConnection,
    StorePlatform,
)
from postpurchase.service_layer.remedies import apply_remedy
from postpurchase.service_layer.storefronts import StorefrontRefunds, StoreRefused
from tests.factories import T0, place_order, ref
from tests.integration.storefront_extras.conftest import Shop, line

PROMISED = date(2026, 11, 2)  # T0 is 2026-11-01 09:00 UTC
LATE = 44  # hours after T0: 2026-11-03 05:00 UTC, a day late
ON_TIME = 30  # 2026-11-02 15:00 UTC


def deliver_events(shop: Shop, order_id: str) -> None:
    """Hand the order's ShipmentDelivered outbox rows to the platform's subscribers, as the
    worker's outbox drain does (only this order's rows: the session database is shared)."""
    o = t.outbox.c
    with shop.platform.engine.connect() as conn:
        rows = conn.execute(
            select(o.id, o.topic, o.payload).where(
                o.merchant_id == shop.merchant_id, o.topic == "ShipmentDelivered"
            )
        ).all()
    mine = [r for r in rows if r.payload["order_id"] == order_id]
    assert mine, "no delivered event was written"
    for row in mine:
        for subscriber in shop.platform.subscribers["ShipmentDelivered"]:
            subscriber(row.id, row.topic, row.payload)


def delivered_rows(shop: Shop, order_ids: list[str]) -> list[tuple[int, str, dict[str, Any]]]:
    """The orders' ShipmentDelivered outbox rows, in outbox order."""
    o = t.outbox.c
    with shop.platform.engine.connect() as conn:
        rows = conn.execute(
            select(o.id, o.topic, o.payload)
            .where(o.merchant_id == shop.merchant_id, o.topic == "ShipmentDelivered")
            .order_by(o.id)
        ).all()
    return [(r.id, r.topic, r.payload) for r in rows if r.payload["order_id"] in order_ids]


def ledger(shop: Shop, order_id: str | None = None) -> list[dict[str, Any]]:
    params = {"order_id": order_id} if order_id else {}
    r = shop.client.get("/api/v1/remedies", params=params)
    assert r.status_code == 200, r.text
    return list(r.json())


def test_rule_is_validated_audited_and_per_merchant(shop: Shop, other_shop: Shop) -> None:
    assert shop.client.get("/api/v1/remedies/settings").json() == {
        "enabled": False, "kind": "refund_shipping", "grace_days": 0, "apologise": True,
    }  # fmt: skip
    r = shop.client.put("/api/v1/remedies/settings", json={"enabled": True, "kind": "store_credit"})
    assert r.status_code == 200 and r.json()["kind"] == "store_credit"
    for bad, field in (
        ({"refund": True}, "refund"),
        ({"kind": "voucher"}, "kind"),
        ({"grace_days": 30}, "grace_days"),
        ({"enabled": "yes"}, "enabled"),
    ):
        r = shop.client.put("/api/v1/remedies/settings", json=bad)
        assert r.status_code == 422 and field in r.text, (bad, r.text)
    audit = shop.client.get("/api/v1/audit").json()
    items = audit.get("items", audit.get("data", audit))
    [entry] = [e for e in items if e["action"] == "remedies.update"]
    assert entry["changes"] == {
        "enabled": [False, True],
        "kind": ["refund_shipping", "store_credit"],
    }
    assert other_shop.client.get("/api/v1/remedies/settings").json()["enabled"] is False


def test_a_late_delivery_is_remedied_once_and_counted(shop: Shop, other_shop: Shop) -> None:
    shop.client.put("/api/v1/remedies/settings", json={"enabled": True})
    email = f"{ref()}@example.com"
    late = shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=LATE, email=email)
    on_time = shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=ON_TIME)
    deliver_events(shop, late.id)
    deliver_events(shop, late.id)  # at least once: the outbox may deliver twice
    deliver_events(shop, on_time.id)
    [entry] = ledger(shop)
    assert entry["order_id"] == late.id and entry["order_number"].startswith("#")
    assert entry["kind"] == "refund_shipping" and entry["status"] == "recorded"
    assert (entry["amount"], entry["currency"]) == ("4.90", "EUR")
    assert entry["days_late"] == 1 and entry["promised"] == "2026-11-02"
    assert entry["reference"] == f"ledger:{entry['id']}"
    # The customer timeline (a read the console calls), for this merchant only.
    with shop.platform.engine.connect() as conn:
        [mine] = remedies_for_customer(conn, shop.merchant_id, email.upper())
        assert mine.order_id == late.id
        assert remedies_for_customer(conn, other_shop.merchant_id, email) == []
    assert [e["order_id"] for e in ledger(shop, order_id=None)] == [late.id]
    assert other_shop.client.get("/api/v1/remedies", params={"email": email}).json() == []
    kpi = shop.client.get("/api/v1/kpis/remedies", params={"since": "2026-11-01"}).json()
    assert (kpi["given"], kpi["pending"], kpi["failed"]) == (1, 0, 0)
    assert kpi["amount"] == {"EUR": "4.90"}
    csv = shop.client.get("/api/v1/kpis/remedies", params={"since": "2026-11-01", "format": "csv"})
    assert csv.text.splitlines()[0] == "day,kind,given,pending,failed,currency,amount"
    assert ",refund_shipping,1,0,0,EUR,4.90" in csv.text
    assert other_shop.client.get("/api/v1/kpis/remedies").json()["given"] == 0
    r = shop.client.get(
        "/api/v1/kpis/remedies", params={"since": "2026-12-01", "until": "2026-11-01"}
    )
    assert r.status_code == 422 and "since" in r.text


def test_grace_days_and_a_disabled_rule_give_nothing(shop: Shop) -> None:
    shop.client.put("/api/v1/remedies/settings", json={"enabled": True, "grace_days": 1})
    order = shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=LATE)
    deliver_events(shop, order.id)
    shop.client.put("/api/v1/remedies/settings", json={"enabled": False, "grace_days": 0})
    deliver_events(shop, order.id)
    assert ledger(shop) == []


class Store:
    """An in-memory store behind the refund port: pays what it is asked, or refuses."""

    def __init__(self, refuse: str | None = None) -> None:
        self.asked: list[RefundRequest] = []
        self.refuse = refuse

    def refund(self, connection: StoreConnection, request: RefundRequest) -> RefundResult:
        self.asked.append(request)
        if self.refuse:
            raise StoreRefused(self.refuse)
        assert request.shipping is not None
        return RefundResult(
            f"store-{len(self.asked)}", request.shipping, request.shipping, T0,
            store_credit=request.to_store_credit,
        )  # fmt: skip

    def find(self, connection: StoreConnection, request: RefundRequest) -> RefundResult | None:
        return None


def connected_order(shop: Shop) -> Any:
    with shop.platform.uow() as uow:
        uow.connections.add(
            StoreConnection(
                id=new_id(), merchant_id=shop.merchant_id, platform=StorePlatform.SHOPIFY,
                shop=f"{ref()}.myshopify.com", scopes=("read_orders", "write_orders"),
                credentials={"access_token": "shpat_x"}, installed_at=T0,
            )
        )  # fmt: skip
        uow.commit()
    lines = (OrderLineInput("BOOT-42", "Trail boot", 1, Money(Decimal("89.00"), "EUR"),
                            facts=LineFacts(external_id="4411")),)  # fmt: skip
    order = shop.order(
        "BOOT-42", source="shopify", lines=lines, external_id=ref("ext"), promise=Promise(PROMISED)
    )
    shop.deliver(order.id, LATE)
    return order


def ports_for(store: Store) -> Any:
    @contextmanager
    def opened() -> Iterator[StorefrontRefunds]:
        yield store

    return lambda platform: opened() if platform is StorePlatform.SHOPIFY else None


def test_a_connected_store_pays_it_once_through_the_refund_port(shop: Shop) -> None:
    shop.client.put("/api/v1/remedies/settings", json={"enabled": True, "kind": "store_credit"})
    order = connected_order(shop)
    store = Store()
    for _ in range(2):  # the second finds the settled ledger row and asks the store nothing
        apply_remedy(shop.platform.uow, shop.platform.clock, ports_for(store), shop.merchant_id,
                     order.id, None, T0.replace(day=3, hour=23))  # fmt: skip
    [asked] = store.asked
    assert asked.idempotency_key == f"remedy:{order.id}" and asked.to_store_credit
    assert asked.shipping == Money(Decimal("4.90"), "EUR") and not asked.lines
    [entry] = ledger(shop)
    assert (entry["status"], entry["reference"], entry["kind"]) == (
        "issued", "store-1", "store_credit"
    )  # fmt: skip
    with shop.platform.uow() as uow:  # recorded on the order like any store refund
        assert [r.external_id for r in uow.refunds.for_order(shop.merchant_id, order.id)] == [
            "store-1"
        ]


def test_a_store_refusal_is_recorded_as_failed(shop: Shop) -> None:
    shop.client.put("/api/v1/remedies/settings", json={"enabled": True})
    order = connected_order(shop)
    store = Store(refuse="shipping already refunded")
    apply_remedy(shop.platform.uow, shop.platform.clock, ports_for(store), shop.merchant_id,
                 order.id, None, T0.replace(day=3))  # fmt: skip
    [entry] = ledger(shop)
    assert entry["status"] == "failed" and "shipping already refunded" in entry["error"]
    kpi = shop.client.get("/api/v1/kpis/remedies", params={"since": "2026-11-01"}).json()
    assert (kpi["given"], kpi["failed"]) == (0, 1)


def batch_subscriber(shop: Shop) -> BatchSubscriber:
    [sub] = [s for s in shop.platform.subscribers["ShipmentDelivered"] if hasattr(s, "acting")]
    assert hasattr(sub, "many")  # the drain hands it whole batches
    return cast("BatchSubscriber", sub)


def _orders_of_every_kind(shop: Shop) -> dict[str, str]:
    """An order per case the remedy tells apart: late, on time, late with no promise, late
    with free shipping, and a late one delivered twice (two parcels)."""
    twice = shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=LATE)
    shop.deliver(twice.id, LATE + 1)
    no_promise = shop.order("BOOT-42")
    shop.deliver(no_promise.id, LATE)
    free = shop.platform.bus().handle(
        place_order(
            shop.merchant_id, currency="EUR", lines=(line("BOOT-42"),),
            shipping_fee=Money(Decimal("0.00"), "EUR"), promise=Promise(PROMISED),
            email=f"{ref()}@example.com",
        )
    )  # fmt: skip
    shop.deliver(free.id, LATE)
    return {
        "late": shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=LATE).id,
        "on_time": shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=ON_TIME).id,
        "no_promise": no_promise.id,
        "free_shipping": free.id,
        "twice": twice.id,
    }


def _outcome(shop: Shop, orders: dict[str, str]) -> dict[str, Any]:
    by_order = {e["order_id"]: e for e in ledger(shop)}
    return {
        kind: (e["kind"], e["status"], e["amount"], e["days_late"], e["promised"])
        if (e := by_order.get(order_id))
        else None
        for kind, order_id in orders.items()
    }


def test_a_batch_of_delivered_events_does_what_they_do_one_at_a_time(
    shop: Shop, other_shop: Shop
) -> None:
    """The drain hands the remedy subscriber its rows at once (``many``); the ledger it
    leaves is the one the rows leave handed over one by one -- for every case, with a row
    delivered twice, and with the rule off (a pending row is still finished)."""
    for s in (shop, other_shop):
        s.client.put("/api/v1/remedies/settings", json={"enabled": True})
    one_by_one, batched = _orders_of_every_kind(shop), _orders_of_every_kind(other_shop)
    [sub] = shop.platform.subscribers["ShipmentDelivered"]
    for row in delivered_rows(shop, list(one_by_one.values())):
        sub(*row)
    sub = batch_subscriber(other_shop)
    rows = delivered_rows(other_shop, list(batched.values()))
    assert len(rows) == 6
    assert sub.many(rows + rows) == {}  # at least once: a whole batch delivered twice
    remedied = ("refund_shipping", "recorded", "4.90", 1, "2026-11-02")
    expected = _outcome(shop, one_by_one)
    assert expected["late"] == expected["twice"] == remedied
    assert expected["on_time"] is None and expected["free_shipping"] is None
    assert _outcome(other_shop, batched) == expected


def test_a_batch_with_the_rule_off_costs_a_few_statements(shop: Shop) -> None:
    """Most delivered events owe nothing: a batch of them is read in one transaction (the
    rule and the ledger rows of the merchant), not a transaction per event."""
    # With the rule off, remedies acts on no delivery, so no other subscriber than this one
    # gets the events an outbox row written (ADR 0041): the batch is read from those rows.
    shop.platform.subscribe("ShipmentDelivered", lambda row_id, topic, payload: None)
    orders = [shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=LATE).id
              for _ in range(12)]  # fmt: skip
    rows = delivered_rows(shop, orders)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = shop.platform.engine
    sub = batch_subscriber(shop)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert sub.many(rows) == {}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 12 and len(statements) <= 4, statements
    assert ledger(shop) == []


def test_a_delivery_gets_an_outbox_row_for_remedies_only_while_the_rule_is_on(shop: Shop) -> None:
    """ADR 0041: remedies declares that with the rule off (and nothing pending) it does
    nothing with a delivery, so the event gets no outbox row; with it on, it does."""
    off = shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=LATE)
    assert delivered_rows(shop, [off.id]) == []
    with shop.platform.engine.connect() as conn:
        assert SqlRemedyStore(conn).acting({shop.merchant_id}) == set()
    shop.client.put("/api/v1/remedies/settings", json={"enabled": True})
    on = shop.late_order("BOOT-42", promised=PROMISED, delivered_hours=LATE)
    assert len(delivered_rows(shop, [on.id])) == 1
    deliver_events(shop, on.id)
    [entry] = ledger(shop)
    assert entry["order_id"] == on.id
