"""`postpurchase labels buy|get|list|void|validate-address|pickup`: shipping labels through
the merchant's carrier accounts, address checks before buying, and pickups.

Addresses and customs data are JSON (``--origin '{"country": "US", ...}'``, or ``@file``).
A purchase is idempotent under ``--key`` (by default one per order, carrier and service):
running the same command again prints the label bought the first time.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]
Slug = Annotated[str, typer.Argument(help="Merchant slug.")]
app = typer.Typer(
    help="Shipping labels: buy, fetch, void; address checks; pickups.", no_args_is_help=True
)


def _json(value: str, option: str) -> Any:
    from postpurchase.entrypoints.cli import fail

    try:
        text = Path(value[1:]).read_text() if value.startswith("@") else value
        return json.loads(text)
    except (OSError, ValueError) as exc:
        fail(f"{option}: not JSON (or @file): {exc}")


def _address(value: str, option: str) -> Any:
    from postpurchase.domain.addresses import Address
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import fail

    data = _json(value, option)
    if not isinstance(data, dict):
        fail(f"{option}: an object with country, postal_code, region, city, line1, name")
    allowed = set(Address.__dataclass_fields__)
    extra = set(data) - allowed
    if extra:
        fail(f"{option}: unknown field {sorted(extra)[0]!r}; fields: {', '.join(sorted(allowed))}")
    try:
        return Address.from_dict({k: (str(v) if v is not None else None) for k, v in data.items()})
    except DomainError as exc:
        fail(f"{option}.{exc.field}: {exc.message}")


def _customs(value: str) -> Any:
    from postpurchase.domain.carriers import ContentType, Customs, CustomsItem
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.money import Money
    from postpurchase.entrypoints.cli import fail

    data = _json(value, "--customs")
    try:
        return Customs(
            ContentType(data.get("contents", "merchandise")),
            tuple(
                CustomsItem(
                    str(i["description"]), int(i["quantity"]),
                    Money.of(str(i["value"]), str(i["currency"])), int(i["weight_grams"]),
                    i.get("hs_code"), i.get("origin_country"),
                )
                for i in data.get("items") or ()
            ),
            data.get("incoterm", "DDU"), data.get("invoice_number"),
        )  # fmt: skip
    except DomainError as exc:
        fail(f"--customs.{exc.field or 'items'}: {exc.message}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        fail(f"--customs: {exc!s} (see `labels buy --help`)")


def _label_json(r: Any) -> str:
    return json.dumps(
        {
            "id": r.id, "order_id": r.order_id, "carrier": r.carrier, "service": r.service,
            "status": r.status.value, "label_format": r.label_format.value,
            "tracking_number": r.tracking_number,
            "price": str(r.price.amount) if r.price else None,
            "currency": r.price.currency if r.price else None, "shipment_id": r.shipment_id,
            "error": r.error, "created_at": r.created_at.isoformat(),
        }
    )  # fmt: skip


def _context(data_dir: Path | None, slug: str) -> tuple[Any, str, Any]:
    from postpurchase.adapters.carriers.accounts import AccountGateways
    from postpurchase.entrypoints.cli import _platform, fail

    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        fail(f"no merchant with slug {slug!r}")
    s = platform.settings
    carriers = AccountGateways(
        platform.engine, platform.keyring, api_urls=s.carrier_api_urls,
        timeout=s.carrier_timeout_seconds,
    )  # fmt: skip
    return platform, str(merchant.id), carriers


def _order_id(platform: Any, merchant_id: str, ref: str) -> str:
    from postpurchase.entrypoints.cli import fail

    with platform.uow() as uow:
        order = uow.orders.get(merchant_id, ref) or uow.orders.get_by_external_id(merchant_id, ref)
    if order is None:
        fail(f"order: no order {ref!r} (our id or the store's)")
    return str(order.id)


@app.command("buy")
def buy(
    slug: Slug,
    order: Annotated[str, typer.Argument(help="The order: our id or the store's id.")],
    carrier: Annotated[str, typer.Option(help="Our carrier slug (an account you added).")],
    service: Annotated[str, typer.Option(help="The carrier's service, e.g. ground.")],
    origin: Annotated[str, typer.Option(help="Ship-from address as JSON, or @file.")],
    weight_grams: Annotated[int, typer.Option(help="Parcel weight in grams.")],
    dims: Annotated[str | None, typer.Option(help="L x W x H in cm, e.g. 30x20x10.")] = None,
    label_format: Annotated[str, typer.Option("--format", help="PDF or ZPL (4×6).")] = "PDF",
    customs: Annotated[
        str | None,
        typer.Option(
            help='Customs JSON or @file: {"contents": "merchandise", "items": '
            '[{"description", "quantity", "value", "currency", "weight_grams", '
            '"hs_code", "origin_country"}]}'
        ),
    ] = None,
    drop_off: Annotated[
        bool, typer.Option(help="A QR code for label-less drop-off instead of a label.")
    ] = False,
    key: Annotated[
        str | None, typer.Option(help="Idempotency key (default: order-carrier-service).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the label document here.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Buy a label for an order; prints the label as JSON. The same command again (same
    --key) prints the label bought the first time and buys nothing."""
    from postpurchase.adapters.carriers.accounts import qr_png
    from postpurchase.domain.carriers import LabelFormat, Parcel
    from postpurchase.domain.errors import DomainError
    from postpurchase.domain.labels import LabelPurchase
    from postpurchase.entrypoints.cli import fail
    from postpurchase.service_layer import labels as labels_service

    size: list[Decimal | None] = [None, None, None]
    if dims:
        try:
            size = [Decimal(p) for p in dims.lower().split("x")]
        except InvalidOperation:
            size = []
        if len(size) != 3:
            fail("--dims: three numbers in cm, e.g. 30x20x10")
    if label_format.upper() not in ("PDF", "ZPL"):
        fail("--format: PDF or ZPL")
    ship_from = _address(origin, "--origin")
    declared = _customs(customs) if customs else None
    platform, merchant_id, carriers = _context(data_dir, slug)
    order_id = _order_id(platform, merchant_id, order)
    try:
        purchase = LabelPurchase(
            order_id=order_id, carrier=carrier, service=service, origin=ship_from,
            parcels=(Parcel(weight_grams, size[0], size[1], size[2]),),
            idempotency_key=key or f"cli-{order_id}-{carrier}-{service}",
            label_format=LabelFormat(label_format.upper()), customs=declared, drop_off=drop_off,
        )  # fmt: skip
        outcome = labels_service.buy_label(
            platform.uow(), platform.clock, carriers, qr_png, merchant_id, purchase
        )
    except DomainError as exc:
        fail(f"{exc.field or 'label'}: {exc.message}")
    if outcome.replayed:
        typer.echo("bought before under this key; nothing bought now", err=True)
    if out is not None:
        _write(platform, merchant_id, outcome.record.media_id, out)
    typer.echo(_label_json(outcome.record))


