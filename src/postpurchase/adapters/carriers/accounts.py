"""Managing a merchant's carrier accounts: add (or replace), list, test, remove.

The CLI and the API both call these, so both refuse the same input with the same words.
Testing an account calls the carrier, so it reads the account in one transaction, calls
with none open, and records the outcome in another.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine

from postpurchase.adapters.carriers.connectors import (
    AFTERSHIP_CARRIERS,
    EASYPOST_CARRIERS,
    KARRIO,
    SIMULATED_CARRIERS,
    ConnectorSpec,
    spec_for,
    split_fields,
)
from postpurchase.adapters.carriers.gateways import gateway_for
from postpurchase.adapters.db.audit_store import SqlAuditLog
from postpurchase.adapters.db.carrier_store import AccountView, SqlCarrierAccounts, SqlPollStore
from postpurchase.adapters.edd.calendars import business_calendar
from postpurchase.domain.audit import AuditEntry
from postpurchase.domain.carriers import (
    AccountMode,
    CarrierError,
    CarrierGateway,
    Connector,
    RateRequest,
    clean_fields,
)
from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.service_layer.carriers.rates import RateShop, shop
from postpurchase.service_layer.ports import SecretBox


def parse_connector(value: str) -> Connector:
    try:
        return Connector(value)
    except ValueError:
        raise InvalidInput(
            f"connector is one of {', '.join(c.value for c in Connector)}", field="connector"
        ) from None


def parse_mode(value: str) -> AccountMode:
    try:
        return AccountMode(value)
    except ValueError:
        raise InvalidInput("mode is test or production", field="mode") from None


def add_account(
    engine: Engine,
    box: SecretBox,
    now: datetime,
    merchant_id: str,
    carrier: str,
    *,
    connector: Connector,
    mode: AccountMode,
    fields: dict[str, str],
    production: bool = False,
    audit: AuditEntry | None = None,
) -> tuple[AccountView, bool]:
    """Store (or replace) the merchant's account at ``carrier``; (view, created). The
    credentials are sealed by ``box``; ``audit`` (a person's change: connector and mode,
    never a credential) commits with it."""
    carrier = carrier.strip().lower()
    if connector is Connector.SIMULATED and production:
        raise InvalidInput(
            "the simulated carrier is for demos and tests, not a production server",
            field="connector",
        )
    spec = spec_for(carrier, connector)
    secrets, options = split_fields(spec, carrier, clean_fields(fields, field_prefix="fields"))
    if connector is Connector.SIMULATED:
        _check_simulator_url(options["base_url"])
    with engine.connect().execution_options(write=True) as conn:
        store = SqlCarrierAccounts(conn, box)
        _, created = store.put(merchant_id, carrier, connector, mode, options, secrets, now)
        view = next(v for v in store.views(merchant_id) if v.carrier == carrier)
        if audit is not None:
            SqlAuditLog(conn).record(audit)
        conn.commit()
    return view, created


def account_kinds() -> list[tuple[str, str, Connector]]:
    """Every (carrier, connector) an account can be added for, as ``connector:carrier``
    tags with their parts (what the console's add form offers)."""
    out = [(f"karrio:{c}", c, Connector.KARRIO) for c in sorted(KARRIO)]
    out += [(f"easypost:{c}", c, Connector.EASYPOST) for c in EASYPOST_CARRIERS]
    out += [(f"aftership:{c}", c, Connector.AFTERSHIP) for c in AFTERSHIP_CARRIERS]
    out += [(f"simulated:{c}", c, Connector.SIMULATED) for c in SIMULATED_CARRIERS]
    return out


def kind_spec(tag: str) -> tuple[str, Connector, ConnectorSpec]:
    """``connector:carrier`` as its parts and the fields its connector takes."""
    connector, _, carrier = tag.partition(":")
    found = parse_connector(connector)
    return carrier, found, spec_for(carrier, found)


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _check_simulator_url(url: str) -> None:
    """The simulated carrier runs beside us: a loopback http(s) URL, nothing else (a URL
    a tenant chooses must not make the worker call into the network)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("base_url is an http(s) URL", field="base_url")
    if parts.hostname not in _LOOPBACK and not parts.hostname.startswith("127."):
        raise InvalidInput(
            "the simulated carrier is reached on this machine (127.0.0.1, localhost)",
            field="base_url",
        )


def list_accounts(engine: Engine, box: SecretBox, merchant_id: str) -> list[AccountView]:
    with engine.connect() as conn:
        return SqlCarrierAccounts(conn, box).views(merchant_id)


def rate_shop(
    engine: Engine,
    box: SecretBox,
    merchant_id: str,
    request: RateRequest,
    *,
    deliver_by: date | None = None,
    timeout: float = 3.0,
    api_urls: dict[str, str] | None = None,
    call_timeout: float = 20.0,
    today: date | None = None,
) -> RateShop:
    """Rates from every account of the merchant, read in one transaction and asked with none
    open; the cheapest that meets ``deliver_by``, with the others and why."""
    with engine.connect() as conn:
        every = SqlCarrierAccounts(conn, box).all(merchant_id)
    if not every:
        raise NotFound("no carrier accounts: add one with `carriers add`", field="carrier")
    calendar = business_calendar(request.destination.country, request.destination.region)
    start = calendar.roll_forward(today or date.today())
    return shop(
        every,
        lambda a: gateway_for(a, api_urls=api_urls, timeout=min(call_timeout, timeout)),
        request,
        deliver_by=deliver_by,
        timeout=timeout,
        date_from_transit=lambda days: calendar.add_business_days(start, days),
    )


def remove_account(
    engine: Engine,
    box: SecretBox,
    merchant_id: str,
    carrier: str,
    *,
    audit: AuditEntry | None = None,
) -> None:
    """Remove the account; ``audit`` (a person's removal) commits with it."""
    with engine.connect().execution_options(write=True) as conn:
        if not SqlCarrierAccounts(conn, box).remove(merchant_id, carrier.strip().lower()):
            raise NotFound(f"no {carrier} account", field="carrier")
        if audit is not None:
            SqlAuditLog(conn).record(audit)
        conn.commit()


def test_account(
    engine: Engine,
    box: SecretBox,
    now: Callable[[], datetime],
    merchant_id: str,
    carrier: str,
    *,
    api_urls: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> AccountView:
    """Call the carrier with the stored credentials; raises ``CarrierError`` naming the
    cause (and keeps it on the account), else clears any earlier error."""
    carrier = carrier.strip().lower()
    with engine.connect() as conn:
        account = SqlCarrierAccounts(conn, box).get(merchant_id, carrier)
    if account is None:
        raise NotFound(f"no {carrier} account", field="carrier")
    polls = SqlPollStore(engine, box, now)
    try:
        gateway_for(account, api_urls=api_urls, timeout=timeout).check()
    except CarrierError as exc:
        polls.account_failed(account.id, now(), account.failures + 1, exc.message)
        raise
    polls.account_ok(account.id, now())
    return next(v for v in list_accounts(engine, box, merchant_id) if v.carrier == carrier)


test_account.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


class AccountGateways:
    """The labels context's ``LabelCarriers``: a merchant's account at a carrier as a gateway
    (read in a short transaction of its own; building the gateway makes no call)."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        *,
        api_urls: dict[str, str] | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.engine = engine
        self.box = box
        self.api_urls = api_urls
        self.timeout = timeout

    def gateway(self, merchant_id: str, carrier: str) -> tuple[CarrierGateway, str]:
        with self.engine.connect() as conn:
            account = SqlCarrierAccounts(conn, self.box).get(merchant_id, carrier)
        if account is None:
            raise NotFound(f"no {carrier} account: add one with `carriers add`", field="carrier")
        return gateway_for(account, api_urls=self.api_urls, timeout=self.timeout), account.id


def qr_png(payload: str) -> bytes:
    """A drop-off code as a PNG QR code (segno, BSD-3-Clause), scaled for a phone screen."""
    import io

    import segno

    out = io.BytesIO()
    segno.make_qr(payload, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()
