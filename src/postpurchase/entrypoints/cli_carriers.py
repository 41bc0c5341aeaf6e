"""`postpurchase carriers add|list|test|remove` (carrier accounts per merchant) and
`postpurchase simulator serve` (the simulated carrier's HTTP API).

Each carrier's options are the fields its connector needs (``adapters.carriers.connectors``,
tabled in docs/carriers.md); a secret given as ``-`` is read from stdin, keeping it out of
shell history.
"""

# No ``from __future__ import annotations``: Typer reads these annotations at run time, and
# ``register`` builds some of them (the per-connector options) from data.
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from postpurchase.adapters.carriers.connectors import (
    AFTERSHIP_CARRIERS,
    EASYPOST_CARRIERS,
    KARRIO,
    SIMULATED_CARRIERS,
)

simulator_app = typer.Typer(
    help="The simulated carrier: an HTTP API shaped like a real carrier's.", no_args_is_help=True
)

FIELDS = (
    "client_id", "client_secret", "api_key", "secret_key", "track_api_key", "track_secret_key",
    "username", "password", "user_token", "delis_id", "account_number", "account_country_code",
    "account_type", "customer_number", "contract_id", "depot", "contact_id",
    "carrier_account_id",
)  # fmt: skip


def _epilog() -> str:
    rows = [
        f"{slug}: {', '.join(('*' if f in spec.required else '') + '--' + f.replace('_', '-') for f in spec.fields)}"  # noqa: E501
        for slug, spec in sorted(KARRIO.items())
    ]
    return (
        "Options per carrier (* required; secrets are sealed and shown only by their last "
        "four characters):\n\n"
        + "\n\n".join(rows)
        + f"\n\nSimulated carrier ({', '.join(SIMULATED_CARRIERS)}): --simulator URL --api-key KEY."
        + f"\n\nThrough EasyPost ({', '.join(EASYPOST_CARRIERS)}): --easypost --api-key KEY "
        "[--carrier-account-id ca_...]."
        + f"\n\nTracking through AfterShip ({', '.join(AFTERSHIP_CARRIERS)}): --aftership "
        "--api-key KEY."
    )


def reseal_credentials(conn: Any, box: Any) -> int:
    """Carrier credentials re-sealed with the first key (``secrets reencrypt``)."""
    from postpurchase.adapters.db.carrier_store import reseal_credentials as reseal

    return reseal(conn, box)


def _fail(message: str) -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(2)


def _merchant_id(platform: Any, slug: str) -> str:
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        _fail(f"no merchant with slug {slug!r}")
    return str(merchant.id)


def _view_json(view: Any) -> str:
    return json.dumps(
        {
            "carrier": view.carrier,
            "connector": view.connector,
            "mode": view.mode,
            "options": view.options,
            "secrets": {k: f"…{v}" for k, v in view.secrets.items()},
            "polling": view.polling,
            "failures": view.failures,
            "last_error": view.last_error,
            "paused_until": view.paused_until.isoformat() if view.paused_until else None,
            "last_ok_at": view.last_ok_at.isoformat() if view.last_ok_at else None,
        }
    )


