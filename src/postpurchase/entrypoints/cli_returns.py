"""`postpurchase returns ...`: handle returns from the terminal (a warehouse scanner's
script, a support engineer), each step audited with the actor ``cli``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Returns: approve, reject, receive, refund; the policy.", no_args_is_help=True
)
policy_app = typer.Typer(help="The return policy.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
Slug = Annotated[str, typer.Argument(help="Merchant slug.")]
ReturnId = Annotated[str, typer.Argument(help="The return's id (32 hex characters).")]


def _open(slug: str, data_dir: Path | None) -> tuple[Any, str]:
    from postpurchase.entrypoints.api.routes.returns import returns_service
    from postpurchase.entrypoints.cli import _platform, fail

    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    return returns_service(platform), merchant.id


def _step(name: str, call: Any) -> None:
    """Run one step; a refusal is one line on stderr and exit code 2."""
    from postpurchase.domain.errors import DomainError

    try:
        ret = call()
    except DomainError as exc:
        where = f"{exc.field}: " if exc.field else ""
        typer.echo(f"error: {name}: {where}{exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"id": ret.id, "number": ret.number, "status": ret.status.value}))


@app.command("approve")
def approve(slug: Slug, return_id: ReturnId, data_dir: DataDir = None) -> None:
    """Approve a return waiting for review."""
    svc, mid = _open(slug, data_dir)
    _step("approve", lambda: svc.approve(mid, return_id, actor="cli"))


@app.command("reject")
def reject(
    slug: Slug,
    return_id: ReturnId,
    reason: Annotated[str, typer.Option(help="Why, shown to the shopper.")],
    data_dir: DataDir = None,
) -> None:
    """Reject a return waiting for review."""
    svc, mid = _open(slug, data_dir)
    _step("reject", lambda: svc.reject(mid, return_id, reason, actor="cli"))


@app.command("receive")
def receive(slug: Slug, return_id: ReturnId, data_dir: DataDir = None) -> None:
    """The goods arrived (by parcel or over the counter)."""
    svc, mid = _open(slug, data_dir)
    _step("receive", lambda: svc.receive(mid, return_id, actor="cli"))


@app.command("resolve")
def resolve(slug: Slug, return_id: ReturnId, data_dir: DataDir = None) -> None:
    """Refund, issue the credit or place the exchange order, once the goods are put away."""
    svc, mid = _open(slug, data_dir)
    _step("resolve", lambda: svc.resolve(mid, return_id, actor="cli"))


@policy_app.command("show")
def show(slug: Slug, data_dir: DataDir = None) -> None:
    """The active policy as JSON (the document `PUT /api/v1/returns/policy` takes)."""
    from postpurchase.domain.returns import policy_to_dict

    svc, mid = _open(slug, data_dir)
    typer.echo(json.dumps(policy_to_dict(svc.policy(mid)), indent=2))


@policy_app.command("set")
def set_policy(
    slug: Slug,
    file: Annotated[Path, typer.Option("--file", help="The policy as JSON ('-': stdin).")],
    data_dir: DataDir = None,
) -> None:
    """Save a new policy version (it is in force at once), checked like the API's PUT."""
    from pydantic import ValidationError

    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.returns import policy_from_dict
    from postpurchase.entrypoints.api.problems import field_of
    from postpurchase.entrypoints.api.returns_schemas import PolicyIn

    svc, mid = _open(slug, data_dir)
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        checked = PolicyIn.model_validate(json.loads(text))
        policy = policy_from_dict(checked.model_dump(mode="json", exclude_none=True))
        saved = svc.save_policy(mid, policy, actor="cli")
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            typer.echo(f"error: {field_of(tuple(first['loc']))}: {first['msg']}", err=True)
        else:
            typer.echo(f"error: {file}: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(2) from None
    except DomainError as exc:
        typer.echo(f"error: {exc.field or 'policy'}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"version": saved.version}))


@app.command("parcel-label")
def parcel_label(
    slug: Slug,
    return_ids: Annotated[list[str], typer.Argument(help="2 to 50 approved returns' ids.")],
    carrier: Annotated[str, typer.Option(help="A carrier account of the merchant's.")],
    service: Annotated[str, typer.Option(help="The carrier's service code.")] = "ground",
    data_dir: DataDir = None,
) -> None:
    """Buy ONE return label for several returns of one customer sent in one parcel (all or
    none; the same returns again answer the same label). Prints one JSON line a return."""
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.api.routes.returns_labels import _gateway
    from postpurchase.entrypoints.api.routes.returns_parcel_label import parcel_desk
    from postpurchase.entrypoints.cli import _platform, fail

    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    try:
        gateway = _gateway(platform, merchant.id, carrier)
        done = parcel_desk(platform).buy(merchant.id, return_ids, gateway, service, actor="cli")
    except DomainError as exc:
        where = f"{exc.field}: " if exc.field else ""
        typer.echo(f"error: parcel-label: {where}{exc.message}", err=True)
        raise typer.Exit(2) from None
    for ret in done:
        typer.echo(
            json.dumps(
                {
                    "id": ret.id,
                    "number": ret.number,
                    "status": ret.status.value,
                    "carrier": ret.carrier,
                    "tracking_number": ret.tracking_number,
                }
            )
        )
