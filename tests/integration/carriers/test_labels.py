"""Buying labels through the carrier port against the simulated carrier's HTTP API, on
SQLite and PostgreSQL: idempotent under retry, nothing half-bought, stored in the media
store, the tracking number a polled shipment at once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Request, Response

from postpurchase.adapters.carriers.accounts import AccountGateways, qr_png
from postpurchase.adapters.carriers.simulated.client import SimulatedGateway
from postpurchase.adapters.db import tables as t
from postpurchase.adapters.db.labels.tables import shipping_labels
from postpurchase.adapters.db.media_store import SqlMediaStore
from postpurchase.domain import commands
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    CarrierError,
    CarrierFailure,
    ContentType,
    Customs,
    CustomsItem,
    LabelFormat,
    Parcel,
)
from postpurchase.domain.errors import Conflict, InvalidInput
from postpurchase.domain.labels import LabelPurchase, LabelStatus
from postpurchase.domain.money import Money
from postpurchase.service_layer import handlers
from postpurchase.service_layer import labels as service
from tests.factories import place_order, ref
from tests.integration.carriers.conftest import simulated_account

ORIGIN = Address("US", "43215", "OH", "Columbus", "500 Commerce Way", name="Acme Mugs")
TO = Address("US", "94103", "CA", "San Francisco", "1 Market St", name="Ana Lee")

pytestmark = pytest.mark.usefixtures("forget_label_polls")


def order(platform, merchant_id: str, to: Address = TO) -> str:
    created = handlers.place_order(
        place_order(merchant_id, shipping_address=to), platform.uow(), platform.clock
    )
    return created.id


def purchase(order_id: str, **kw: object) -> LabelPurchase:
    base: dict[str, object] = {
        "order_id": order_id, "carrier": "ups", "service": "ground", "origin": ORIGIN,
        "parcels": (Parcel(1200, Decimal(30), Decimal(20), Decimal(10)),),
        "idempotency_key": ref("key-"),
    }  # fmt: skip
    return LabelPurchase(**{**base, **kw})  # type: ignore[arg-type]


def buy(platform, merchant_id: str, p: LabelPurchase, timeout: float = 10.0):
    carriers = AccountGateways(platform.engine, platform.keyring, timeout=timeout)
    return service.buy_label(platform.uow(), platform.clock, carriers, qr_png, merchant_id, p)


def count(platform, table, *where) -> int:
    with platform.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_a_label_is_bought_once_stored_and_tracked_at_once(
    platform, merchant, simulator, sim_state
) -> None:
    simulated_account(platform, merchant.id, "ups", simulator.url)
    order_id = order(platform, merchant.id)
    p = purchase(order_id)

    first = buy(platform, merchant.id, p)
    r = first.record
    assert not first.replayed and r.status is LabelStatus.PURCHASED
    assert r.tracking_number
    assert r.price is not None and r.price.currency == "USD" and r.price.amount > 0
    with platform.uow() as uow:
        doc = uow.media.get(merchant.id, r.media_id)
        shipment = uow.shipments.get(merchant.id, r.shipment_id)
    assert (
        doc is not None
        and doc.data.startswith(b"%PDF")
        and doc.ref.content_type == "application/pdf"
    )
    assert shipment is not None and shipment.tracking_number == r.tracking_number
    assert shipment.carrier == "ups" and shipment.external_id == f"label:{r.id}"
    # due for polling now, not at the next enrolment
    P = t.shipment_polls.c
    assert (
        count(platform, t.shipment_polls, P.id == shipment.id, P.next_attempt_at.is_not(None)) == 1
    )
    # the outbox carries ShipmentCreated: the store write-back job reads it
    box = t.outbox.c
    assert count(platform, t.outbox, box.topic == "ShipmentCreated") >= 1

    again = buy(platform, merchant.id, p)
    assert again.replayed and again.record.id == r.id
    assert again.record.tracking_number == r.tracking_number
    assert len(sim_state._labels) == 1  # the carrier was not asked to buy again
    S = t.shipments.c
    assert count(platform, t.shipments, S.order_id == order_id) == 1

    with pytest.raises(InvalidInput) as reused:
        buy(platform, merchant.id, purchase(order_id, idempotency_key=p.idempotency_key,
                                            service="express"))  # fmt: skip
    assert reused.value.field == "idempotency_key"


def test_zpl_international_with_customs_and_a_drop_off_qr_code(
    platform, merchant, simulator
) -> None:
    simulated_account(platform, merchant.id, "royal_mail", simulator.url)
    london = Address("GB", "SW1A 1AA", None, "London", "10 Downing St", name="Sam Smith")
    order_id = order(platform, merchant.id, london)
    with pytest.raises(InvalidInput) as missing:
        buy(platform, merchant.id, purchase(order_id, carrier="royal_mail"))
    assert missing.value.field == "customs"

    declared = Customs(
        ContentType.MERCHANDISE,
        (CustomsItem("Ceramic mug", 2, Money.of("12.50", "USD"), 400, "691200", "US"),),
    )
    r = buy(platform, merchant.id, purchase(
        order_id, carrier="royal_mail", label_format=LabelFormat.ZPL, customs=declared,
        drop_off=True,
    )).record  # fmt: skip
    assert r.status is LabelStatus.PURCHASED and r.customs is not None
    with platform.uow() as uow:
        zpl = uow.media.get(merchant.id, r.media_id)
        qr = uow.media.get(merchant.id, r.qr_media_id)
    assert zpl is not None and zpl.data.startswith(b"^XA") and zpl.data.rstrip().endswith(b"^XZ")
    assert zpl.ref.content_type == "application/zpl"
    assert qr is not None and qr.data.startswith(b"\x89PNG")


def test_refused_before_the_carrier_is_asked(platform, merchant, simulator, sim_state) -> None:
    simulated_account(platform, merchant.id, "ups", simulator.url)
    order_id = order(platform, merchant.id)
    handlers.cancel_order(commands.CancelOrder(merchant.id, order_id), platform.uow(),
                          platform.clock)  # fmt: skip
    with pytest.raises(Conflict) as cancelled:
        buy(platform, merchant.id, purchase(order_id))
    assert cancelled.value.field == "order_id" and "cancelled" in cancelled.value.message

    open_order = order(platform, merchant.id)
    with pytest.raises(InvalidInput) as heavy:
        buy(platform, merchant.id, purchase(open_order, parcels=(Parcel(71_000),)))
    assert heavy.value.field == "parcels[0].weight_grams"

    nameless = order(platform, merchant.id, Address("US", "941o3", "CA", "SF", "1 Market St"))
    with pytest.raises(InvalidInput) as bad_address:
        buy(platform, merchant.id, purchase(nameless))
    assert bad_address.value.field.startswith("destination.")
    assert sim_state._labels == {}  # no carrier call was made
    L = shipping_labels.c
    assert count(platform, shipping_labels, L.merchant_id == merchant.id) == 0


def test_carrier_failures_name_the_cause_and_buy_nothing(
    platform, merchant, simulator, sim_state
) -> None:
    simulated_account(platform, merchant.id, "ups", simulator.url, key="wrong-key")
    order_id = order(platform, merchant.id)
    p = purchase(order_id)
    with pytest.raises(CarrierError) as auth:
        buy(platform, merchant.id, p)
    assert auth.value.failure is CarrierFailure.AUTH and "401" in auth.value.message
    with platform.uow() as uow:
        failed = uow.labels.get(merchant.id, p.idempotency_key)
    assert failed is not None and failed.status is LabelStatus.FAILED and "auth" in failed.error

    # fixed credentials: the same key buys
    simulated_account(platform, merchant.id, "ups", simulator.url)
    assert buy(platform, merchant.id, p).record.status is LabelStatus.PURCHASED

    rejected = order(platform, merchant.id, Address("US", "94103", "CA", "SF", "9 Nowhere Rd",
                                                    name="Ana Lee"))  # fmt: skip
    with pytest.raises(CarrierError) as refused:
        buy(platform, merchant.id, purchase(rejected))
    assert refused.value.failure is CarrierFailure.REJECTED and "Nowhere" in refused.value.message

    sim_state.faults.error_rate = 1.0
    with pytest.raises(CarrierError) as down:
        buy(platform, merchant.id, purchase(order(platform, merchant.id)))
    assert down.value.failure is CarrierFailure.UNAVAILABLE and "503" in down.value.message
    sim_state.faults.error_rate = 0.0
    assert len(sim_state._labels) == 1  # only the one that succeeded


def test_a_timeout_leaves_the_purchase_pending_for_a_retry_under_the_same_key(
    platform, merchant, stalling_carrier: tuple[HTTPServer, threading.Event]
) -> None:
    server, release = stalling_carrier

    def stall(_: Request) -> Response:
        release.wait(2)
        return Response("{}", content_type="application/json")

    server.expect_request("/ups/ship/v1/labels").respond_with_handler(stall)
    simulated_account(platform, merchant.id, "ups", server.url_for("/").rstrip("/"))
    p = purchase(order(platform, merchant.id))
    with pytest.raises(CarrierError) as slow:
        buy(platform, merchant.id, p, timeout=0.5)
    assert slow.value.failure is CarrierFailure.TIMEOUT
    with platform.uow() as uow:
        pending = uow.labels.get(merchant.id, p.idempotency_key)
    assert pending is not None and pending.status is LabelStatus.PENDING
    with pytest.raises(Conflict) as in_flight:  # not yet stale: a retry now is refused
        buy(platform, merchant.id, p, timeout=0.5)
    assert in_flight.value.field == "idempotency_key"


def test_a_label_bought_but_not_stored_is_voided(
    platform, merchant, simulator, sim_state, monkeypatch
) -> None:
    simulated_account(platform, merchant.id, "ups", simulator.url)
    p = purchase(order(platform, merchant.id))

    def broken(*_: object, **__: object) -> object:
        raise OSError("disk full")

    monkeypatch.setattr(SqlMediaStore, "put", broken)
    with pytest.raises(OSError):
        buy(platform, merchant.id, p)
    (bought,) = sim_state._labels.values()
    assert bought["voided"] is True
    with platform.uow() as uow:
        row = uow.labels.get(merchant.id, p.idempotency_key)
    assert row is not None and row.status is LabelStatus.VOIDED
    assert "not stored" in row.error and "voided at the carrier" in row.error
    assert row.shipment_id is None


def test_void_stops_tracking(platform, merchant, simulator, sim_state) -> None:
    simulated_account(platform, merchant.id, "ups", simulator.url)
    r = buy(platform, merchant.id, purchase(order(platform, merchant.id))).record
    carriers = AccountGateways(platform.engine, platform.keyring)
    voided = service.void_label(platform.uow(), platform.clock, carriers, merchant.id, r.id)
    assert voided.status is LabelStatus.VOIDED
    assert next(iter(sim_state._labels.values()))["voided"] is True
    P = t.shipment_polls.c
    assert count(platform, t.shipment_polls, P.id == r.shipment_id, P.stop_reason == "voided") == 1
    # voiding again changes nothing and asks the carrier nothing
    again = service.void_label(platform.uow(), platform.clock, carriers, merchant.id, r.id)
    assert again.status is LabelStatus.VOIDED


def test_a_purchase_of_unknown_outcome_is_sent_again_only_where_keys_are_honoured(
    platform, merchant, simulator, sim_state, clock, monkeypatch
) -> None:
    """Karrio's connectors and EasyPost take no idempotency key: a stale pending purchase is
    refused (the operator checks the carrier account) rather than risking a second label."""
    simulated_account(platform, merchant.id, "ups", simulator.url)
    p = purchase(order(platform, merchant.id))
    real_buy = SimulatedGateway.buy_label

    def lost(self: SimulatedGateway, request: object) -> object:
        raise CarrierError("ups", CarrierFailure.TIMEOUT, "no answer within 0.5 s")

    monkeypatch.setattr(SimulatedGateway, "buy_label", lost)
    with pytest.raises(CarrierError):
        buy(platform, merchant.id, p)
    monkeypatch.setattr(SimulatedGateway, "buy_label", real_buy)
    clock.advance(minutes=6)  # the caller is gone: the outcome is unknown
    monkeypatch.setattr(SimulatedGateway, "label_keys_honoured", False)
    with pytest.raises(Conflict) as unknown:
        buy(platform, merchant.id, p)
    assert unknown.value.field == "idempotency_key" and "unknown outcome" in unknown.value.message
    assert sim_state._labels == {}  # nothing was sent again
    with platform.uow() as uow:
        row = uow.labels.get(merchant.id, p.idempotency_key)
    assert row is not None and row.status is LabelStatus.PENDING
    monkeypatch.setattr(SimulatedGateway, "label_keys_honoured", True)
    again = buy(platform, merchant.id, p)  # the simulator honours keys: asked again
    assert again.record.status is LabelStatus.PURCHASED and len(sim_state._labels) == 1
