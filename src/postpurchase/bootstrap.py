"""The composition root: the only place that picks adapters and wires them together."""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine

from postpurchase.adapters.db.engine import make_engine
from postpurchase.adapters.db.unit_of_work import SqlAlchemyUnitOfWork
from postpurchase.adapters.outbox import Subscriber, acted_on
from postpurchase.adapters.promising import EnginePromiser
from postpurchase.adapters.queue import NullTaskQueue
from postpurchase.adapters.secrets import load_keyring
from postpurchase.config import Settings
from postpurchase.domain import commands
from postpurchase.domain.returns import ReturnPolicy, ReturnStatus
from postpurchase.domain.storefronts import StoreConnection, StorePlatform
from postpurchase.service_layer import handlers
from postpurchase.service_layer.edd_serving import Promiser
from postpurchase.service_layer.messagebus import MessageBus
from postpurchase.service_layer.ports import Clock, SecretBox, SystemClock, TaskQueue
from postpurchase.service_layer.returns import (
    AbstractReturnsUnitOfWork,
    EarlyRefunds,
    GiftCardPort,
    GiftCredits,
    InstantExchanges,
    ReturnLegs,
    StockUnitOfWork,
    StoreExchangeOrders,
    StoreExchangePort,
    StoreReasons,
    StoreReasonsPort,
    StoreStock,
    StoreStockPort,
    register_leg,
)
from postpurchase.service_layer.storefronts import StorefrontRefunds


@dataclass
class Platform:
    """Everything an entrypoint needs, built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock
    queue: TaskQueue
    policy: handlers.SweepPolicy
    keyring: SecretBox
    promiser: Promiser | None = None  # our promise at purchase (issue 16)
    subscribers: dict[str, list[Subscriber]] = field(default_factory=lambda: defaultdict(list))

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(
            self.engine, self.clock.now, box=self.keyring, media_dir=self.settings.media_dir,
            outbox_filter=partial(acted_on, self.subscribers),  # ADR 0041
        )  # fmt: skip

    def bus(self) -> MessageBus:
        """A fresh bus per request or job: a unit of work is never shared between threads."""
        uow = self.uow()
        deps: dict[str, Any] = {
            "uow": uow, "clock": self.clock, "policy": self.policy, "promiser": self.promiser,
        }  # fmt: skip
        chosen = dict(handlers.COMMAND_HANDLERS)
        if self.settings.tracking_ingest == "deferred":
            chosen[commands.RecordTracking] = handlers.accept_tracking
        command_handlers = {kind: _inject(handler, deps) for kind, handler in chosen.items()}
        event_handlers = {
            kind: [_inject(h, deps) for h in hs] for kind, hs in handlers.EVENT_HANDLERS.items()
        }
        return MessageBus(
            uow,
            event_handlers,
            command_handlers,
            after_commit=self.queue.nudge_outbox,
            after_accept=self.queue.nudge_tracking,
        )

    def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        """Register an asynchronous subscriber for outbox events of ``topic`` (event class name)."""
        self.subscribers[topic].append(subscriber)


def _inject(handler: Callable[..., Any], deps: dict[str, Any]) -> Callable[..., Any]:
    wanted = inspect.signature(handler).parameters
    return partial(handler, **{name: dep for name, dep in deps.items() if name in wanted})


def bootstrap(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    queue: TaskQueue | None = None,
    notifications: bool = True,
) -> Platform:
    settings = settings or Settings()
    if settings.database_url is None:
        settings.ensure_data_dir()
    engine = engine or make_engine(settings.db_url, pool_size=settings.db_pool_size)
    policy = handlers.SweepPolicy(
        no_scan_days=dict(settings.no_scan_days_by_carrier),
        default_no_scan_days=settings.no_scan_days,
        expire_days=settings.expire_days,
    )
    keyring = load_keyring(
        settings.encryption_keys,
        settings.data_dir,
        allow_generate=settings.environment != "production",
    )
    platform = Platform(
        settings=settings,
        engine=engine,
        clock=clock or SystemClock(),
        queue=queue or NullTaskQueue(),
        policy=policy,
        keyring=keyring,
        promiser=EnginePromiser(engine),
    )
    if notifications:
        # Built-in subscribers plug in through the same outbox API a third party would use.
        from postpurchase.adapters.notifications import register

        register(platform)
    from postpurchase.adapters.storefronts.shopify.jobs import register as shopify_jobs

    shopify_jobs(platform)  # backfills and tracking write-back, run by the worker
    _remedies(platform)
    _return_legs(platform)
    _gift_credits(platform)
    _store_stock(platform)
    return platform


def return_uow(platform: Platform) -> Callable[[], AbstractReturnsUnitOfWork]:
    """Opens the returns context's unit of work on this platform's database."""
    from postpurchase.adapters.db.returns import SqlReturnsUnitOfWork

    st = platform.settings
    return lambda: SqlReturnsUnitOfWork(platform.engine, platform.clock.now, st.media_dir)


def early_refunds(platform: Platform) -> EarlyRefunds:
    """Refunds paid at the return parcel's first scan or arrival (the policy's
    ``refund_timing``), through the order's connected store like ``resolve``."""
    from postpurchase.adapters.storefronts.refund_ports import REFUND_PORTS
    from postpurchase.service_layer.returns import LedgerIssuer, StorefrontReturnRefunds

    def port(store: StorePlatform) -> AbstractContextManager[StorefrontRefunds] | None:
        opener = REFUND_PORTS.get(store)  # looked up per call: tests swap a store in
        return opener(platform.settings) if opener is not None else None

    refunds = StorefrontReturnRefunds(
        platform.uow, platform.clock, port, restock_claim=restock_claim(platform)
    )
    return EarlyRefunds(
        return_uow(platform), platform.clock.now, LedgerIssuer(), refunds,
        after_commit=platform.queue.nudge_outbox,
    )  # fmt: skip