def register(carriers_app: typer.Typer, platform_for: Any, data_dir_type: Any) -> None:
    """Add the account commands to the existing ``carriers`` group."""

    def add(
        slug: Annotated[str, typer.Argument(help="Merchant slug.")],
        carrier: Annotated[str, typer.Argument(help="Our carrier slug: ups, fedex, dhl...")],
        mode: Annotated[
            str, typer.Option(help="test (the carrier's sandbox) or production.")
        ] = "test",
        simulator: Annotated[
            str | None,
            typer.Option(help="Use the simulated carrier served at this URL instead."),
        ] = None,
        easypost: Annotated[
            bool,
            typer.Option(
                help="Through your EasyPost account (--api-key, optional "
                "--carrier-account-id) instead of karrio's connector."
            ),
        ] = False,
        aftership: Annotated[
            bool, typer.Option(help="Track through your AfterShip account (--api-key).")
        ] = False,
        data_dir: data_dir_type = None,
        **values: str | None,
    ) -> None:
        from postpurchase.adapters.carriers.accounts import add_account, parse_mode
        from postpurchase.domain.carriers import Connector
        from postpurchase.domain.errors import DomainError

        fields = {k: v for k, v in values.items() if v is not None}
        stdin = [k for k, v in fields.items() if v == "-"]
        if len(stdin) > 1:
            _fail("only one option can be read from stdin (-)")
        if stdin:
            fields[stdin[0]] = sys.stdin.readline().strip()
        connector = (
            Connector.SIMULATED if simulator
            else Connector.EASYPOST if easypost
            else Connector.AFTERSHIP if aftership
            else Connector.KARRIO
        )  # fmt: skip
        if simulator:
            fields["base_url"] = simulator
        platform = platform_for(data_dir)
        merchant_id = _merchant_id(platform, slug)
        try:
            view, created = add_account(
                platform.engine, platform.keyring, platform.clock.now(), merchant_id, carrier,
                connector=connector, mode=parse_mode(mode), fields=fields,
                production=platform.settings.environment == "production",
            )  # fmt: skip
        except DomainError as exc:
            name = (exc.field or "").removeprefix("fields.").replace("_", "-")
            named = exc.field and exc.field != "carrier"
            _fail(f"--{name}: {exc.message}" if named else exc.message)
        typer.echo(f"{'added' if created else 'replaced'} {carrier} account for {slug}", err=True)
        typer.echo(_view_json(view))

    # One typed option per connector field, so `--help` lists them all.
    import inspect

    params = [p for name, p in inspect.signature(add).parameters.items() if name != "values"]
    secret_fields = {f for spec in KARRIO.values() for f in spec.secrets} | {"api_key"}
    for name in FIELDS:
        what = (
            "secret: sealed at rest, shown by its last 4 characters; - reads it from stdin"
            if name in secret_fields
            else "option, shown as given"
        )
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None,
                    typer.Option(f"--{name.replace('_', '-')}", help=what, show_default=False),
                ],
            )
        )
    add.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    add.__annotations__ = {p.name: p.annotation for p in params}
    carriers_app.command(
        "add",
        epilog=_epilog(),
        help="Add (or replace) a merchant's carrier account, checked against what its "
        "connector needs; polling starts at the worker's next round.",
    )(add)

    @carriers_app.command("list")
    def list_(
        slug: Annotated[str, typer.Argument(help="Merchant slug.")], data_dir: data_dir_type = None
    ) -> None:
        """A merchant's carrier accounts, one JSON object per line (secrets by their last
        four characters)."""
        from postpurchase.adapters.carriers.accounts import list_accounts

        platform = platform_for(data_dir)
        for view in list_accounts(platform.engine, platform.keyring, _merchant_id(platform, slug)):
            typer.echo(_view_json(view))

    @carriers_app.command("test")
    def test(
        slug: Annotated[str, typer.Argument(help="Merchant slug.")],
        carrier: Annotated[str, typer.Argument(help="Our carrier slug.")],
        data_dir: data_dir_type = None,
    ) -> None:
        """Call the carrier with the stored credentials: exit 0 when it answers, else exit 2
        with the cause (wrong credentials, carrier down, timeout)."""
        from postpurchase.adapters.carriers.accounts import test_account
        from postpurchase.domain.errors import DomainError

        platform = platform_for(data_dir)
        s = platform.settings
        try:
            view = test_account(
                platform.engine, platform.keyring, platform.clock.now,
                _merchant_id(platform, slug), carrier,
                api_urls=s.carrier_api_urls, timeout=s.carrier_timeout_seconds,
            )  # fmt: skip
        except DomainError as exc:
            _fail(exc.message)
        typer.echo(f"{carrier}: the carrier answered; credentials work", err=True)
        typer.echo(_view_json(view))

    @carriers_app.command("rates")
    def rates(
        slug: Annotated[str, typer.Argument(help="Merchant slug.")],
        from_: Annotated[
            str, typer.Option("--from", help="Origin: COUNTRY:POSTAL_CODE, e.g. US:43215.")
        ],
        to: Annotated[str, typer.Option(help="Destination: COUNTRY:POSTAL_CODE.")],
        weight_grams: Annotated[int, typer.Option(help="Parcel weight in grams.")],
        dims: Annotated[
            str | None, typer.Option(help="Length x width x height in cm, e.g. 30x20x10.")
        ] = None,
        deliver_by: Annotated[
            str | None, typer.Option(help="The order's promise, YYYY-MM-DD.")
        ] = None,
        timeout: Annotated[float, typer.Option(help="Seconds to wait for all carriers.")] = 3.0,
        data_dir: data_dir_type = None,
    ) -> None:
        """Rates from every carrier account of the merchant, asked in parallel within the
        timeout: the cheapest that meets the promise, the alternatives and why, and which
        carriers failed or timed out (one JSON object)."""
        from datetime import date
        from decimal import Decimal, InvalidOperation

        from postpurchase.adapters.carriers.accounts import rate_shop
        from postpurchase.domain.addresses import Address
        from postpurchase.domain.carriers import Parcel, RateRequest
        from postpurchase.domain.errors import DomainError

        def place(value: str, name: str) -> Address:
            country, _, postal = value.partition(":")
            try:
                return Address(country, postal or None)
            except DomainError as exc:
                _fail(f"{name}: {exc.message}")
                raise

        size: list[Decimal | None] = [None, None, None]
        if dims:
            try:
                size = [Decimal(p) for p in dims.lower().split("x")]
            except InvalidOperation:
                size = []
            if len(size) != 3:
                _fail("--dims: three numbers in cm, e.g. 30x20x10")
        promise = None
        if deliver_by:
            try:
                promise = date.fromisoformat(deliver_by)
            except ValueError:
                _fail("--deliver-by: a date, YYYY-MM-DD")
        try:
            request = RateRequest(
                place(from_, "--from"), place(to, "--to"),
                (Parcel(weight_grams, size[0], size[1], size[2]),),
            )  # fmt: skip
        except DomainError as exc:
            _fail(f"--{(exc.field or 'weight-grams').replace('_', '-')}: {exc.message}")
        platform = platform_for(data_dir)
        s = platform.settings
        try:
            result = rate_shop(
                platform.engine, platform.keyring, _merchant_id(platform, slug), request,
                deliver_by=promise, timeout=timeout, api_urls=s.carrier_api_urls,
                call_timeout=s.carrier_timeout_seconds, today=platform.clock.now().date(),
            )  # fmt: skip
        except DomainError as exc:
            _fail(exc.message)

        def quote(q: Any) -> dict[str, Any]:
            return {
                "carrier": q.carrier, "service": q.service, "amount": str(q.price.amount),
                "currency": q.price.currency,
                "delivery_date": q.delivery_date.isoformat() if q.delivery_date else None,
                "delivery_date_estimated": q.date_estimated,
            }  # fmt: skip

        typer.echo(
            json.dumps(
                {
                    "chosen": quote(result.chosen) if result.chosen else None,
                    "why": result.why,
                    "alternatives": [
                        {**quote(a.quote), "why_not": a.why_not} for a in result.alternatives
                    ],
                    "failed": result.failed,
                    "timed_out": result.timed_out,
                }
            )
        )

    @carriers_app.command("remove")
    def remove(
        slug: Annotated[str, typer.Argument(help="Merchant slug.")],
        carrier: Annotated[str, typer.Argument(help="Our carrier slug.")],
        data_dir: data_dir_type = None,
    ) -> None:
        """Delete a merchant's carrier account (its shipments stop being polled)."""
        from postpurchase.adapters.carriers.accounts import remove_account
        from postpurchase.domain.errors import DomainError

        platform = platform_for(data_dir)
        try:
            remove_account(platform.engine, platform.keyring, _merchant_id(platform, slug), carrier)
        except DomainError as exc:
            _fail(exc.message)
        typer.echo(f"removed {carrier} account of {slug}", err=True)


