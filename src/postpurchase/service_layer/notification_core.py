"""What every part of the notification engine shares: its configuration and channels, the
claim a sender holds while a provider call lasts, the small helpers for reasons and errors, and
:class:`ServiceCore` (the state one :class:`NotificationService` keeps: merchants cached,
preferences, the claim kept alive).

It exists so planning, message delivery and webhooks can each live in a module of their own
(``notification_planning``, ``notification_delivery``, ``notification_webhooks``) without
importing each other; ``notifications`` puts them together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import orjson

from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.merchants import Merchant
from postpurchase.domain.notifications import (
    FLOWS,
    Channel,
    Message,
    MessageRef,
    MessageStatus,
    Preferences,
)
from postpurchase.service_layer.edd_serving import EngineSource
from postpurchase.service_layer.heartbeats import beating
from postpurchase.service_layer.notification_ports import (
    Delivery,
    EmailChannel,
    NotificationStore,
    NotificationUnitOfWork,
    OpsNotifier,
    Personaliser,
    Renderer,
    Scheduled,
    SmsChannel,
    WebhookPoster,
)
from postpurchase.service_layer.ports import Clock
from postpurchase.service_layer.settings import read_settings

logger = logging.getLogger(__name__)


_MAX_ERROR = 500
_SENDING = "sending"  # the reason of a message or delivery claimed for sending


@dataclass(slots=True)
class _Claim:
    """A message or delivery claimed for sending, as its row says while the claim holds."""

    until: datetime | None
    reason: str

    def holds(self, row: Message | Delivery) -> bool:
        return row.status is MessageStatus.QUEUED and (row.next_attempt_at, row.reason) == (
            self.until,
            self.reason,
        )


Row = TypeVar("Row", Message, Delivery)


class InFlight(Exception):
    """Another worker is sending this very message or delivery right now. Raised so the
    outbox retries the due row a little later instead of settling it: should that worker
    die mid-send, its lease runs out and the retry sends."""

    retry_expected = True  # the outbox logs it at info, not as a warning


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Platform-wide knobs (merchants tune the rest in their :class:`Preferences`)."""

    base_url: str
    defaults: Preferences = field(default_factory=Preferences)
    give_up_after: timedelta = timedelta(hours=24)
    retry_base_seconds: float = 30.0
    breaker_seconds: float = 30.0
    digest_minutes: int = 15
    digest_max_alerts: int = 50
    ops_urls: tuple[str, ...] = ()
    merchant_cache_seconds: float = 5.0  # settings changed elsewhere apply within this
    sent_page: bool = False  # the demo's page listing every message (no auth): opt-in
    # A claim for sending runs out after send_lease unless renewed; the sender renews it
    # every send_beat while the provider call lasts, so a living sender keeps it however
    # slow the provider, and a dead one's message is due again within send_lease.
    send_lease: timedelta = timedelta(seconds=15)
    send_beat: timedelta = timedelta(seconds=5)
    # Events planned in one transaction (notification_batches). On SQLite that transaction
    # holds the one write lock while it renders, so the wiring asks for shorter runs there.
    plan_run: int = 200
    # Messages claimed per transaction when a batch is sent (notification_delivery): the
    # most claims one crash can leave with an unknown outcome, each then re-sent (same
    # Message-ID) and counted. The chunks share one SMTP connection.
    send_chunk: int = 20


@dataclass(frozen=True, slots=True)
class Channels:
    email: EmailChannel | None = None
    sms: SmsChannel | None = None
    webhooks: WebhookPoster | None = None
    ops: OpsNotifier | None = None

    def for_messages(self) -> list[Channel]:
        """Only configured channels produce rows: an unconfigured SMS provider is not a
        reason worth recording on every event."""
        out = []
        if self.email is not None:
            out.append(Channel.EMAIL)
        if self.sms is not None:
            out.append(Channel.SMS)
        return out


@dataclass(frozen=True, slots=True)
class UnsubscribeInfo:
    merchant_name: str
    channel: Channel
    address: str
    opted_out: bool
    locale: str = "en"


