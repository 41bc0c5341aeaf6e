"""``/api/v1/templates``: a merchant's own message templates per flow, channel and locale.

Templates are Jinja run in a sandbox with a documented context (docs/templates.md); a save
is a new immutable version, checked on sample data first (a broken template is a 422 with
its line and error); preview renders a draft or a version on sample data; a test send
delivers one through the configured channel; a split holds out a share of orders or shares
them between versions (each message records the version it was made from).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from postpurchase.adapters.notifications.rendering import JinjaRenderer
from postpurchase.adapters.notifications.wiring import service_for
from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.notifications import FLOWS, SUPPORTED_LOCALES
from postpurchase.domain.templates import MAX_SOURCE, Split, TemplateVersion
from postpurchase.entrypoints.api.deps import MerchantDep, PlatformDep, api_actor
from postpurchase.service_layer import templates as svc
from postpurchase.service_layer.templates.testing import send_test

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])
RENDERER = JinjaRenderer()

FlowPath = Annotated[str, Path(description="A flow name (GET /api/v1/notifications/flows).",
                               json_schema_extra={"enum": list(FLOWS)})]  # fmt: skip
ChannelPath = Annotated[str, Path(json_schema_extra={"enum": ["email", "sms"]})]
Source = Annotated[str, Field(min_length=1, max_length=MAX_SOURCE)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocaleIn(Strict):
    """One locale's sources. Email: ``subject`` and ``text`` (``html`` optional: without it
    the text becomes paragraphs in your branded layout). SMS: ``text``."""

    subject: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    text: Source | None = None
    html: Source | None = None


class VersionIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "locales": {
                        "en": {
                            "subject": "{{ order }} is on its way",
                            "text": "Hi {{ name }}, {{ carrier }} has your parcel. "
                            "Expected {{ estimate }}.\n\nTrack it: {{ tracking_url }}",
                        }
                    },
                    "note": "shorter shipped e-mail",
                }
            ]
        },
    )
    locales: dict[str, LocaleIn | None] = Field(
        description="Locales to change (en, es, pt-BR, fr, de); null: back to the built-in "
        "text for that locale. Locales left out are carried over from the current version.",
        min_length=1,
    )
    note: Annotated[str, Field(max_length=200)] | None = None


class VersionOut(BaseModel):
    version: int
    locales: dict[str, dict[str, str]]
    note: str | None
    created_at: datetime
    created_by: str


class SplitIO(Strict):
    holdout_percent: StrictInt = Field(
        default=0, ge=0, le=50, description="Orders that get no message of this flow."
    )
    variants: dict[str, Annotated[StrictInt, Field(ge=1, le=100)]] = Field(
        default_factory=dict,
        description='Version -> weight among the rest, e.g. {"0": 50, "3": 50} (0: built-in).',
    )


class SummaryOut(BaseModel):
    flow: str
    channel: str
    current_version: int = Field(description="0: the built-in template.")
    split: SplitIO | None


class HistoryOut(BaseModel):
    flow: str
    channel: str
    versions: list[VersionOut] = Field(description="Newest first.")
    split: SplitIO | None


class PreviewIn(Strict):
    locale: Annotated[str, Field(json_schema_extra={"enum": list(SUPPORTED_LOCALES)})] = "en"
    version: Annotated[StrictInt, Field(ge=0)] | None = Field(
        default=None, description="A stored version (0: built-in); default: the current one."
    )
    draft: LocaleIn | None = Field(default=None, description="Unsaved sources to try.")


class PreviewOut(BaseModel):
    version: int | None = Field(description="The version shown; null for a draft.")
    subject: str
    text: str
    html: str | None


class TestIn(PreviewIn):
    to: Annotated[str, Field(min_length=3, max_length=320)] = Field(
        description="An email address, or an E.164 phone number for SMS."
    )


class TestOut(BaseModel):
    version: int | None
    to: str
    provider_id: str | None


def _split_out(split: Split | None) -> SplitIO | None:
    if split is None:
        return None
    return SplitIO(
        holdout_percent=split.holdout_percent,
        variants={str(k): v for k, v in sorted(split.variants.items())},
    )


def _version_out(v: TemplateVersion) -> VersionOut:
    return VersionOut(
        version=v.version,
        locales={loc: t.as_dict() for loc, t in v.locales.items()},
        note=v.note,
        created_at=v.created_at,
        created_by=v.created_by,
    )


def _draft(body: PreviewIn) -> dict[str, str] | None:
    return body.draft.model_dump(exclude_none=True) if body.draft is not None else None


@router.get("", response_model=list[SummaryOut])
async def list_templates(merchant: MerchantDep, platform: PlatformDep) -> list[SummaryOut]:
    """Every flow and channel with its current version (0: built-in) and split."""
    rows = await run_in_threadpool(svc.overview, platform.uow(), merchant.id)
    return [SummaryOut(flow=r.flow, channel=r.channel, current_version=r.current_version,
                       split=_split_out(r.split)) for r in rows]  # fmt: skip


@router.get("/{flow}/{channel}", response_model=HistoryOut)
async def get_history(
    flow: FlowPath, channel: ChannelPath, merchant: MerchantDep, platform: PlatformDep
) -> HistoryOut:
    """Every version of this flow's template on this channel, and its split."""
    versions, split = await run_in_threadpool(
        svc.history, platform.uow(), merchant.id, flow, channel
    )
    return HistoryOut(flow=flow, channel=channel, versions=[_version_out(v) for v in versions],
                      split=_split_out(split))  # fmt: skip