def _write(platform: Any, merchant_id: str, media_id: str | None, path: Path) -> None:
    from postpurchase.entrypoints.cli import fail

    if media_id is None:
        fail("label: no document stored for it")
    with platform.uow() as uow:
        stored = uow.media.get(merchant_id, media_id)
    if stored is None:
        fail("label: the document is gone from the media store")
    path.write_bytes(stored.data)
    typer.echo(f"wrote {path} ({stored.ref.content_type}, {len(stored.data)} bytes)", err=True)


@app.command("get")
def get(
    slug: Slug,
    label_id: Annotated[str, typer.Argument(help="The label's id (from `labels buy`).")],
    out: Annotated[Path | None, typer.Option(help="Write the label document here.")] = None,
    qr: Annotated[Path | None, typer.Option(help="Write the drop-off QR code (PNG) here.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Print one label as JSON; with --out (and --qr) write its document (and QR code)."""
    from postpurchase.entrypoints.cli import fail

    platform, merchant_id, _ = _context(data_dir, slug)
    with platform.uow() as uow:
        record = uow.labels.by_id(merchant_id, label_id)
    if record is None:
        fail(f"label_id: no label {label_id!r}")
    if out is not None:
        _write(platform, merchant_id, record.media_id, out)
    if qr is not None:
        _write(platform, merchant_id, record.qr_media_id, qr)
    typer.echo(_label_json(record))


@app.command("list")
def list_(
    slug: Slug,
    order: Annotated[str, typer.Argument(help="The order: our id or the store's id.")],
    data_dir: DataDir = None,
) -> None:
    """Every label bought or tried for an order, one JSON object per line."""
    platform, merchant_id, _ = _context(data_dir, slug)
    order_id = _order_id(platform, merchant_id, order)
    with platform.uow() as uow:
        records = uow.labels.for_order(merchant_id, order_id)
    for r in records:
        typer.echo(_label_json(r))


@app.command("void")
def void(
    slug: Slug,
    label_id: Annotated[str, typer.Argument(help="The label's id.")],
    data_dir: DataDir = None,
) -> None:
    """Void a purchased label at the carrier and stop polling its shipment."""
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import fail
    from postpurchase.service_layer import labels as labels_service

    platform, merchant_id, carriers = _context(data_dir, slug)
    try:
        record = labels_service.void_label(
            platform.uow(), platform.clock, carriers, merchant_id, label_id
        )
    except DomainError as exc:
        fail(f"{exc.field or 'label'}: {exc.message}")
    typer.echo(_label_json(record))


@app.command("validate-address")
def validate_address(
    slug: Slug,
    address: Annotated[str, typer.Option(help="The address as JSON, or @file.")],
    carrier: Annotated[
        str | None, typer.Option(help="Also ask this carrier, where its API checks addresses.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Our checks (required fields, postal-code format, region) and the carrier's: prints
    the verdict and a suggested correction as JSON; exit 1 when the address is not valid."""
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import fail
    from postpurchase.service_layer import labels as labels_service

    given = _address(address, "--address")
    _, merchant_id, carriers = _context(data_dir, slug)
    try:
        report = labels_service.validate_address(carriers, merchant_id, given, carrier)
    except DomainError as exc:
        fail(f"{exc.field or 'address'}: {exc.message}")
    s = report.suggestion
    typer.echo(
        json.dumps(
            {
                "valid": report.valid,
                "problems": [
                    {"field": p.field, "message": p.message} for p in report.ours.problems
                ],
                "suggestion": s.as_dict() if s else None,
                "carrier": report.carrier,
                "carrier_valid": report.carrier_check.valid if report.carrier_check else None,
                "carrier_note": report.carrier_note,
            }
        )
    )
    if not report.valid:
        raise typer.Exit(1)


@app.command("pickup")
def pickup(
    slug: Slug,
    carrier: Annotated[str, typer.Argument(help="Our carrier slug.")],
    address: Annotated[str, typer.Option(help="Pickup address as JSON, or @file.")],
    ready_at: Annotated[str, typer.Option(help="ISO time with offset: parcels ready.")],
    closes_at: Annotated[str, typer.Option(help="ISO time with offset: the dock closes.")],
    parcels: Annotated[int, typer.Option(help="How many parcels.")] = 1,
    data_dir: DataDir = None,
) -> None:
    """Ask the carrier to collect parcels; prints its confirmation as JSON."""
    from postpurchase.domain.carriers import PickupRequest
    from postpurchase.domain.errors import DomainError
    from postpurchase.entrypoints.cli import fail
    from postpurchase.service_layer import labels as labels_service

    where = _address(address, "--address")
    try:
        request = PickupRequest(
            where, datetime.fromisoformat(ready_at), datetime.fromisoformat(closes_at), parcels
        )
    except ValueError as exc:
        fail(f"--ready-at/--closes-at: ISO times with an offset ({exc})")
    except DomainError as exc:
        fail(f"--{(exc.field or 'ready_at').replace('_', '-')}: {exc.message}")
    _, merchant_id, carriers = _context(data_dir, slug)
    try:
        done = labels_service.schedule_pickup(carriers, merchant_id, carrier, request)
    except DomainError as exc:
        fail(f"{exc.field or 'carrier'}: {exc.message}")
    typer.echo(
        json.dumps(
            {"carrier": carrier, "confirmation": done.confirmation,
             "pickup_date": done.pickup_date.isoformat()}
        )
    )  # fmt: skip
