"""A merchant's carrier accounts: /api/v1/carriers/accounts.

Credentials are write-only: sealed at rest, shown back only by their last four characters.
Each carrier's fields are those its connector needs (docs/carriers.md); a field the carrier
does not take, or a missing one, is refused naming it. ``POST .../{carrier}/test`` calls the
carrier and answers 502 naming the cause when it refuses or fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from postpurchase.adapters.carriers import accounts
from postpurchase.adapters.db.carrier_store import AccountView
from postpurchase.domain.carriers import CarrierError, Connector
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep
from postpurchase.entrypoints.api.problems import PROBLEM, Problem

router = APIRouter(prefix="/api/v1/carriers", tags=["carriers"])


class AccountIn(BaseModel):
    """A carrier account to add, or to replace the one the merchant has at that carrier."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "carrier": "ups",
                    "mode": "test",
                    "credentials": {"client_id": "your-ups-app-client-id",
                                    "client_secret": "your-ups-app-client-secret"},
                    "options": {"account_number": "A12B34"},
                },
                {
                    "carrier": "fedex",
                    "connector": "simulated",
                    "credentials": {"api_key": "sim_test_key"},
                    "options": {"base_url": "http://127.0.0.1:8700"},
                },
            ]
        },
    )  # fmt: skip

    carrier: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,47}$",
        description="Our carrier slug (the one carrier detection gives): ups, usps, fedex, dhl, "
        "canada_post, royal_mail, dpd, gls, purolator.",
    )
    connector: Literal["karrio", "simulated"] = Field(
        default="karrio",
        description="karrio: the carrier's real API through karrio's connector. simulated: "
        "the built-in simulated carrier (`postpurchase simulator serve`), not in production.",
    )
    mode: Literal["test", "production"] = Field(
        default="test", description="test: the carrier's sandbox; production: live."
    )
    credentials: dict[str, str] = Field(
        default_factory=dict,
        description="Secret fields the connector needs (client_secret, password, api_key...). "
        "Write-only.",
    )
    options: dict[str, str] = Field(
        default_factory=dict,
        description="Plain fields (account_number, customer_number, base_url...).",
    )


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


@router.post("/accounts", response_model=AccountOut, status_code=201)
async def add_account(
    body: AccountIn, merchant: MerchantDep, platform: PlatformDep, response: Response
) -> AccountOut:
    """Add a carrier account, or replace yours at that carrier (200). Polling of your open
    shipments at that carrier starts at the worker's next round."""
    overlap = set(body.credentials) & set(body.options)
    if overlap:
        raise Problem(
            422, "Invalid request", "a field is either a credential or an option",
            field=f"options.{sorted(overlap)[0]}",
        )  # fmt: skip
    view, created = await run_in_threadpool(
        lambda: accounts.add_account(
            platform.engine, platform.keyring, platform.clock.now(), merchant.id, body.carrier,
            connector=Connector(body.connector), mode=accounts.parse_mode(body.mode),
            fields={**body.credentials, **body.options},
            production=platform.settings.environment == "production",
        )
    )  # fmt: skip
    if not created:
        response.status_code = 200
    return _out(view)


@router.post(
    "/accounts/{carrier}/test",
    response_model=AccountOut,
    responses={
        502: {
            "description": "The carrier refused the credentials, failed, limited us or did "
            "not answer; `detail` names the cause, `failure` is auth, rate_limited, "
            "unavailable, timeout, rejected or unsupported.",
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    },
)
async def test_account(carrier: str, merchant: MerchantDep, platform: PlatformDep) -> AccountOut:
    """Call the carrier with the stored credentials. 502 with the cause when it refuses
    them, fails (5xx), limits us (429) or does not answer in time."""
    s = platform.settings
    try:
        view = await run_in_threadpool(
            lambda: accounts.test_account(
                platform.engine, platform.keyring, platform.clock.now, merchant.id, carrier,
                api_urls=s.carrier_api_urls, timeout=s.carrier_timeout_seconds,
            )
        )  # fmt: skip
    except CarrierError as exc:
        raise Problem(
            502, "Carrier error", exc.message, field="credentials", failure=exc.failure.value
        ) from None
    return _out(view)


@router.delete("/accounts/{carrier}", status_code=204)
async def remove_account(carrier: str, merchant: MerchantDep, platform: PlatformDep) -> Response:
    """Delete your account at this carrier; its shipments stop being polled."""
    await run_in_threadpool(
        accounts.remove_account, platform.engine, platform.keyring, merchant.id, carrier
    )
    return Response(status_code=204)