@dataclass(slots=True)
class _Plan:
    """What one event decided, written at the end in a handful of statements."""

    known: dict[str, list[MessageRef]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    supersede: list[tuple[Sequence[str], str]] = field(default_factory=list)
    scheduled: list[Scheduled] = field(default_factory=list)


def _is_progress(flow: str) -> bool:
    found = FLOWS.get(flow)
    return found is not None and found.progress


def mask(address: str) -> str:
    """``ada@example.com`` -> ``a**@example.com``: enough to recognise, not to harvest."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return local[:1] + "*" * max(len(local) - 1, 2) + "@" + domain
    return "*" * max(len(address) - 4, 2) + address[-4:]


def _short(exc: BaseException) -> str:
    return f"{exc}"[:_MAX_ERROR] or type(exc).__name__


def _outcome_unknown(row: Message | Delivery, what: str) -> bool:
    """Is ``row`` (due, so any claim on it has run out) still claimed for sending? Then its
    last attempt was claimed -- committed before the provider call -- but its outcome was
    never recorded: the sender died (kill -9, a lost host) or lost its claim between the
    call and the commit. Whether the provider accepted it cannot be known (SMTP and
    Twilio's Messages API take no idempotency key), so it is sent again, as the same
    message, and counted: the attempt in ``attempts`` and in ``unknown_outcomes``, which
    the ops view and ``/metrics`` report as possible duplicates. A message that nobody
    claimed, or whose outcome was recorded, is never re-sent this way."""
    if not row.reason.startswith(_SENDING):
        return False
    row.attempts += 1
    row.unknown_outcomes += 1
    logger.warning(
        "%s: the outcome of attempt %d is unknown (claimed for sending, never recorded); "
        "sending it again as the same message",
        what,
        row.attempts,
        extra={"unknown_outcomes": row.unknown_outcomes},
    )
    return True


def _attempt(attempts: int, resend: bool) -> str:
    if resend:
        return f"attempt {attempts + 1}, re-sent: the outcome of attempt {attempts} is unknown"
    return f"attempt {attempts + 1}"


def _possible_duplicate(unknown: int, same: str) -> str:
    if not unknown:
        return ""
    earlier = "1 earlier attempt" if unknown == 1 else f"{unknown} earlier attempts"
    return f"; outcome unknown for {earlier}: possibly received twice ({same})"


class ServiceCore:
    """The state and helpers the parts of :class:`NotificationService` share."""

    def __init__(
        self,
        uow: Callable[[], NotificationUnitOfWork],
        clock: Clock,
        renderer: Renderer,
        channels: Channels,
        config: ServiceConfig,
        nudge: Callable[[], None] = lambda: None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.renderer = renderer
        self.channels = channels
        self.config = config
        self.nudge = nudge
        self._down_until: dict[str, datetime] = {}  # circuit breaker per channel
        self.models: EngineSource | None = None  # delivery-date models (set by the wiring)
        self.personaliser: Personaliser | None = None  # recommendations, remedy (the wiring)
        # A gift return's code, opened only to be sent (merchant id, return id; the wiring).
        self.gift_codes: Callable[[str, str], str | None] | None = None
        self._merchants: dict[str, tuple[float, Merchant | None]] = {}
        self._prefs: dict[str, tuple[bytes, Preferences]] = {}

    def _merchant(self, s: NotificationStore, merchant_id: str) -> Merchant | None:
        """Merchants (settings, branding) cached briefly: every event needs them."""
        now = time.monotonic()
        hit = self._merchants.get(merchant_id)
        if hit is not None and now - hit[0] < self.config.merchant_cache_seconds:
            return hit[1]
        merchant = s.merchant(merchant_id)
        if len(self._merchants) > 10_000:
            self._merchants.clear()
        self._merchants[merchant_id] = (now, merchant)
        return merchant

    def preferences(self, merchant: Merchant) -> Preferences:
        """The merchant's settings over the platform defaults. Stored settings were validated
        on write; should they still be unreadable we fall back rather than go silent.

        Every event planned asks for them, and reading them (the settings schema, then the
        preferences) costs more than deciding the event; so they are kept per merchant for
        as long as the merchant's settings document is the same (compared as JSON)."""
        key = orjson.dumps(merchant.settings, option=orjson.OPT_SORT_KEYS, default=str)
        hit = self._prefs.get(merchant.id)
        if hit is not None and hit[0] == key:
            return hit[1]
        prefs = self._read_preferences(merchant)
        if len(self._prefs) > 10_000:
            self._prefs.clear()
        self._prefs[merchant.id] = (key, prefs)
        return prefs

    def _read_preferences(self, merchant: Merchant) -> Preferences:
        settings = read_settings(merchant.settings)  # drops what no longer passes
        brand = settings.branding.model_dump(mode="json", exclude_none=True)
        if settings.branding.logo_media_id:  # an uploaded logo, by its absolute URL
            base = self.config.base_url.rstrip("/")
            brand["logo_url"] = (
                f"{base}/media/logos/{merchant.id}/{settings.branding.logo_media_id}"
            )
        try:
            return Preferences.parse(
                settings.notifications.model_dump(mode="json", exclude_none=True),
                branding=brand,
                defaults=self.config.defaults,
                survey=settings.survey.enabled,
            )
        except InvalidInput as exc:
            logger.warning("merchant %s: bad notification settings (%s)", merchant.id, exc)
            return self.config.defaults

    def preferences_of(self, merchant_id: str) -> Preferences:
        """Preferences read fresh from storage (callers may hold a cached merchant)."""
        with self.uow() as uow:
            merchant = uow.store.merchant(merchant_id)
        if merchant is None:
            raise NotFound("no such merchant", field="merchant")
        return self.preferences(merchant)

    def _kept(
        self,
        claim: _Claim,
        load: Callable[[NotificationStore], Row | None],
        save: Callable[[NotificationStore, Row], None],
    ) -> AbstractContextManager[None]:
        """While the provider call lasts, renew the claim on the row ``load`` reads every
        ``send_beat`` (from a thread of its own, in short transactions of its own; a fast
        send never renews). Renewal stops once the row is no longer ours."""

        def renew() -> bool:
            until = self.clock.now() + self.config.send_lease
            with self.uow() as uow:
                current = load(uow.store)
                if current is None or not claim.holds(current):
                    return False
                current.next_attempt_at = until
                save(uow.store, current)
                uow.commit()
            claim.until = until
            return True

        return beating(self.config.send_beat, renew, name="send")