def _return_legs(platform: Platform) -> None:
    """A return's parcel is tracked like any other (service_layer.returns.tracking): its
    tracking number becomes a shipment (a return leg) when the return gets one, and the
    leg's scans move the return. Both run from the outbox, at least once."""

    def moved(merchant_id: str, return_id: str, steps: list[ReturnStatus]) -> None:
        early_refunds(platform).after_steps(merchant_id, return_id, steps)

    legs = ReturnLegs(
        return_uow(platform), platform.clock.now, after_commit=platform.queue.nudge_outbox,
        on_moved=moved,
    )  # fmt: skip

    def label_issued(row_id: int, topic: str, payload: dict[str, Any]) -> None:
        register_leg(lambda cmd: platform.bus().handle(cmd), payload)

    def leg_moved(row_id: int, topic: str, payload: dict[str, Any]) -> None:
        legs.follow(payload)

    platform.subscribe("ReturnLabelIssued", label_issued)
    platform.subscribe("ReturnShipmentMoved", leg_moved)

    def approved(row_id: int, topic: str, payload: dict[str, Any]) -> None:
        instant_exchanges(platform).on_approved(payload)

    platform.subscribe("ReturnApproved", approved)


def gift_credits(platform: Platform) -> GiftCredits:
    """A gift return's credit given to its recipient: a Shopify gift card where the order's
    store is Shopify, else a store-credit code of ours (ADR 0032)."""
    from postpurchase.adapters.db.returns import SqlGiftCreditsUnitOfWork
    from postpurchase.adapters.storefronts.gift_card_ports import GIFT_CARD_PORTS

    def port(store: StorePlatform) -> AbstractContextManager[GiftCardPort] | None:
        opener = GIFT_CARD_PORTS.get(store)  # looked up per call: tests swap a store in
        return opener(platform.settings) if opener is not None else None

    def connection(merchant_id: str, store: StorePlatform) -> StoreConnection | None:
        with platform.uow() as uow:
            return uow.connections.get(merchant_id, store)

    return GiftCredits(
        lambda: SqlGiftCreditsUnitOfWork(platform.engine, platform.clock.now, platform.keyring),
        platform.clock.now, connection, port, after_commit=platform.queue.nudge_outbox,
    )  # fmt: skip


def _gift_credits(platform: Platform) -> None:
    """``ReturnCredited`` of a gift (outbox, at least once; the gift credit's row makes it
    once) gives the recipient their code."""

    def credited(row_id: int, topic: str, payload: dict[str, Any]) -> None:
        gift_credits(platform).on_credited(payload)

    platform.subscribe("ReturnCredited", credited)


def instant_exchanges(platform: Platform) -> InstantExchanges:
    """Exchange orders placed at approval for customers the policy's rule trusts."""
    from postpurchase.adapters.db.returns import SqlCustomerHistory

    return InstantExchanges(
        return_uow(platform), platform.clock.now, SqlCustomerHistory(platform.engine),
        store_exchange_orders(platform), after_commit=platform.queue.nudge_outbox,
    )  # fmt: skip


