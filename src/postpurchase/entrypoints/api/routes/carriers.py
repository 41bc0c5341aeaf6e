"""A merchant's carrier accounts (/api/v1/carriers/accounts) and rates across them
(/api/v1/carriers/rates).

Credentials are write-only: sealed at rest, shown back only by their last four characters.
Each carrier's fields are those its connector needs (docs/carriers.md); a field the carrier
does not take, or a missing one, is refused naming it. ``POST .../{carrier}/test`` calls the
carrier and answers 502 naming the cause when it refuses or fails.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from fastapi import APIRouter, Body, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

from postpurchase.adapters.carriers import accounts
from postpurchase.adapters.carriers.connectors import (
    AFTERSHIP_CARRIERS,
    EASYPOST_CARRIERS,
    KARRIO,
    SIMULATED_CARRIERS,
    ConnectorSpec,
    aftership_spec,
    easypost_spec,
    simulated_spec,
)
from postpurchase.adapters.db.carrier_store import AccountView
from postpurchase.domain.addresses import Address
from postpurchase.domain.carriers import (
    CarrierError,
    Connector,
    Parcel,
    RateQuote,
    RateRequest,
)
from postpurchase.domain.carriers.accounts import MAX_VALUE
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.edge_types import IsoDate

router = APIRouter(prefix="/api/v1/carriers", tags=["carriers"])


# A value as the connector takes it: no line breaks or NUL, not blank (domain/carriers).
_VALUE = {
    "min_length": 1,
    "max_length": MAX_VALUE,
    "pattern": r"^[^\r\n\x00]*[^\s\x00][^\r\n\x00]*$",
}
# The simulated carrier is reached on this machine only (adapters/carriers/accounts.py).
_LOOPBACK_URL = (
    r"^https?://(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|localhost|\[::1\])"
    r"(:[0-9]{1,5})?(/[^\s]*)?$"
)


def _fields_model(
    name: str, fields: tuple[str, ...], required: tuple[str, ...], **extra: Any
) -> Any:
    spec: dict[str, Any] = {}
    for f in fields:
        constraints = {**_VALUE, **extra.get(f, {})}
        if f in required:
            spec[f] = (str, Field(**constraints))
        else:
            spec[f] = (str | None, Field(default=None, **constraints))
    return create_model(name, __config__=ConfigDict(extra="forbid"), **spec)


def _account_model(carrier: str, spec: ConnectorSpec) -> tuple[str, Any]:
    """The body for one (connector, carrier): exactly the fields its connector takes."""
    simulated = spec.connector is Connector.SIMULATED
    suffix = {
        Connector.SIMULATED: "Simulated", Connector.EASYPOST: "EasyPost",
        Connector.AFTERSHIP: "AfterShip",
    }  # fmt: skip
    title = "".join(p.title() for p in carrier.split("_")) + suffix.get(spec.connector, "")
    extra = {"base_url": {"pattern": _LOOPBACK_URL, "max_length": 200}} if simulated else {}
    credentials = _fields_model(f"{title}Credentials", spec.secrets, spec.required)
    options = _fields_model(f"{title}Options", spec.options, spec.required, **extra)
    connector_field: Any = (
        (Literal["simulated"], Field(description="The built-in simulated carrier."))
        if simulated
        else (Literal["easypost"], Field(description="Your EasyPost account, for this carrier."))
        if spec.connector is Connector.EASYPOST
        else (Literal["aftership"], Field(description="Your AfterShip account: tracking only."))
        if spec.connector is Connector.AFTERSHIP
        else (Literal["karrio"], Field(default="karrio", description="karrio's connector."))
    )
    options_field: Any = (
        (options, Field()) if any(f in spec.required for f in spec.options)
        else (options, Field(default_factory=options))
    )  # fmt: skip
    body: dict[str, Any] = {
        "carrier": (Literal[carrier], Field(description="Our carrier slug.")),
        "connector": connector_field,
        "mode": (Literal["test", "production"], Field(default="test")),
        "credentials": (credentials, Field(description="Write-only; sealed at rest.")),
        "options": options_field,
    }
    model = create_model(
        f"{title}AccountIn",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"A {carrier} account through {spec.connector.value} ({spec.name}).",
        **body,
    )
    return f"{spec.connector.value}:{carrier}", model


def _tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return f"{value.get('connector') or 'karrio'}:{value.get('carrier')}"
    return f"{getattr(value, 'connector', 'karrio')}:{getattr(value, 'carrier', '')}"


_MODELS = (
    [_account_model(c, s) for c, s in sorted(KARRIO.items())]
    + [_account_model(c, simulated_spec(c)) for c in SIMULATED_CARRIERS]
    + [_account_model(c, easypost_spec(c)) for c in EASYPOST_CARRIERS]
    + [_account_model(c, aftership_spec(c)) for c in AFTERSHIP_CARRIERS]
)
_ACCOUNT_IN: Any = Annotated[
    Union[tuple(Annotated[m, Tag(tag)] for tag, m in _MODELS)],  # noqa: UP007
    Discriminator(
        _tag,
        custom_error_type="carrier",
        custom_error_message="carrier (with connector) is one of "
        + ", ".join(tag for tag, _ in _MODELS),
    ),
    Field(
        description="A carrier account: `carrier` (and `connector`, `karrio` by default) "
        "decides which `credentials` and `options` it takes (docs/carriers.md)."
    ),
]
if TYPE_CHECKING:
    AccountIn = Any
else:
    AccountIn = _ACCOUNT_IN


class AccountOut(BaseModel):
    carrier: str
    connector: str
    mode: str
    options: dict[str, str]
    credentials_last4: dict[str, str] = Field(
        description="Each credential by its last four characters."
    )
    polling: int = Field(description="Shipments currently polled through this account.")
    failures: int = Field(description="Failed calls in a row (0 once a call succeeds).")
    last_error: str | None = Field(description="The last failure, naming its cause.")
    paused_until: datetime | None = Field(
        description="Backing off after a 429/5xx or refused credentials until then."
    )
    last_ok_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _out(v: AccountView) -> AccountOut:
    return AccountOut(
        carrier=v.carrier, connector=v.connector, mode=v.mode, options=v.options,
        credentials_last4=v.secrets, polling=v.polling, failures=v.failures,
        last_error=v.last_error, paused_until=v.paused_until, last_ok_at=v.last_ok_at,
        created_at=v.created_at, updated_at=v.updated_at,
    )  # fmt: skip


@router.get("/accounts", response_model=list[AccountOut])
async def list_accounts(merchant: MerchantDep, platform: PlatformDep) -> list[AccountOut]:
    """Your carrier accounts (credentials by their last four characters only)."""
    views = await run_in_threadpool(
        accounts.list_accounts, platform.engine, platform.keyring, merchant.id
    )
    return [_out(v) for v in views]


@router.post(
    "/accounts",
    response_model=AccountOut,
    status_code=201,
    responses={200: {"model": AccountOut, "description": "Replaced your account at that carrier."}},
)
async def add_account(
    body: Annotated[AccountIn, Body()],
    merchant: MerchantDep,
    platform: PlatformDep,
    response: Response,
) -> AccountOut:
    """Add a carrier account, or replace yours at that carrier (200). Polling of your open
    shipments at that carrier starts at the worker's next round."""
    fields = {
        k: v
        for part in (body.credentials, body.options)
        for k, v in part.model_dump().items()
        if v is not None
    }
    view, created = await run_in_threadpool(
        lambda: accounts.add_account(
            platform.engine, platform.keyring, platform.clock.now(), merchant.id, body.carrier,
            connector=Connector(body.connector), mode=accounts.parse_mode(body.mode),
            fields=fields, production=platform.settings.environment == "production",
        )
    )  # fmt: skip
    if not created:
        response.status_code = 200
    return _out(view)