@router.post("/{flow}/{channel}/versions", response_model=VersionOut, status_code=201)
async def save(
    flow: FlowPath,
    channel: ChannelPath,
    body: VersionIn,
    request: Request,
    merchant: MerchantDep,
    platform: PlatformDep,
) -> VersionOut:
    """Save a new version (checked on sample data: a template that does not parse or
    render is a 422 naming ``locales.<locale>.<part>`` with the line and error)."""
    locales = {k: (v.model_dump(exclude_none=True) if v else None) for k, v in body.locales.items()}
    version = await run_in_threadpool(
        lambda: svc.save_version(
            platform.uow(), RENDERER, merchant.id, flow, channel, locales, api_actor(request),
            note=body.note,
        )
    )  # fmt: skip
    return _version_out(version)


@router.post("/{flow}/{channel}/reset", response_model=VersionOut, status_code=201)
async def reset(
    flow: FlowPath, channel: ChannelPath, request: Request, merchant: MerchantDep,
    platform: PlatformDep,
) -> VersionOut:  # fmt: skip
    """Back to the built-in template (a new version with no locales; history is kept)."""
    version = await run_in_threadpool(
        lambda: svc.reset(platform.uow(), merchant.id, flow, channel, api_actor(request))
    )
    return _version_out(version)


@router.post("/{flow}/{channel}/preview", response_model=PreviewOut)
async def preview(
    flow: FlowPath, channel: ChannelPath, body: PreviewIn, merchant: MerchantDep,
    platform: PlatformDep,
) -> PreviewOut:  # fmt: skip
    """The message on sample data in your branding: a draft, a version, or the current one."""
    shown, rendered = await run_in_threadpool(
        lambda: svc.preview(
            platform.uow(), RENDERER, merchant.id, flow, channel, body.locale,
            draft=_draft(body), version=body.version,
        )
    )  # fmt: skip
    return PreviewOut(version=shown, subject=rendered.subject, text=rendered.text,
                      html=rendered.html)  # fmt: skip


@router.post("/{flow}/{channel}/test", response_model=TestOut, status_code=202)
async def test_send(
    flow: FlowPath, channel: ChannelPath, body: TestIn, request: Request,
    merchant: MerchantDep, platform: PlatformDep,
) -> TestOut:  # fmt: skip
    """Send the previewed message (subject marked [TEST]) to ``to`` now."""
    channels = service_for(platform).channels
    shown, provider_id = await run_in_threadpool(
        lambda: send_test(
            platform.uow, RENDERER, channels, merchant.id, flow, channel, body.locale, body.to,
            api_actor(request), version=body.version, draft=_draft(body),
        )
    )  # fmt: skip
    return TestOut(version=shown, to=body.to, provider_id=provider_id)


@router.put("/{flow}/{channel}/split", response_model=SplitIO)
async def put_split(
    flow: FlowPath, channel: ChannelPath, body: SplitIO, request: Request,
    merchant: MerchantDep, platform: PlatformDep,
) -> SplitIO:  # fmt: skip
    """Hold out a share of orders (no message of this flow) and/or split the rest between
    versions; assignment is a hash of the order, so an order always gets the same."""
    variants: dict[int, int] = {}
    for key, weight in body.variants.items():
        if not key.isdigit():
            raise InvalidInput("a version number", field=f"variants.{key}")
        variants[int(key)] = weight
    # no holdout and no variants: no split (what DELETE does)
    split = Split(body.holdout_percent, variants) if body.holdout_percent or variants else None
    await run_in_threadpool(
        lambda: svc.set_split(platform.uow(), merchant.id, flow, channel, split, api_actor(request))
    )
    return SplitIO(holdout_percent=body.holdout_percent,
                   variants={str(k): v for k, v in sorted(variants.items())})  # fmt: skip


@router.delete("/{flow}/{channel}/split", status_code=204)
async def delete_split(
    flow: FlowPath, channel: ChannelPath, request: Request, merchant: MerchantDep,
    platform: PlatformDep,
) -> Response:  # fmt: skip
    """Everyone gets the current version again."""
    await run_in_threadpool(
        lambda: svc.set_split(platform.uow(), merchant.id, flow, channel, None, api_actor(request))
    )
    return Response(status_code=204)