def store_exchange_orders(platform: Platform) -> StoreExchangeOrders:
    """Exchange orders of ours, also recorded in the order's store where its returns API
    takes exchanges (Shopify's returnCreate/returnProcess)."""
    from postpurchase.adapters.db.returns import store_variant_ids
    from postpurchase.adapters.storefronts.exchange_ports import EXCHANGE_PORTS
    from postpurchase.service_layer.returns import PlacedExchangeOrders

    def place(cmd: commands.PlaceOrder) -> str:
        return str(platform.bus().handle(cmd).id)

    def port(store: StorePlatform) -> AbstractContextManager[StoreExchangePort] | None:
        opener = EXCHANGE_PORTS.get(store)  # looked up per call: tests swap a store in
        return opener(platform.settings) if opener is not None else None

    reasons = store_reasons(platform)
    return StoreExchangeOrders(
        platform.uow, port, lambda m, ids: store_variant_ids(platform.engine, m, ids),
        PlacedExchangeOrders(place, platform.clock.now),
        restock_claim=restock_claim(platform), reasons=reasons.definition_ids,
    )  # fmt: skip


def _remedies(platform: Platform) -> None:
    """The automatic remedy runs on ``ShipmentDelivered`` (outbox, at least once: the
    remedy ledger makes it once per order), paying through the store's refund port."""
    from postpurchase.adapters.db.remedies import SqlRemedyStore
    from postpurchase.adapters.storefronts.refund_ports import refund_port
    from postpurchase.service_layer.remedies import on_delivered, on_delivered_many

    ports = partial(refund_port, platform.settings)

    class Remedies:
        """Per row, or a drain's whole batch at once (``adapters.outbox.BatchSubscriber``):
        most delivered events owe no remedy, and a batch finds that out in one transaction."""

        def __call__(self, row_id: int, topic: str, payload: dict[str, Any]) -> None:
            on_delivered(platform.uow, platform.clock, ports, payload)

        def many(self, rows: list[tuple[int, str, dict[str, Any]]]) -> dict[int, Exception]:
            batch = [(row_id, payload) for row_id, _, payload in rows]
            return on_delivered_many(platform.uow, platform.clock, ports, batch)

        def acting(self, conn: Connection, topic: str, merchant_ids: set[str]) -> set[str]:
            """Merchants whose rule is on or who have a remedy pending (ADR 0041)."""
            return SqlRemedyStore(conn).acting(merchant_ids)

    platform.subscribe("ShipmentDelivered", Remedies())


def stock_uow(platform: Platform) -> Callable[[], StockUnitOfWork]:
    """The platform's unit of work with the store-side inventory ledger and mappings."""
    from postpurchase.adapters.db.stock_uow import SqlStockUnitOfWork

    st = platform.settings
    return lambda: SqlStockUnitOfWork(
        platform.engine, platform.clock.now, box=platform.keyring, media_dir=st.media_dir
    )


def restock_claim(platform: Platform) -> Callable[[Any, str], frozenset[str]]:
    """For the store's refund / return processing: the lines it may restock (ADR 0031)."""
    from postpurchase.service_layer.returns import claim_store_restock

    return claim_store_restock(stock_uow(platform), platform.clock.now)


def store_stock(platform: Platform) -> StoreStock:
    """A restocked return line adjusts the connected store's inventory, exactly once."""
    from postpurchase.adapters.storefronts.stock_ports import STOCK_PORTS

    def port(store: StorePlatform) -> AbstractContextManager[StoreStockPort] | None:
        opener = STOCK_PORTS.get(store)  # looked up per call: tests swap a store in
        return opener(platform.settings) if opener is not None else None

    return StoreStock(stock_uow(platform), platform.clock.now, port)


def store_reasons(platform: Platform) -> StoreReasons:
    """Our reason codes as the store's return reason definitions (Shopify 2026-01+)."""
    from postpurchase.adapters.storefronts.stock_ports import REASON_PORTS

    def port(store: StorePlatform) -> AbstractContextManager[StoreReasonsPort] | None:
        opener = REASON_PORTS.get(store)
        return opener(platform.settings) if opener is not None else None

    def policy(merchant_id: str) -> ReturnPolicy:
        with return_uow(platform)() as uow:
            return uow.policies.active(merchant_id)

    return StoreReasons(stock_uow(platform), platform.clock.now, port, policy)


def _store_stock(platform: Platform) -> None:
    """``ReturnItemRestocked`` -> the store's inventory, from the outbox (at least once: the
    ledger makes it once per line; a failure of unknown outcome raises, and the outbox
    retries it with backoff under the same idempotency key)."""

    def restocked(row_id: int, topic: str, payload: dict[str, Any]) -> None:
        store_stock(platform).on_restocked(payload)

    platform.subscribe("ReturnItemRestocked", restocked)
