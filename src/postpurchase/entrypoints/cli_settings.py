"""``postpurchase settings show|set SLUG``: a merchant's settings from the shell.

``set`` takes dotted keys, ``branding.primary_color=#14532d survey.enabled=false``; a value
that reads as JSON is JSON (``true``, ``30``, ``null`` to reset, ``[...]``), anything else a
string. The same schema and audit log as ``PATCH /api/v1/settings`` (actor ``cli``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from postpurchase.domain.errors import DomainError

app = typer.Typer(
    help="Merchant settings: brand, tracking page, notifications, survey (docs/settings.md).",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Overrides POSTPURCHASE_DATA_DIR.", show_default=False),
]


def _fail(message: str) -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(2)


def _merchant(data_dir: Path | None, slug: str) -> tuple[Any, str]:
    from postpurchase.entrypoints.cli import _platform

    platform = _platform(data_dir)
    with platform.uow() as uow:
        merchant = uow.merchants.get_by_slug(slug)
    if merchant is None:
        _fail(f"no merchant with slug {slug!r}")
    return platform, merchant.id


def parse_assignment(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` as (["a", "b", "c"], value); value JSON when it parses as JSON."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(p.strip() for p in parts):
        raise ValueError(
            f"{text!r}: expected key=value with a dotted key (branding.display_name=Acme)"
        )
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return [p.strip() for p in parts], value


def patch_from(assignments: list[str]) -> dict[str, Any]:
    """The merge patch the assignments make (later ones win)."""
    patch: dict[str, Any] = {}
    for text in assignments:
        parts, value = parse_assignment(text)
        here = patch
        for part in parts[:-1]:
            nxt = here.get(part)
            if not isinstance(nxt, dict):
                nxt = here[part] = {}
            here = nxt
        here[parts[-1]] = value
    return patch


def _show(settings: Any) -> None:
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False))


@app.command("show")
def show(slug: str, data_dir: DataDir = None) -> None:
    """Print the merchant's settings as JSON (null: the platform default applies)."""
    from postpurchase.service_layer.settings import get_settings

    platform, merchant_id = _merchant(data_dir, slug)
    _show(get_settings(platform.uow(), merchant_id))


@app.command("set")
def set_(
    slug: str,
    assignments: Annotated[
        list[str] | None,
        typer.Argument(help="key=value pairs with dotted keys, e.g. survey.enabled=false"),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A JSON Merge Patch file, applied before the pairs."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Change settings, all or nothing; prints the result. A refused value exits 2 with
    the dotted key and the reason."""
    from postpurchase.service_layer.settings import update_settings

    patch: dict[str, Any] = {}
    try:
        if file is not None:
            loaded = json.loads(file.read_text(encoding="utf-8"))
            if not isinstance(loaded, dict):
                _fail(f"{file}: a JSON object is expected")
            patch = loaded
        pairs = patch_from(assignments or [])
        patch = _merge_keep_nulls(patch, pairs)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    if not patch:
        _fail("nothing to set: give key=value pairs or --file")
    platform, merchant_id = _merchant(data_dir, slug)
    try:
        settings = update_settings(platform.uow(), merchant_id, patch, "cli")
    except DomainError as exc:
        _fail(exc.message if exc.field and exc.message.startswith(exc.field) else
              f"{exc.field}: {exc.message}" if exc.field else exc.message)  # fmt: skip
    _show(settings)


def _merge_keep_nulls(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Two patches as one, nulls kept (they reset keys when applied)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_keep_nulls(out[key], value)
        else:
            out[key] = value
    return out