class TestOut(BaseModel):
    ok: bool = Field(description="Whether the carrier accepted the credentials and answered.")
    failure: (
        Literal["auth", "rate_limited", "unavailable", "timeout", "rejected", "unsupported"] | None
    ) = Field(description="Why not: auth (wrong credentials), rate_limited, unavailable "
              "(5xx, unreachable), timeout, rejected, unsupported.")  # fmt: skip
    detail: str | None = Field(description="The cause, in the carrier's words where it gave any.")
    account: AccountOut


@router.post("/accounts/{carrier}/test", response_model=TestOut)
async def test_account(carrier: str, merchant: MerchantDep, platform: PlatformDep) -> TestOut:
    """Call the carrier with the stored credentials. `ok: false` names the cause: refused
    credentials, the carrier failing (5xx), limiting us (429) or not answering in time; the
    account keeps it as `last_error`."""
    s = platform.settings
    failure = detail = None
    try:
        await run_in_threadpool(
            lambda: accounts.test_account(
                platform.engine, platform.keyring, platform.clock.now, merchant.id, carrier,
                api_urls=s.carrier_api_urls, timeout=s.carrier_timeout_seconds,
            )
        )  # fmt: skip
    except CarrierError as exc:
        failure, detail = exc.failure.value, exc.message
    view = await run_in_threadpool(
        lambda: next(
            v
            for v in accounts.list_accounts(platform.engine, platform.keyring, merchant.id)
            if v.carrier == carrier.strip().lower()
        )
    )
    return TestOut(ok=failure is None, failure=failure, detail=detail, account=_out(view))