@simulator_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    api_key: Annotated[
        list[str] | None, typer.Option(help="Accepted API key (repeatable).", show_default=False)
    ] = None,
    seed: Annotated[int, typer.Option(help="Seeds latency, faults and scan plans.")] = 0,
    latency_ms: Annotated[float, typer.Option(help="Median latency per request.")] = 120.0,
    throttle_rate: Annotated[float, typer.Option(help="Share of requests answered 429.")] = 0.02,
    error_rate: Annotated[float, typer.Option(help="Share of requests answered 503.")] = 0.01,
) -> None:
    """Serve the simulated carrier's HTTP API (tracking in batches, rates, labels, void,
    address checks, pickups) for ups, usps, fedex, dhl, canada_post and royal_mail. Point a
    carrier account at it with `carriers add SLUG ups --simulator http://HOST:PORT
    --api-key KEY`. Parcels exist once a label is bought through it."""
    import uvicorn

    from postpurchase.adapters.carriers.simulated.api import DEFAULT_API_KEY, Faults, SimulatorState
    from postpurchase.adapters.carriers.simulated.server import config

    for name, rate in (("--throttle-rate", throttle_rate), ("--error-rate", error_rate)):
        if not 0 <= rate <= 1:
            _fail(f"{name}: a share between 0 and 1")
    if latency_ms < 0:
        _fail("--latency-ms: not negative")
    state = SimulatorState(
        seed=seed,
        api_keys=frozenset(api_key or [DEFAULT_API_KEY]),
        faults=Faults(latency_ms=latency_ms, throttle_rate=throttle_rate, error_rate=error_rate),
    )
    keys = ", ".join(sorted(state.api_keys))
    typer.echo(f"simulated carrier on http://{host}:{port} (API keys: {keys})", err=True)
    uvicorn.Server(config(state, host, port)).run()


__all__ = ["Path", "register", "simulator_app"]