@router.delete("/accounts/{carrier}", status_code=204)
async def remove_account(carrier: str, merchant: MerchantDep, platform: PlatformDep) -> Response:
    """Delete your account at this carrier; its shipments stop being polled."""
    await run_in_threadpool(
        accounts.remove_account, platform.engine, platform.keyring, merchant.id, carrier
    )
    return Response(status_code=204)


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2.")
    postal_code: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z0-9 -]*$")
    region: str | None = Field(default=None, max_length=8, pattern=r"^[A-Za-z0-9-]*$")
    city: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")


class ParcelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight_grams: int = Field(ge=1, le=1_000_000)
    length_cm: float | None = Field(default=None, gt=0, le=1000)
    width_cm: float | None = Field(default=None, gt=0, le=1000)
    height_cm: float | None = Field(default=None, gt=0, le=1000)


class RatesIn(BaseModel):
    """A parcel to rate with every carrier account you have."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "origin": {"country": "US", "postal_code": "43215"},
                    "destination": {"country": "US", "postal_code": "94103"},
                    "parcels": [{"weight_grams": 1200, "length_cm": 30, "width_cm": 20,
                                 "height_cm": 10}],
                    "deliver_by": "2026-12-11",
                }
            ]
        },
    )  # fmt: skip

    origin: PlaceIn
    destination: PlaceIn
    parcels: list[ParcelIn] = Field(min_length=1, max_length=50)
    deliver_by: IsoDate | None = Field(
        default=None, description="The order's promise: rates that deliver later lose."
    )
    timeout_seconds: float = Field(
        default=3.0, ge=0.5, le=10, description="How long to wait for all carriers."
    )


class QuoteOut(BaseModel):
    carrier: str
    service: str
    amount: Decimal
    currency: str
    delivery_date: date | None
    delivery_date_estimated: bool = Field(
        description="True when the carrier gave transit days and we dated them."
    )


class AlternativeOut(QuoteOut):
    why_not: str


class RatesOut(BaseModel):
    chosen: QuoteOut | None
    why: str
    alternatives: list[AlternativeOut]
    failed: dict[str, str] = Field(description="Carrier -> the cause it failed.")
    timed_out: list[str] = Field(description="Carriers that did not answer in time.")


def _quote(q: RateQuote) -> dict[str, Any]:
    return {
        "carrier": q.carrier, "service": q.service, "amount": q.price.amount,
        "currency": q.price.currency, "delivery_date": q.delivery_date,
        "delivery_date_estimated": q.date_estimated,
    }  # fmt: skip


def _place(p: PlaceIn) -> Address:
    return Address(p.country, p.postal_code, p.region, p.city)


def _parcel(p: ParcelIn) -> Parcel:
    def cm(v: float | None) -> Decimal | None:
        return Decimal(str(v)) if v is not None else None

    return Parcel(p.weight_grams, cm(p.length_cm), cm(p.width_cm), cm(p.height_cm))


@router.post("/rates", response_model=RatesOut)
async def rates(body: RatesIn, merchant: MerchantDep, platform: PlatformDep) -> RatesOut:
    """Rates from every carrier account you have, asked in parallel within
    `timeout_seconds`: the cheapest that delivers by `deliver_by`, every other rate with why
    it lost, and the carriers that failed (with the cause) or timed out."""
    request = RateRequest(
        _place(body.origin), _place(body.destination), tuple(_parcel(p) for p in body.parcels)
    )
    s = platform.settings
    result = await run_in_threadpool(
        lambda: accounts.rate_shop(
            platform.engine, platform.keyring, merchant.id, request,
            deliver_by=body.deliver_by, timeout=body.timeout_seconds,
            api_urls=s.carrier_api_urls, call_timeout=s.carrier_timeout_seconds,
            today=platform.clock.now().date(),
        )
    )  # fmt: skip
    return RatesOut(
        chosen=QuoteOut(**_quote(result.chosen)) if result.chosen else None,
        why=result.why,
        alternatives=[
            AlternativeOut(**_quote(a.quote), why_not=a.why_not) for a in result.alternatives
        ],
        failed=result.failed,
        timed_out=result.timed_out,
    )
